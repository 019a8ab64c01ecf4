"""The data hub (数据中枢): ingest, standardize, fuse, index. For now: the district overview."""
