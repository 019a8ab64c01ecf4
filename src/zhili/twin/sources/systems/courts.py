"""余杭区人民法院: the trial-process management system (审判流程管理), civil and commercial cases
of first instance filed 2016 to mid-2019.

Lawsuits against an enterprise are a signal of its distress: defendants are drawn with
probability rising with the enterprise's latent `distress`, and S7's bankrupt developer is sued
by its builders in the months before the reference date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.twin.sampling import pick_in_groups
from zhili.twin.sources import noise
from zhili.twin.sources.base import SourceSystem, Table
from zhili.twin.sources.common import record_ids
from zhili.twin.sources.systems.urban import blank, null_safe
from zhili.twin.text import text
from zhili.twin.world import World

DEPARTMENT = "余杭区人民法院"
CASES = 60_000

# 案由: share, median claim (元), share of defendants that are enterprises, of plaintiffs too.
_CAUSES: dict[str, tuple[float, float, float, float]] = {
    "民间借贷纠纷": (0.30, 120_000, 0.15, 0.05),
    "买卖合同纠纷": (0.20, 180_000, 0.85, 0.70),
    "离婚纠纷": (0.14, 0, 0.0, 0.0),
    "机动车交通事故责任纠纷": (0.13, 60_000, 0.0, 0.0),
    "劳动争议": (0.15, 35_000, 1.0, 0.0),
    "建设工程施工合同纠纷": (0.08, 1_500_000, 1.0, 0.6),
}
# How each kind of case ends.
_ENDINGS = {
    "离婚纠纷": (["调解", "判决", "撤诉"], [0.45, 0.35, 0.20]),
    "default": (["判决", "调解", "撤诉", "按撤诉处理", "驳回起诉"], [0.42, 0.30, 0.20, 0.05, 0.03]),
}
_INSURERS = [
    "中国人民财产保险股份有限公司杭州市余杭支公司",
    "中国平安财产保险股份有限公司杭州分公司",
    "中国太平洋财产保险股份有限公司杭州分公司",
    "中华联合财产保险股份有限公司杭州中心支公司",
]
_START = np.datetime64("2016-01-04")
_END = np.datetime64("2019-06-28")


def _pick_weighted(rng: np.random.Generator, ids: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    if ids.size == 0:
        return np.full(n, None, dtype=object)
    return ids[rng.choice(ids.size, n, p=w / w.sum())]


def _employees_of(world: World, enterprise_ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random employee of each enterprise (None where it has none)."""
    p = world["persons"].filter(pl.col("employer_id").is_not_null())
    return pick_in_groups(p["employer_id"], p["person_id"], enterprise_ids, rng)


