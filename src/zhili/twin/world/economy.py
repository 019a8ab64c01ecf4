"""Enterprises, their people and their money: registrations, employees, legal representatives,
construction projects with wage accounts and guarantee deposits, real-estate developers.

A latent `distress` per enterprise drives both the signals departments see (missed social
insurance, falling power use, labour complaints, lawsuits) and the truth the wage-arrears
model is scored on (who falls into arrears after the reference date, and when).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhili.geo import DistrictLayout
from zhili.identifiers import credit_code
from zhili.twin import spec as S
from zhili.twin.rng import stream
from zhili.twin.spec import REFERENCE_DATE, TwinSpec
from zhili.twin.text import text

# GB/T 4754-2017 sections common in Yuhang: code, name, share, keyword for names.
INDUSTRIES: list[tuple[str, str, float, str]] = [
    ("C", "制造业", 0.22, "机械|纺织|服饰|电子|塑料|家具|五金|新材料|印染|食品"),
    ("F", "批发和零售业", 0.30, "商贸|贸易|超市|便利店|五金店|建材|服装店|水果店"),
    ("H", "住宿和餐饮业", 0.08, "餐饮|饭店|小吃|面馆|酒店|茶餐厅"),
    ("E", "建筑业", 0.05, "建设|建筑工程|市政工程|装饰工程|劳务"),
    ("I", "信息传输、软件和信息技术服务业", 0.07, "网络科技|信息技术|软件|数据科技|电子商务"),
    ("L", "租赁和商务服务业", 0.08, "商务咨询|企业管理|人力资源|广告|会展"),
    ("G", "交通运输、仓储和邮政业", 0.05, "物流|运输|快递|仓储|货运"),
    ("K", "房地产业", 0.02, "房地产开发|置业|物业管理"),
    ("M", "科学研究和技术服务业", 0.05, "生物科技|检测技术|环保科技|工程设计"),
    ("O", "居民服务、修理和其他服务业", 0.05, "家政|汽车维修|美容美发|洗衣"),
    ("A", "农、林、牧、渔业", 0.02, "农业开发|苗木|茶叶|水产养殖"),
    ("R", "文化、体育和娱乐业", 0.01, "文化传媒|体育|影视"),
]
_TRADE_NAMES = list(
    "鑫源恒达华盛宏远金泰永兴瑞丰博通天成嘉禾新宇中联东方锦程凯旋利达德润万通华联佳美明辉伟业"
    "正泰良运星桥临平余航超山塘栖径山瓶窑仁和崇贤良渚乔司五常仓前闲林中泰东湖南苑运河百丈黄湖鸬鸟"
)
BANKS = [
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "杭州银行",
    "浙江余杭农村商业银行",
    "中国邮政储蓄银行",
]
_BANK_P = np.array([0.18, 0.2, 0.1, 0.16, 0.06, 0.1, 0.16, 0.04])


def _short(town: str) -> str:
    return town.removesuffix("街道").removesuffix("镇")


def _sizes(rng: np.random.Generator, individual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = individual.size
    size = np.where(
        individual,
        "micro",
        rng.choice(["micro", "small", "medium", "large"], n, p=[0.75, 0.19, 0.05, 0.01]),
    )
    lo = np.select([size == "micro", size == "small", size == "medium"], [1, 10, 100], 1000)
    hi = np.select([size == "micro", size == "small", size == "medium"], [10, 100, 1000], 5000)
    # Log-uniform within the band: most firms sit near its lower end.
    emp = np.exp(rng.uniform(np.log(lo), np.log(hi))).astype(np.int64)
    emp = np.where(individual, rng.integers(1, 5, n), emp)
    return size, emp


def _trade_names(rng: np.random.Generator, n: int) -> np.ndarray:
    pool = np.array(_TRADE_NAMES, dtype=object)
    return pool[rng.integers(0, len(pool), n)] + pool[rng.integers(0, len(pool), n)]


def build_enterprises(
    spec: TwinSpec, layout: DistrictLayout, people: pl.DataFrame, roads: dict[str, list[str]]
) -> pl.DataFrame:
    rng = stream(spec.seed, "enterprises")
    n = spec.count(S.ENTERPRISES, minimum=60)
    share = np.array([i[2] for i in INDUSTRIES])
    ind = rng.choice(len(INDUSTRIES), n, p=share / share.sum())
    sections = np.array([i[0] for i in INDUSTRIES])[ind]
    # Shops, eateries and repairers are mostly individual businesses (个体工商户).
    individual = np.isin(sections, ["F", "H", "O"]) & (rng.random(n) < 0.6)
    # Make sure every section that scenarios need exists even in a tiny twin.
    for k, sec in enumerate(["E", "K", "C"]):
        idx = k * 7 + np.arange(5)
        sections[idx] = sec
        ind[idx] = [i[0] for i in INDUSTRIES].index(sec)
        individual[idx] = False
    size, employees_target = _sizes(rng, individual)

    grids = layout.grids
    w = grids["pop_weight"].to_numpy()
    grid = rng.choice(grids.height, n, p=w / w.sum())
    town = grids["town_code"].to_numpy()[grid]
    lon, lat = layout.sample_points(grid, rng)

    keyword = np.array([rng.choice(INDUSTRIES[i][3].split("|")) for i in ind], dtype=object)
    # Companies are not shops: "水果店" becomes "水果" in a limited company's name.
    keyword = np.where(individual, keyword, np.char.rstrip(keyword.astype(str), "店"))
    trade = _trade_names(rng, n)
    tname = dict(zip(layout.towns["code"], layout.towns["name"], strict=True))
    town_short = np.array([tname[t].removesuffix("街道").removesuffix("镇") for t in town])
    names = np.where(
        individual,
        "余杭区" + town_short + trade + keyword,
        np.where(
            rng.random(n) < 0.5,
            "杭州" + trade + keyword + "有限公司",
            "杭州余杭" + trade + keyword + "有限公司",
        ),
    )
    names = _dedupe(names)

    road = np.array([rng.choice(roads[t]) for t in town], dtype=object)
    number = rng.integers(1, 999, n)
    address = np.array(
        [f"杭州市余杭区{tname[t]}{r}{k}号" for t, r, k in zip(town, road, number, strict=True)]
    )

    codes = credit_code.make_codes(330110, rng, np.where(individual, "individual", "enterprise"))
    days_back = (rng.gamma(1.4, 2200, n)).astype(np.int64)  # skewed to recent registrations
    registered = np.datetime64(REFERENCE_DATE, "D") - np.minimum(days_back, 365 * 30).astype(
        "timedelta64[D]"
    )
    codes = _new_style_to_the_young(codes, individual, registered)
    capital = np.round(
        np.where(individual, rng.uniform(1, 50, n), np.exp(rng.normal(5.5, 1.4, n))), 1
    )

    # Legal representatives: adults 25-65, a few representing several enterprises.
    adults = people.filter((pl.col("age") >= 25) & (pl.col("age") <= 65))
    rep_rows = rng.integers(0, adults.height, n)
    repeat = rng.random(n) < 0.08
    rep_rows[repeat] = rep_rows[rng.integers(0, n, int(repeat.sum()))]
    legal_rep = adults["person_id"].to_numpy()[rep_rows]

    young = (np.datetime64(REFERENCE_DATE, "D") - registered).astype(int) < 3 * 365
    distress = (
        rng.normal(0, 1, n)
        + np.isin(sections, ["E", "C"]) * 0.8
        + (size == "small") * 0.3
        + young * 0.4
        - (size == "large") * 0.8
    )
    status = np.where(rng.random(n) < 0.06, "注销", np.where(rng.random(n) < 0.02, "吊销", "存续"))
    return pl.DataFrame(
        {
            "enterprise_id": pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(7),
            "credit_code": codes,
            "name": text(names),
            "kind": np.where(individual, "individual", "enterprise"),
            "industry": sections,
            "industry_name": np.array([INDUSTRIES[i][1] for i in ind]),
            "size": size,
            "employees_target": employees_target,
            "registered_on": registered,
            "capital_wan": capital,
            "status": status,
            "legal_rep_id": legal_rep,
            "grid_index": grid,
            "town_code": town,
            "address": address,
            "lon": lon,
            "lat": lat,
            "distress": distress,
        }
    ).with_columns(pl.format("E{}", pl.col("enterprise_id")).alias("enterprise_id"))


def _new_style_to_the_young(
    codes: np.ndarray, individual: np.ndarray, registered: np.ndarray
) -> np.ndarray:
    """Organisation codes of the new style ("MA…") exist only since late 2015: give them to the
    most recently registered enterprises of each kind, older ones keep numeric codes."""
    codes = codes.copy()
    new_style = np.array([c[8:10] == "MA" for c in codes])
    for kind in (True, False):
        group = np.flatnonzero(individual == kind)
        youngest_first = group[np.argsort(registered[group], kind="stable")[::-1]]
        mine = codes[group]
        codes[youngest_first] = np.concatenate([mine[new_style[group]], mine[~new_style[group]]])
    return codes


def _dedupe(names: np.ndarray) -> np.ndarray:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(
            name
            if k == 0
            else name.replace("有限公司", f"{k + 1}有限公司")
            if "有限公司" in name
            else f"{name}{k + 1}"
        )
    return np.array(out, dtype=object)


def assign_employment(
    spec: TwinSpec, people: pl.DataFrame, enterprises: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give working people an employer, in proportion to each enterprise's size."""
    rng = stream(spec.seed, "employment")
    age = people["age"].to_numpy()
    migrant = people["migrant"].to_numpy()
    works = np.where(
        migrant,
        (age >= 18) & (age <= 58) & (rng.random(age.size) < 0.88),
        (age >= 18) & (age <= 60) & (rng.random(age.size) < 0.66),
    )
    active = enterprises["status"].to_numpy() == "存续"
    target = enterprises["employees_target"].to_numpy().astype(float) * active
    p = target / target.sum()
    employer = np.full(age.size, None, dtype=object)
    idx = np.flatnonzero(works)
    employer[idx] = enterprises["enterprise_id"].to_numpy()[
        rng.choice(enterprises.height, idx.size, p=p)
    ]
    people = people.with_columns(employer_id=text(employer))
    counts = (
        people.group_by("employer_id")
        .len()
        .rename({"employer_id": "enterprise_id", "len": "employees"})
    )
    enterprises = enterprises.join(counts, on="enterprise_id", how="left").with_columns(
        pl.col("employees").fill_null(0).cast(pl.Int64)
    )
    return people, enterprises


