"""Chinese personal names: surnames by real frequency, given names by sex and birth era.

Faker's zh_CN lists give the surname frequencies; its 57 male and 74 female given names are
far too few for a district of millions, so given names are built from era-typical characters.
"""

from __future__ import annotations

import numpy as np
from faker.providers.person.zh_CN import Provider as _FakerPerson

from zhili.twin.text import text

SURNAMES: list[str] = list(_FakerPerson.last_names.keys())
_SURNAME_WEIGHTS = np.array(list(_FakerPerson.last_names.values()), dtype=float)
SURNAME_P = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()

# Given-name characters by sex and by birth era: names follow fashions.
_GIVEN = {
    ("M", 0): "建国华明德荣福根金水生发宏永庆祥忠明军平正林海春志文山",
    ("M", 1): "伟强磊军杰涛超明刚平辉鹏华飞斌勇峰亮东文志海兵春雷波健俊宁斌锋剑",
    ("M", 2): "子梓轩浩宇睿泽博航晨哲铭昊天一诚嘉毅豪逸皓然煜辰俊凯翔鑫杰宸",
    ("F", 0): "秀桂英兰玉凤珍素美春云芳华琴萍珠月菊花娥梅彩",
    ("F", 1): "芳娜敏静丽艳娟霞燕玲丹萍红英梅琳婷雪慧莉倩颖洁晓燕蕾",
    ("F", 2): "欣怡涵萱雨思诗梦悦可馨妍彤琪佳瑶依若晴子婉语嘉雯璐",
}


def _era(birth_year: np.ndarray) -> np.ndarray:
    return np.where(birth_year < 1965, 0, np.where(birth_year < 1990, 1, 2))


def sample_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array(SURNAMES, dtype=object)[rng.choice(len(SURNAMES), size=n, p=SURNAME_P)]


def sample_given_names(
    rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """One- or two-character given names typical of each person's sex and birth era."""
    n = len(male)
    era = _era(birth_year)
    first = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for (sex, e), chars in _GIVEN.items():
        idx = np.flatnonzero((male == (sex == "M")) & (era == e))
        pool = np.array(list(chars), dtype=object)
        first[idx] = pool[rng.integers(0, len(pool), idx.size)]
        second[idx] = pool[rng.integers(0, len(pool), idx.size)]
    # Single-character given names were common before the 1990s, rarer since.
    single_p = np.where(era == 2, 0.12, 0.35)
    single = rng.random(n) < single_p
    second[single] = ""
    return (text(first) + text(second)).to_numpy()


# Same- or near-sound characters that clerks mistype (张伟/章伟).
HOMOPHONES: dict[str, str] = dict(
    zip(
        "张王李刘杨黄吴徐林何郭罗郑梁谢唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏"
        "伟明静丽军华敏涛辉杰刚平英玲燕红梅芳霞波宇欣怡涵轩浩",
        "章汪黎柳阳皇吾许琳和国骆正良解汤徐寒风登操鹏增萧甜懂攀元菜姜于度业成卫素"
        "玮铭婧莉君桦珉滔晖洁钢萍瑛铃艳虹玫方夏博雨新仪含萱皓",
        strict=True,
    )
)

# Traditional forms that some older systems and hand-keyed forms still carry.
TRADITIONAL: dict[str, str] = dict(
    zip(
        "张陈刘杨黄赵吴孙马郑谢韩冯邓许苏叶伟华军丽红东国兰凤龙云涛辉鹏飞杰强刚宁晓庆荣发颖莹",
        "張陳劉楊黃趙吳孫馬鄭謝韓馮鄧許蘇葉偉華軍麗紅東國蘭鳳龍雲濤輝鵬飛傑強剛寧曉慶榮發穎瑩",
        strict=True,
    )
)
