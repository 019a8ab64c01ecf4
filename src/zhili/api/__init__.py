"""The REST API (FastAPI): routers per area of the system."""
