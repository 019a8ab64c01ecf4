"""Zhili (治理): a social-governance city brain — one hub, ten modules, privacy by design."""

__version__ = "0.1.0"
