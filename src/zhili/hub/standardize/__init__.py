"""Standardize what the departments wrote, column by column, before fusion compares it.

- `standardize_ids(series, kind)`: resident ids (15 -> 18 digits, upper-case X, check
  character), credit codes, phones (11-digit mobile or 0571- landline) and plates; one row
  per value with original, value, valid and reason.
- `standardize_names(series)` / `normalize_names` / `name_pinyin`: one written form per name
  (no spaces, half-width, simplified) and its pinyin with surname readings (曾 zeng, 单 shan).
- `parse_dates(series, kind)`: every date and datetime style of the sources, Excel serials.
- `parse_addresses(series)` / `canonical_address` / `CompoundIndex`: addresses against the
  district gazetteer, one canonical string per place.

All take polars Series and do their Python work (if any) once per distinct value.
"""

from zhili.hub.standardize.address import (
    CompoundIndex,
    Gazetteer,
    canonical_address,
    load_gazetteer,
    parse_addresses,
)
from zhili.hub.standardize.dates import DateParse, parse_dates, to_date, to_datetime
from zhili.hub.standardize.ids import (
    standardize_credit_codes,
    standardize_ids,
    standardize_phones,
    standardize_plates,
    standardize_resident_ids,
)
from zhili.hub.standardize.names import (
    name_pinyin,
    normalize_name,
    normalize_names,
    pinyin_of,
    standardize_names,
)

__all__ = [
    "CompoundIndex",
    "DateParse",
    "Gazetteer",
    "canonical_address",
    "load_gazetteer",
    "name_pinyin",
    "normalize_name",
    "normalize_names",
    "parse_addresses",
    "parse_dates",
    "pinyin_of",
    "standardize_credit_codes",
    "standardize_ids",
    "standardize_names",
    "standardize_phones",
    "standardize_plates",
    "standardize_resident_ids",
    "to_date",
    "to_datetime",
]
