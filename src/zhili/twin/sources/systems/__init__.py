"""One module per department; each exports its SourceSystem objects."""
