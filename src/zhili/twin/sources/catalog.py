"""Every department system the twin renders: 25 systems of 22 departments and units."""

from __future__ import annotations

import importlib

from zhili.twin.sources.base import SourceSystem

# One module per department (or unit); each exports SYSTEMS.
_MODULES = [
    "police",
    "courts",
    "fire",
    "hr",
    "labour",
    "urban",
    "telecom",
    "market",
    "tax",
    "housing",
    "traffic",
    "petitions",
    "mediation",
    "civil",
    "health",
    "education",
    "work_safety",
    "utilities",
    "bank",
    "bus",
    "property",
    "hotline",
]


def all_systems() -> list[SourceSystem]:
    systems: list[SourceSystem] = []
    for name in _MODULES:
        module = importlib.import_module(f"zhili.twin.sources.systems.{name}")
        systems.extend(module.SYSTEMS)
    return systems