def _spouse_pairs(world: World, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n married couples (户主 and 配偶 of one household), the plaintiff first: wives file
    about two thirds of divorces."""
    p = world["persons"].select("household_id", "person_id", "sex", "relation")
    heads = p.filter(pl.col("relation") == "户主").unique(
        "household_id", keep="first", maintain_order=True
    )
    pairs = (
        p.filter(pl.col("relation") == "配偶")
        .join(heads, on="household_id", suffix="_h", maintain_order="left")
        .filter(pl.col("sex") != pl.col("sex_h"))
    )
    wives = pairs.select(
        person_id=pl.when(pl.col("sex") == "F").then("person_id").otherwise("person_id_h"),
        other=pl.when(pl.col("sex") == "F").then("person_id_h").otherwise("person_id"),
    )
    if wives.height == 0 or n == 0:
        return np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    rows = rng.integers(0, wives.height, n)
    wife = wives["person_id"].to_numpy()[rows]
    husband = wives["other"].to_numpy()[rows]
    wife_files = rng.random(n) < 0.67
    return np.where(wife_files, wife, husband), np.where(wife_files, husband, wife)


def _cases(world: World, rng: np.random.Generator) -> pl.DataFrame:
    n = world.spec.count(CASES, minimum=30)
    causes = list(_CAUSES)
    share = np.array([_CAUSES[c][0] for c in causes])
    ci = rng.choice(len(causes), n, p=share / share.sum())
    cause = np.array(causes, dtype=object)[ci]
    # Filings grow year on year (density rising through the window), in date order.
    span = int((_END - _START).astype(int))
    t = rng.power(1.25, n)
    filed = np.sort(_START + (t * span).astype("timedelta64[D]"))

    ents = world["enterprises"]
    adults = world["persons"].filter(pl.col("age") >= 20)["person_id"].to_numpy()
    eid = ents["enterprise_id"].to_numpy()
    distress = ents["distress"].to_numpy()
    section = ents["industry"].to_numpy()
    # Defendants: the more distressed, the more often sued.
    alive = np.where(ents["status"].to_numpy() == "存续", 1.0, 0.3)
    w_def = np.exp(1.1 * distress) * alive
    builders = np.isin(section, ["E", "K"])
    w_build = w_def * builders
    ent_defendant = rng.random(n) < np.array([_CAUSES[c][2] for c in causes])[ci]
    ent_plaintiff = rng.random(n) < np.array([_CAUSES[c][3] for c in causes])[ci]
    is_build = cause == "建设工程施工合同纠纷"
    defendant_e = np.where(
        is_build,
        _pick_weighted(rng, eid, w_build if w_build.sum() > 0 else w_def, n),
        _pick_weighted(rng, eid, w_def, n),
    )
    defendant_e = np.where(ent_defendant, defendant_e, None)
    plaintiff_e = np.where(
        is_build,
        _pick_weighted(rng, eid, (section == "E").astype(float) + 1e-9, n),
        eid[rng.integers(0, eid.size, n)],
    )
    plaintiff_e = np.where(ent_plaintiff, plaintiff_e, None)
    plaintiff_p = np.where(ent_plaintiff, None, adults[rng.integers(0, adults.size, n)])
    defendant_p = np.where(ent_defendant, None, adults[rng.integers(0, adults.size, n)])
    # Labour disputes: an employee sues the employer.
    labour = cause == "劳动争议"
    staff = _employees_of(world, defendant_e, rng)
    plaintiff_p = np.where(labour & (staff != None), staff, plaintiff_p)  # noqa: E711
    # Divorces: a married couple.
    divorce = np.flatnonzero(cause == "离婚纠纷")
    a, b = _spouse_pairs(world, rng, divorce.size)
    plaintiff_p[divorce] = np.where(a != None, a, plaintiff_p[divorce])  # noqa: E711
    defendant_p[divorce] = np.where(b != None, b, defendant_p[divorce])  # noqa: E711
    same = (plaintiff_p == defendant_p) & (plaintiff_p != None)  # noqa: E711
    defendant_p[same] = adults[rng.integers(0, adults.size, int(same.sum()))]

    frame = pl.DataFrame(
        {
            "filed": filed,
            "cause": text(cause),
            "plaintiff_p": text(plaintiff_p),
            "plaintiff_e": text(plaintiff_e),
            "defendant_p": text(defendant_p),
            "defendant_e": text(defendant_e),
            "median": np.array([_CAUSES[c][1] for c in causes], dtype=float)[ci],
        }
    )
    return pl.concat([frame, _s7_cases(world, rng)], how="vertical").sort(
        "filed", maintain_order=True
    )


def _s7_cases(world: World, rng: np.random.Generator) -> pl.DataFrame:
    """S7: the developer's builders and suppliers sue it in the year before it goes bankrupt."""
    s7 = world.facts.get("s7") or {}
    projects = world["projects"]
    if not s7:
        return pl.DataFrame(
            schema={
                "filed": pl.Date,
                "cause": pl.Utf8,
                "plaintiff_p": pl.Utf8,
                "plaintiff_e": pl.Utf8,
                "defendant_p": pl.Utf8,
                "defendant_e": pl.Utf8,
                "median": pl.Float64,
            }
        )
    own = projects.filter(pl.col("developer_id") == s7["developer_id"])
    builders = world["enterprises"].filter(pl.col("industry") == "E")["enterprise_id"].to_numpy()
    k = 4 + int(rng.integers(0, 4))
    contractors = own["contractor_id"].to_numpy()
    plaintiffs = np.concatenate([contractors, builders[rng.integers(0, builders.size, k)]])[:k]
    filed = np.datetime64("2018-09-01") + np.sort(rng.integers(0, 300, k)).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "filed": filed,
            "cause": ["建设工程施工合同纠纷"] * k,
            "plaintiff_p": pl.Series([None] * k, dtype=pl.Utf8),
            "plaintiff_e": text(plaintiffs),
            "defendant_p": pl.Series([None] * k, dtype=pl.Utf8),
            "defendant_e": [s7["developer_id"]] * k,
            "median": [4_000_000.0] * k,
        }
    ).with_columns(pl.col("filed").cast(pl.Date))


