"""UI strings: Chinese first, English available (?lang=en)."""

from __future__ import annotations

from zhili.web.strings import PAGE_STRINGS

STRINGS: dict[str, dict[str, str]] = {
    "title": {
        "zh": "智理 · 余杭区社会治理城市大脑",
        "en": "Zhili · Yuhang social-governance city brain",
    },
    "map": {"zh": "区域地图（镇街 / 村社）", "en": "District map (towns / villages)"},
    "counts": {"zh": "全区概况", "en": "District at a glance"},
    "towns": {"zh": "镇街", "en": "Towns"},
    "villages": {"zh": "村社", "en": "Villages"},
    "grids": {"zh": "网格", "en": "Grids"},
    "area": {"zh": "面积 (km²)", "en": "Area (km²)"},
    "persons": {"zh": "人口", "en": "Residents"},
    "migrants": {"zh": "流动人口", "en": "Migrants"},
    "houses": {"zh": "房屋地址", "en": "House addresses"},
    "enterprises": {"zh": "企业", "en": "Enterprises"},
    "events_history": {"zh": "历史事件", "en": "Historical events"},
    "grid_workers_full_time": {"zh": "专职网格员", "en": "Full-time grid workers"},
    "grid_workers_part_time": {"zh": "兼职网格员", "en": "Part-time grid workers"},
    "devices": {"zh": "物联设备", "en": "Devices"},
    "sources": {"zh": "部门数据系统", "en": "Department systems"},
    "department": {"zh": "部门", "en": "Department"},
    "system": {"zh": "系统", "en": "System"},
    "format": {"zh": "格式", "en": "Format"},
    "records": {"zh": "记录数", "en": "Records"},
    "town": {"zh": "镇街", "en": "Town"},
    "residents": {"zh": "常住人口", "en": "Residents"},
    "no_twin": {
        "zh": "尚未生成孪生区县数据：运行 zhili twin generate",
        "en": "No twin district yet: run zhili twin generate",
    },
    "scale": {"zh": "孪生规模", "en": "Twin scale"},
}


STRINGS.update(PAGE_STRINGS)  # the role pages' strings (web/strings.py)


def t(key: str, lang: str) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry["zh"])
