"""Personal names: one written form per name, and its pinyin for fuzzy matching.

`normalize_names` removes every space (the ideographic U+3000 too), turns full-width
characters half-width, unifies the dots of minority names (阿依古丽·买买提) to U+00B7 and
converts traditional characters to simplified ones with OpenCC's t2s character table. Same-sound
mistakes (张伟/章伟) stay: they are evidence for fusion to weigh, not typing noise.

`name_pinyin` is lower-case, toneless, one syllable per character joined by spaces, with
surnames read as surnames: 曾 zeng (not ceng), 单 shan, 解 xie, 区 ou, 仇 qiu, and compound
surnames (欧阳, 尉迟 yuchi, 万俟 moqi, 长孙 zhangsun ...) taken as one unit.

Names repeat a lot (a million records hold perhaps a fifth as many distinct names), so both
functions do their Python work once per distinct value and join the result back.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import polars as pl
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from zhili.hub.standardize._text import align, tidy

MIDDLE_DOT = "\u00b7"
# Dots typed between the parts of a minority name: middle dots of several scripts, the bullet,
# and the full stop (full-width ones are half-width by the time this runs).
_DOTS = r"[.\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65]+"

# Single-character surnames whose surname reading differs from the character's most common
# reading (pypinyin's default), or that are easily misread.
SURNAME_PINYIN: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao",
    "查": "zha", "覃": "qin", "缪": "miao", "翟": "zhai", "乐": "yue", "盖": "ge",
    "员": "yun", "任": "ren", "华": "hua", "纪": "ji", "过": "guo", "秘": "bi", "繁": "po",
    "种": "chong", "重": "chong", "长": "chang", "都": "du", "尉": "wei", "句": "gou",
    "召": "shao", "牟": "mou", "折": "she", "厍": "she", "阚": "kan", "隗": "wei",
    "冼": "xian", "洗": "xian", "薄": "bo", "蕃": "pi", "那": "na", "佴": "nai", "能": "nai",
    "宓": "mi", "柏": "bai", "藏": "zang", "车": "che", "沈": "shen", "叶": "ye", "石": "shi",
    "贾": "jia", "卜": "bu", "褚": "chu", "谌": "chen", "郇": "huan", "逄": "pang",
    "万": "wan", "殷": "yin", "燕": "yan", "应": "ying", "干": "gan", "占": "zhan",
    "相": "xiang", "要": "yao", "和": "he", "粘": "nian", "阿": "a", "强": "qiang",
    "参": "can", "率": "shuai", "祭": "zhai", "訾": "zi", "眭": "sui", "笪": "da",
}  # fmt: skip
# Compound (two-character) surnames and their readings.
COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ou yang", "司马": "si ma", "诸葛": "zhu ge", "上官": "shang guan",
    "东方": "dong fang", "皇甫": "huang fu", "尉迟": "yu chi", "公孙": "gong sun",
    "慕容": "mu rong", "令狐": "ling hu", "长孙": "zhang sun", "万俟": "mo qi",
    "夏侯": "xia hou", "司徒": "si tu", "宇文": "yu wen", "轩辕": "xuan yuan",
    "澹台": "tan tai", "单于": "chan yu", "司空": "si kong", "呼延": "hu yan",
    "端木": "duan mu", "独孤": "du gu", "闻人": "wen ren", "东郭": "dong guo",
    "百里": "bai li", "西门": "xi men", "南宫": "nan gong", "拓跋": "tuo ba",
    "申屠": "shen tu", "第五": "di wu", "公冶": "gong ye", "太史": "tai shi",
    "仲孙": "zhong sun", "钟离": "zhong li", "赫连": "he lian", "宗政": "zong zheng",
    "濮阳": "pu yang", "淳于": "chun yu", "左丘": "zuo qiu", "谷梁": "gu liang",
    "梁丘": "liang qiu", "公羊": "gong yang", "巫马": "wu ma", "公西": "gong xi",
    "段干": "duan gan", "乐正": "yue zheng", "闾丘": "lv qiu", "亓官": "qi guan",
    "司寇": "si kou", "子车": "zi ju", "颛孙": "zhuan sun", "壤驷": "rang si",
    "漆雕": "qi diao", "公良": "gong liang", "羊舌": "yang she", "微生": "wei sheng",
    "宰父": "zai fu", "公户": "gong hu", "东门": "dong men", "公输": "gong shu",
}  # fmt: skip

_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def _is_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _t2s_table() -> dict[int, str]:
    """OpenCC's t2s character table (first candidate of each entry), chains resolved.

    Names are converted character by character, not with OpenCC's phrase segmentation: a
    name is not a phrase, and the phrase table turns 張沈默 into 张沉默. Characters that
    are themselves in the simplified standard set (GB 2312: 乾, 於, 甯, 徵, 麴 ...) stay:
    in names they are legitimate simplified characters (张乾 is not 张干, the surname 於 is
    not 于). One entry chains (薴 -> 苧 -> 苎); following it keeps the conversion idempotent.
    """
    table = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    first: dict[str, str] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        key, _, targets = line.partition("\t")
        target = targets.split(" ")[0]
        if target and target != key and not _is_gb2312(key):
            first[key] = target
    resolved: dict[int, str] = {}
    for key, target in first.items():
        seen = {key}
        while target in first and target not in seen:
            seen.add(target)
            target = first[target]
        resolved[ord(key)] = target
    return resolved


@functools.cache
def _traditional_class() -> str:
    """A regex class of the characters the t2s table changes. Names holding none of them
    (nearly all) never reach Python."""
    return "[" + "".join(sorted(chr(cp) for cp in _t2s_table())) + "]"


def to_simplified(text: str) -> str:
    """Traditional characters to simplified ones (OpenCC t2s, character by character)."""
    return text.translate(_t2s_table())


def _normalize_distinct(distinct: pl.Series) -> pl.Series:
    """Normalised forms of distinct raw names, in the same order."""
    cleaned = tidy(distinct)
    dotted = cleaned.str.contains(_DOTS).fill_null(False)
    if dotted.any():
        fixed = (
            cleaned.filter(dotted).str.replace_all(_DOTS, MIDDLE_DOT).str.strip_chars(MIDDLE_DOT)
        )
        cleaned = cleaned.scatter(dotted.arg_true(), fixed)
    traditional = cleaned.str.contains(_traditional_class()).fill_null(False)
    if traditional.any():
        todo = cleaned.filter(traditional)
        simplified = pl.Series([to_simplified(t) for t in todo.to_list()], dtype=pl.String)
        cleaned = cleaned.scatter(traditional.arg_true(), simplified)
    return pl.select(pl.when(cleaned == "").then(None).otherwise(cleaned)).to_series()


def _name_table(values: pl.Series, pinyin: bool) -> pl.DataFrame:
    """raw, name[, pinyin] for every distinct raw value: the Python work, done once each."""
    distinct = values.cast(pl.String).drop_nulls().unique()
    names = _normalize_distinct(distinct)
    table = pl.DataFrame({"raw": distinct, "name": names})
    if pinyin:
        readings = [None if n is None else pinyin_of(n) for n in names.to_list()]
        table = table.with_columns(pinyin=pl.Series(readings, dtype=pl.String))
    return table


def normalize_names(values: pl.Series) -> pl.Series:
    """Names cleaned (see the module docs); null stays null, an empty result becomes null."""
    table = _name_table(values, pinyin=False)
    return align(values.cast(pl.String), table, "raw")["name"].alias(values.name)


def normalize_name(name: str | None) -> str | None:
    """Scalar form of `normalize_names`."""
    if name is None:
        return None
    return normalize_names(pl.Series([name], dtype=pl.String)).item()


@functools.cache
def _char_pinyin(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0].lower()


def _han_pinyin(text: str) -> list[str]:
    """Syllables of a run of Han characters: phrase readings when the run (or a two-character
    part of it) is a known word, else each character's most common reading."""
    if len(text) >= 2 and any(text[i : i + 2] in PHRASES_DICT for i in range(len(text) - 1)):
        return [s.lower() for s in lazy_pinyin(text, style=Style.NORMAL)]
    return [_char_pinyin(c) for c in text]


