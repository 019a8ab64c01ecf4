"""The hub's stages after ingest: mentions of entities in the lake → standardized records →
fused master entities and the links from every source record to its master."""