def build_projects(
    spec: TwinSpec, layout: DistrictLayout, enterprises: pl.DataFrame, roads: dict[str, list[str]]
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Construction projects with wage accounts and guarantee deposits, and S7's developer."""
    rng = stream(spec.seed, "projects")
    n = spec.count(S.CONSTRUCTION_PROJECTS, minimum=8)
    active = enterprises.filter(pl.col("status") == "存续")
    builders = active.filter(pl.col("industry") == "E")
    developers = active.filter(pl.col("industry") == "K")
    contractor = builders["enterprise_id"].to_numpy()[rng.integers(0, builders.height, n)]
    private = rng.random(n) < 0.6
    developer = np.where(
        private, developers["enterprise_id"].to_numpy()[rng.integers(0, developers.height, n)], None
    )
    grids = layout.grids
    w = grids["pop_weight"].to_numpy()
    grid = rng.choice(grids.height, n, p=w / w.sum())
    town = grids["town_code"].to_numpy()[grid]
    tname = dict(zip(layout.towns["code"], layout.towns["name"], strict=True))
    lon, lat = layout.sample_points(grid, rng)
    kinds = np.where(
        private,
        rng.choice(["住宅", "商业综合体", "厂房"], n, p=[0.6, 0.15, 0.25]),
        rng.choice(["道路", "学校", "安置房", "市政"], n),
    )
    names = np.array(
        [
            f"{_short(tname[t])}{rng.choice(roads[t])}{k}项目（{i + 1}标段）"
            for i, (t, k) in enumerate(zip(town, kinds, strict=True))
        ]
    )
    start = np.datetime64("2015-01-01") + rng.integers(0, 1600, n).astype("timedelta64[D]")
    contract_wan = np.round(np.exp(rng.normal(8.5, 1.0, n)), 0)
    status = rng.choice(["在建", "竣工", "停工"], n, p=[0.6, 0.33, 0.07])
    wage_bank = rng.choice(len(BANKS), n, p=_BANK_P)
    dep_bank = rng.choice(len(BANKS), n, p=_BANK_P)
    projects = pl.DataFrame(
        {
            "project_id": [f"J{i:06d}" for i in range(1, n + 1)],
            "name": names,
            "kind": kinds,
            "contractor_id": contractor,
            "developer_id": text(developer),
            "grid_index": grid,
            "town_code": town,
            "lon": lon,
            "lat": lat,
            "started_on": start,
            "contract_wan": contract_wan,
            "status": status,
            "wage_bank": np.array(BANKS)[wage_bank],
            "deposit_bank": np.array(BANKS)[dep_bank],
            # Wage guarantee deposit: a share of the contract, at least 10万.
            "deposit_wan": np.maximum(10, np.round(contract_wan * rng.uniform(0.01, 0.03, n), 1)),
        }
    )
    accounts = _project_accounts(rng, projects, enterprises, tname)
    # S7: a developer in 良渚 goes bankrupt; its project stops, its deposit sits at a bank.
    s7 = _bankrupt_developer(projects, developers)
    if s7:
        projects = projects.with_columns(
            pl.when(pl.col("project_id") == s7["project_id"])
            .then(pl.lit("停工"))
            .otherwise(pl.col("status"))
            .alias("status")
        )
    return projects, accounts, s7


def _project_accounts(
    rng: np.random.Generator, projects: pl.DataFrame, enterprises: pl.DataFrame, tname: dict
) -> pl.DataFrame:
    """Bank accounts: each enterprise's basic account, each project's wage account and deposit."""
    e = enterprises.filter(pl.col("kind") == "enterprise")
    eb = rng.choice(len(BANKS), e.height, p=_BANK_P)
    n_p = projects.height

    def acct(k: int) -> np.ndarray:
        return np.array([f"{v:019d}" for v in rng.integers(10**17, 10**18 * 9, k)])

    tshort = {c: n.removesuffix("街道").removesuffix("镇") for c, n in tname.items()}
    rows = [
        pl.DataFrame(
            {
                "account_no": acct(e.height),
                "bank": np.array(BANKS)[eb],
                "branch": [tshort[t] + "支行" for t in e["town_code"]],
                "holder_kind": "enterprise",
                "holder_id": e["enterprise_id"],
                "project_id": pl.Series([None] * e.height, dtype=pl.Utf8),
                "purpose": "基本存款账户",
                "balance_wan": np.round(np.exp(rng.normal(3.0, 1.5, e.height)), 2),
            }
        ),
        pl.DataFrame(
            {
                "account_no": acct(n_p),
                "bank": projects["wage_bank"],
                "branch": [tshort[t] + "支行" for t in projects["town_code"]],
                "holder_kind": "enterprise",
                "holder_id": projects["contractor_id"],
                "project_id": projects["project_id"],
                "purpose": "农民工工资专用账户",
                "balance_wan": np.round(
                    projects["contract_wan"].to_numpy() * rng.uniform(0.0, 0.05, n_p), 2
                ),
            }
        ),
        pl.DataFrame(
            {
                "account_no": acct(n_p),
                "bank": projects["deposit_bank"],
                "branch": [tshort[t] + "支行" for t in projects["town_code"]],
                "holder_kind": "enterprise",
                "holder_id": projects["developer_id"].fill_null(projects["contractor_id"]),
                "project_id": projects["project_id"],
                "purpose": "工程建设保证金",
                "balance_wan": projects["deposit_wan"],
            }
        ),
    ]
    return pl.concat(rows).with_columns(pl.col("account_no").cast(pl.Utf8))


def _bankrupt_developer(projects: pl.DataFrame, developers: pl.DataFrame) -> dict:
    own = projects.filter(pl.col("developer_id").is_not_null() & (pl.col("kind") == "住宅"))
    if own.height == 0:
        own = projects.filter(pl.col("developer_id").is_not_null())
    if own.height == 0:
        return {}
    liangzhu = own.filter(pl.col("town_code") == "330110010")
    row = (liangzhu if liangzhu.height else own).row(0, named=True)
    return {
        "developer_id": row["developer_id"],
        "project_id": row["project_id"],
        "deposit_bank": row["deposit_bank"],
        "deposit_wan": row["deposit_wan"],
    }