def _part_pinyin(text: str) -> list[str]:
    """Syllables of any text: Han runs as above, runs of Latin letters or digits as one
    lower-case token each, everything else dropped."""
    if _HAN.match(text):
        return _han_pinyin(text)
    out: list[str] = []
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+", text):
        out.extend(_han_pinyin(run) if _HAN.match(run) else [run.lower()])
    return out


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name). A compound surname counts only when at least one character
    follows it: a two-character name 欧阳 is surname 欧 and given name 阳."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@functools.lru_cache(maxsize=1 << 20)
def pinyin_of(name: str) -> str:
    """Pinyin of one normalised name (see the module docs)."""
    if MIDDLE_DOT in name:  # transliterated minority names have no Han surname
        return " ".join(s for part in name.split(MIDDLE_DOT) for s in _part_pinyin(part))
    if not _HAN.match(name):
        return " ".join(_part_pinyin(name))
    surname, given = split_surname(name)
    if surname in COMPOUND_SURNAMES:
        head = COMPOUND_SURNAMES[surname]
    else:
        head = SURNAME_PINYIN.get(surname) or _char_pinyin(surname)
    return " ".join([head, *_han_pinyin(given)]) if given else head


def name_pinyin(values: pl.Series) -> pl.Series:
    """Pinyin of each name, read after normalising it (張 偉 -> zhang wei); null for null."""
    table = _name_table(values, pinyin=True)
    return align(values.cast(pl.String), table, "raw")["pinyin"].alias(f"{values.name}_pinyin")


def standardize_names(values: pl.Series) -> pl.DataFrame:
    """original, name (normalised) and pinyin, one row per input row."""
    text = values.cast(pl.String)
    out = align(text, _name_table(text, pinyin=True), "raw")
    return pl.DataFrame({"original": text, "name": out["name"], "pinyin": out["pinyin"]})
