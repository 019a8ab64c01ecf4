"""Privacy and security core: who may do what, where and why; masking; the audit log."""