def _render(world: World, rng: np.random.Generator) -> list[Table]:
    c = _cases(world, rng)
    n = c.height
    persons = world["persons"].select("person_id", "name", "id_number", "birth_date")
    ents = world["enterprises"].select("enterprise_id", "name", "credit_code")

    def people(col: str) -> pl.DataFrame:
        return c.select(pl.col(col).alias("person_id")).join(
            persons, on="person_id", how="left", maintain_order="left"
        )

    def firms(col: str) -> pl.DataFrame:
        return c.select(pl.col(col).alias("enterprise_id")).join(
            ents, on="enterprise_id", how="left", maintain_order="left"
        )

    pp, pe, dp, de = (
        people("plaintiff_p"),
        firms("plaintiff_e"),
        people("defendant_p"),
        firms("defendant_e"),
    )
    plaintiff = null_safe(noise.names, pp["name"], rng, homophone=0.005).fill_null(pe["name"])
    defendant = null_safe(noise.names, dp["name"], rng, homophone=0.005).fill_null(de["name"])
    # Traffic cases join the driver's insurer as a second defendant.
    insured = (c["cause"] == "机动车交通事故责任纠纷") & pl.Series(rng.random(n) < 0.55)
    insurer = pl.Series(np.array(_INSURERS)[rng.integers(0, len(_INSURERS), n)])
    defendant = pl.select(
        pl.when(insured).then(defendant + "、" + insurer).otherwise(defendant)
    ).to_series()
    # Defendant's id: the resident id number, or the credit code (some still the old
    # organisation code, some missing).
    pid = null_safe(
        noise.id_numbers,
        dp["id_number"],
        rng,
        dp["birth_date"].dt.year().to_numpy(),
        digit=0.002,
        swap=0.002,
        old15=0.01,
        lower_x=0.1,
        missing=0.03,
    )
    code = de["credit_code"]
    old_style = code.str.contains(r"^\d{2}330110\d{8}").fill_null(False)
    org = code.str.slice(8, 8) + "-" + code.str.slice(16, 1)
    code = pl.select(
        pl.when(old_style & pl.Series(rng.random(n) < 0.10)).then(org).otherwise(code)
    ).to_series()
    code = blank(code, rng, 0.12)
    ident = pid.fill_null(code)

    # Claims: log-normal around the cause's median; divorces mostly name no sum.
    median = c["median"].to_numpy()
    amount = np.round(median * rng.lognormal(0, 1.0, n), 2)
    divorce = (c["cause"] == "离婚纠纷").to_numpy()
    amount = np.where(divorce & (rng.random(n) < 0.7), np.nan, amount)
    # Endings: the recent ones are still open.
    filed = c["filed"]
    age_days = (np.datetime64("2019-06-30") - filed.to_numpy().astype("datetime64[D]")).astype(int)
    duration = np.minimum(rng.gamma(2.0, 35.0, n), 400).astype(int) + 5
    open_ = duration > age_days
    ending = np.empty(n, dtype=object)
    for key, (labels, probs) in _ENDINGS.items():
        rows = divorce if key == "离婚纠纷" else ~divorce
        ending[rows] = rng.choice(labels, int(rows.sum()), p=probs)
    ending = np.where(open_, None, ending)
    closed = pl.select(
        pl.when(pl.Series(~open_)).then(filed + pl.duration(days=pl.Series(duration)))
    ).to_series()
    simple = (median < 300_000) & (rng.random(n) < 0.8)
    year = filed.dt.year().cast(pl.Utf8)
    seq = pl.DataFrame({"y": year}).select(pl.int_range(1, pl.len() + 1).over("y")).to_series()
    case_no = pl.select(pl.format("({})浙0110民初{}号", year, seq)).to_series()
    chamber = np.where(
        np.isin(c["cause"].to_numpy(), ["买卖合同纠纷", "建设工程施工合同纠纷"]),
        "民二庭",
        np.where(
            divorce,
            "民一庭",
            rng.choice(["民一庭", "民三庭", "临平法庭", "良渚法庭", "瓶窑法庭"], n),
        ),
    )
    rows = pl.DataFrame(
        {
            "record_id": record_ids("FY", n, 8),
            "案号": case_no,
            "立案日期": noise.dates(filed, "iso"),
            "案由": c["cause"],
            "审判程序": np.where(simple, "简易程序", "普通程序"),
            "承办部门": chamber,
            "原告": plaintiff,
            "被告": defendant,
            "被告证件号码": ident,
            "标的额(元)": pl.Series(amount).fill_nan(None),
            "结案方式": text(ending),
            "结案日期": noise.dates(closed, "iso"),
            "__person:plaintiff": c["plaintiff_p"],
            "__enterprise:plaintiff": c["plaintiff_e"],
            "__person:defendant": c["defendant_p"],
            "__enterprise:defendant": c["defendant_e"],
        }
    )
    return [Table("civil_cases", rows)]


SYSTEMS = [
    SourceSystem(
        "courts",
        DEPARTMENT,
        "审判流程管理系统",
        "csv-utf8",
        _render,
        "Civil and commercial cases of first instance filed 2016-2019H1, with parties and claims.",
    ),
]
