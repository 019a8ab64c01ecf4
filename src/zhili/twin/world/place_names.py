"""Names of residential compounds (小区) and roads, in the style of Yuhang's 2019 streets."""

from __future__ import annotations

import numpy as np

_COMPOUND_TWO = [
    "金色",
    "翡翠",
    "阳光",
    "锦绣",
    "景湖",
    "滨江",
    "桂花",
    "紫荆",
    "玉兰",
    "梧桐",
    "丽水",
    "星河",
    "华府",
    "天鸿",
    "万家",
    "凤凰",
    "东方",
    "世纪",
    "新城",
    "江南",
    "运河",
    "荷花",
    "藕花",
    "绿城",
    "万科",
    "保利",
    "融创",
    "龙湖",
    "海创",
    "未来",
    "西溪",
    "文鼎",
    "御园",
    "蓝庭",
    "和园",
    "晓风",
    "春江",
    "明月",
    "水岸",
    "香樟",
    "枫林",
    "溪语",
    "竹海",
    "云栖",
]
_COMPOUND_TAIL = ["花园", "苑", "家园", "小区", "公寓", "府", "新村", "里", "城", "庭", "湾", "郡"]
_ROAD_HEAD = [
    "临平",
    "南苑",
    "东湖",
    "星桥",
    "乔司",
    "运河",
    "崇贤",
    "塘栖",
    "仁和",
    "良渚",
    "瓶窑",
    "径山",
    "文一西",
    "余杭塘",
    "荆长",
    "五常",
    "闲林",
    "仓前",
    "中泰",
    "世纪",
    "迎宾",
    "人民",
    "北沙",
    "藕花洲",
    "超山",
    "博园",
    "九曲营",
    "沪瑞",
    "安隐",
    "西大",
    "邱山",
    "望梅",
    "星光",
    "振兴",
    "兴国",
    "禹航",
    "凤新",
    "玉架山",
    "古墩",
    "莫干山",
    "东西",
    "龙潭",
    "良运",
    "杭行",
    "勾庄",
]
_ROAD_TAIL = ["路", "大道", "街", "大街", "北路", "南路", "东路", "西路", "一路", "二路"]
# Resettlement compounds (安置小区) take their old village's name: 昌运里, 谢村苑...
_RESETTLE_TAIL = ["里", "苑", "家园", "新苑", "小区"]


def compound_names(
    rng: np.random.Generator, n: int, village_short: np.ndarray, resettlement: np.ndarray
) -> np.ndarray:
    """Plausible compound names; unique overall by appending 一期/二期 or a number when needed."""
    heads = np.array(_COMPOUND_TWO, dtype=object)[rng.integers(0, len(_COMPOUND_TWO), n)]
    tails = np.array(_COMPOUND_TAIL, dtype=object)[rng.integers(0, len(_COMPOUND_TAIL), n)]
    base_village = np.array([v.removesuffix("社区").removesuffix("村")[:2] for v in village_short])
    rtails = np.array(_RESETTLE_TAIL, dtype=object)[rng.integers(0, len(_RESETTLE_TAIL), n)]
    # Avoid doubled characters such as 绿城 + 城.
    clash = np.array([h[-1] == t[0] for h, t in zip(heads, tails, strict=True)], dtype=bool)
    tails = np.where(clash, "花园", tails)
    names = np.where(resettlement, base_village + rtails, heads + tails)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(
            name if k == 0 else f"{name}{'二三四五六七八九'[k - 1]}期" if k < 9 else f"{name}{k}号"
        )
    return np.array(out, dtype=object)


def road_names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct road names (at most len(_ROAD_HEAD) * len(_ROAD_TAIL))."""
    n = min(n, len(_ROAD_HEAD) * len(_ROAD_TAIL))
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = str(rng.choice(_ROAD_HEAD)) + str(rng.choice(_ROAD_TAIL))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names
