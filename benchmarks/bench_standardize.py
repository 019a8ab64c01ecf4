"""Throughput of zhili.hub.standardize on real twin columns, and address accuracy per form.

Prints one JSON line: values/s for each identifier kind, names + pinyin, dates, datetimes and
addresses (N values each, drawn from the department exports of a generated twin: all of a
kind's columns concatenated, then sampled to N), the distinct share of each input, and the
address accuracy against the twin's truth per written form.

.venv/bin/python benchmarks/bench_standardize.py [--scale 0.1] [--twin DIR] [--n 1000000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from zhili.hub.standardize import (
    parse_addresses,
    parse_dates,
    standardize_ids,
    standardize_names,
)
from zhili.hub.standardize.accuracy import HOUSE_ADDRESS_COLUMNS, address_accuracy, read_source
from zhili.hub.standardize.names import pinyin_of

# (source, column) per kind of value, as the twin's departments export them.
ID_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "resident_id": [
        ("police_household/household_register", "GMSFHM"),
        ("police_floating/floating_population", "证件号码"),
        ("telecom/real_name", "cert_no"),
        ("hr_social_insurance/contributions", "AAC002"),
        ("civil_affairs/care_list", "身份证号"),
        ("police_floating/rental_housing", "房东身份证号"),
        ("market_regulation/enterprise_register", "法定代表人证件号码"),
        ("health_births/birth_certificates", "母亲身份证号"),
    ],
    "phone": [
        ("police_floating/floating_population", "联系电话"),
        ("civil_affairs/care_list", "联系电话"),
        ("education_students/students", "监护人电话"),
        ("power_accounts/accounts", "联系电话"),
        ("water_accounts/accounts", "联系电话"),
        ("police_floating/rental_housing", "房东电话"),
        ("property_access/residents", "mobile"),
        ("hotline_12345/work_orders", "来电号码"),
        ("telecom/real_name", "msisdn"),
    ],
    "credit_code": [
        ("market_regulation/enterprise_register", "统一社会信用代码"),
        ("fire/inspections", "统一社会信用代码"),
        ("work_safety/inspections", "统一社会信用代码"),
        ("hr_social_insurance/contributions", "AAB998"),
        ("tax_ledger/taxpayers", "纳税人识别号"),
    ],
    "plate": [
        ("traffic/vehicles", "HPHM"),
        ("property_access/residents", "plate"),
        ("traffic/accidents", "DSCL_HPHM"),
    ],
}
NAME_COLUMNS = [
    ("police_household/household_register", "XM"),
    ("police_floating/floating_population", "姓名"),
    ("telecom/real_name", "cust_name"),
    ("hr_social_insurance/contributions", "AAC003"),
    ("property_access/residents", "resident_name"),
    ("education_students/students", "姓名"),
    ("education_students/students", "监护人"),
    ("health_births/birth_certificates", "母亲姓名"),
    ("civil_affairs/care_list", "姓名"),
    ("police_floating/rental_housing", "房东姓名"),
]
DATE_COLUMNS = [
    ("police_household/household_register", "CSRQ"),
    ("police_floating/floating_population", "出生日期"),
    ("police_floating/floating_population", "登记日期"),
    ("telecom/real_name", "activated_on"),
    ("hr_social_insurance/contributions", "AAC030"),
    ("water_accounts/accounts", "开户日期"),
    ("bank/accounts", "开户日期"),
    ("health_births/birth_certificates", "出生日期"),
    ("petitions", "登记日期"),
    ("labour_inspection/complaints", "投诉日期"),
    ("mediation/cases", "受理日期"),
    ("traffic/vehicles", "CCDJRQ"),
    ("market_regulation/enterprise_register", "成立日期"),
    ("tax_ledger/taxpayers", "登记日期"),
]
DATETIME_COLUMNS = [
    ("property_access/access_events", "passed_at"),
    ("hotline_12345/work_orders", "来电时间"),
    ("hotline_12345/work_orders", "办结时间"),
    ("urban_management/cases", "上报时间"),
    ("traffic/accidents", "SGFSSJ"),
    ("police_incidents/incidents", "bjsj"),
    ("fire/fires", "起火时间"),
]
ADDRESS_COLUMNS = [
    *HOUSE_ADDRESS_COLUMNS.items(),
    ("market_regulation/enterprise_register", "住所"),
    ("fire/inspections", "地址"),
    ("hotline_12345/work_orders", "地址"),
    ("urban_management/cases", "地址描述"),
    ("traffic/vehicles", "ZSXXDZ"),
]


def _column(twin: Path, columns: list[tuple[str, str]], n: int, seed: int) -> pl.Series:
    """Every value of the columns, concatenated and sampled to n (with replacement if short)."""
    parts = [read_source(twin, source, [col])[col].alias("v") for source, col in columns]
    values = pl.concat(parts)
    return values.sample(n, with_replacement=values.len() < n, seed=seed, shuffle=True)


def _rate(fn: Callable[[], object], n: int, repeats: int) -> float:
    """Best of `repeats` timed runs (after one warm-up on a slice) in values per second."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return round(n / best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--twin", type=Path, help="an existing twin directory (else generate)")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        twin = args.twin
        if twin is None:
            from zhili.twin.generate import generate
            from zhili.twin.spec import TwinSpec

            twin = Path(tmp) / "twin"
            generate(TwinSpec(scale=args.scale, seed=args.seed), twin)
        summary = json.loads((twin / "summary.json").read_text(encoding="utf-8"))
        n = args.n

        inputs: dict[str, pl.Series] = {
            kind: _column(twin, cols, n, args.seed) for kind, cols in ID_COLUMNS.items()
        }
        inputs["names"] = _column(twin, NAME_COLUMNS, n, args.seed)
        inputs["dates"] = _column(twin, DATE_COLUMNS, n, args.seed)
        inputs["datetimes"] = _column(twin, DATETIME_COLUMNS, n, args.seed)
        inputs["addresses"] = _column(twin, ADDRESS_COLUMNS, n, args.seed)

        def names() -> None:
            pinyin_of.cache_clear()  # every run computes every distinct name's pinyin
            standardize_names(inputs["names"])

        jobs: dict[str, Callable[[], object]] = {
            kind: (lambda k=kind: standardize_ids(inputs[k], k))  # type: ignore[misc]
            for kind in ID_COLUMNS
        }
        jobs["names_pinyin"] = names
        jobs["dates"] = lambda: parse_dates(inputs["dates"], "date")
        jobs["datetimes"] = lambda: parse_dates(inputs["datetimes"], "datetime")
        jobs["addresses"] = lambda: parse_addresses(inputs["addresses"])
        # Warm-up: regex compilation, the gazetteer, OpenCC and pypinyin tables.
        standardize_names(inputs["names"].head(1000))
        parse_addresses(inputs["addresses"].head(1000))
        rates = {name: _rate(fn, n, args.repeats) for name, fn in jobs.items()}
        ids_total = n * len(ID_COLUMNS) / sum(n / rates[k] for k in ID_COLUMNS)

        date_report = parse_dates(inputs["dates"], "date")
        datetime_report = parse_dates(inputs["datetimes"], "datetime")
        accuracy = address_accuracy(twin)

    result = {
        "benchmark": "standardize",
        "scale": summary["scale"],
        "n": n,
        "values_per_s": {**rates, "ids_all_kinds": round(ids_total)},
        "distinct_share": {k: round(v.n_unique() / v.len(), 4) for k, v in inputs.items()},
        "dates_unparsed": date_report.unparsed,
        "datetimes_unparsed": datetime_report.unparsed,
        "address_accuracy": {
            "records": accuracy["records"],
            "overall": accuracy["overall"],
            "by_form": {form: v["share"] for form, v in accuracy["by_form"].items()},
        },
        "seconds_total": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
