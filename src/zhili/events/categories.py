"""The category tree as data (data/categories.yaml): families and their leaf categories."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Category:
    code: str  # "family.leaf"
    family: str
    zh: str
    en: str
    module: str
    deadline_class: str
    public: bool  # open to citizens through Open311
    part: bool = False  # a 数字城管 part (部件) rather than an event (事件)

    def name(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class Family:
    code: str
    zh: str
    en: str
    module: str


@dataclass(frozen=True)
class Tree:
    classes: dict[str, float]  # deadline class -> hours
    families: dict[str, Family]
    categories: dict[str, Category]

    def get(self, code: str) -> Category:
        found = self.categories.get(code)
        if found is None:
            raise UnknownCategory(code)
        return found

    def by_name(self, family: str, zh: str) -> Category | None:
        for c in self.categories.values():
            if c.family == family and c.zh == zh:
                return c
        return None

    def public(self) -> list[Category]:
        return [c for c in self.categories.values() if c.public]


class UnknownCategory(ValueError):
    status = 422

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown event category {code!r}; see GET /api/event-categories")


@cache
def tree(path: Path | None = None) -> Tree:
    raw = yaml.safe_load((path or _DATA / "categories.yaml").read_text("utf-8"))
    families: dict[str, Family] = {}
    categories: dict[str, Category] = {}
    for fcode, f in raw["families"].items():
        families[fcode] = Family(fcode, f["zh"], f["en"], f["module"])
        for leaf, c in f["categories"].items():
            code = f"{fcode}.{leaf}"
            categories[code] = Category(
                code=code,
                family=fcode,
                zh=c["zh"],
                en=c["en"],
                module=f["module"],
                deadline_class=c.get("class", f["class"]),
                public=bool(c.get("public", f.get("public", False))),
                part=bool(c.get("part", False)),
            )
    return Tree({k: float(v) for k, v in raw["classes"].items()}, families, categories)
