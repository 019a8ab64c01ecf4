"""The 25 department systems of 22 departments, each rendering the world through its own
schema, codes, formats, coverage, staleness and errors (see `catalog.py`)."""
