"""Offline validation of device payloads against the schemas in schemas/ (docs/DEVICES.md).

All schemas are loaded into one `referencing.Registry` by their `$id`; a `$ref` to anything
not in the folder fails rather than being fetched. `date-time` is checked by our own format
checker (jsonschema needs an extra package for it), since a device's timestamps feed events.

The resolved, flattened schemas are compiled once by `jsonschema_rs` (a Rust validator,
2.5-3 µs a payload where jsonschema took 100-180 µs, benchmarks/bench_device_ingest.py: the
ingest's budget at 5,000 messages/s is 200 µs for everything); jsonschema, on the same schema
with the same format checks, only explains a payload already found invalid (its best_match
names the most relevant error).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
# The profile each uplink channel's payload must satisfy (and the hub's own command).
PROFILES = {
    "heartbeat": "zhili-heartbeat.schema.json",
    "measurement": "zhili-measurement.schema.json",
    "alert": "zhili-alert.schema.json",
    "alert/camera": "zhili-camera-alert.schema.json",  # a camera's thrown-object detection
    "cmd": "zhili-command.schema.json",
    "cmd/ack": "zhili-ack.schema.json",
}

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parse_time(value)
    return True


def parse_time(value: str) -> dt.datetime:
    """An ISO 8601 / RFC 3339 timestamp with an offset (or Z) → naive UTC, as the hub stores."""
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return t.astimezone(dt.UTC).replace(tzinfo=None)


@cache
def registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        doc = json.loads(path.read_text("utf-8"))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


@formats.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    # An absolute URI has a scheme: without this check every string is a "uri", and the
    # models' oneOf(uri, identifier) would reject every plain identifier as matching both.
    if isinstance(value, str) and not _SCHEME.match(value):
        raise ValueError(f"{value!r} is not an absolute URI")
    return True


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _inline(node: Any, resolver: Any) -> Any:
    """The schema with every $ref replaced by what it points at (none of ours is recursive):
    validating through references costs several times more than the checks themselves."""
    if isinstance(node, dict):
        if "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            target = _inline(resolved.contents, resolved.resolver)
            rest = {k: _inline(v, resolver) for k, v in node.items() if k != "$ref"}
            return {"allOf": [target, rest]} if rest else target
        return {
            k: (v if k in ("enum", "const") else _inline(v, resolver))
            for k, v in node.items()
            if k not in ("definitions", "$defs", "$id", "$schema")
        }
    if isinstance(node, list):
        return [_inline(v, resolver) for v in node]
    return node


@cache
def validator(channel: str) -> Draft202012Validator:
    doc = json.loads((SCHEMAS / PROFILES[channel]).read_text("utf-8"))
    resolver = registry().resolver(base_uri=doc["$id"])
    return Draft202012Validator(_inline(doc, resolver), format_checker=formats)


def _format(check: Any) -> Any:
    def ok(value: str) -> bool:
        try:
            check(value)
        except ValueError:
            return False
        return True

    return ok


@cache
def compiled(channel: str) -> Any:
    """The channel's profile compiled once (same schema, same format checks)."""
    return jsonschema_rs.validator_for(
        validator(channel).schema,
        formats={"date-time": _format(_date_time), "uri": _format(_uri)},
        validate_formats=True,
    )


def problem(channel: str, payload: Any) -> str | None:
    """None if the payload satisfies its channel's profile, else the most relevant error."""
    if compiled(channel).is_valid(payload):  # the fast path: no error objects built
        return None
    v = validator(channel)
    err = best_match(v.iter_errors(payload))
    if err is None:  # the two validators disagree: say what the compiled one found
        first = next(iter(compiled(channel).iter_errors(payload)))
        where = "/".join(str(p) for p in first.instance_path) or "(root)"
        return f"{where}: {first.message}"[:500]
    where = "/".join(str(p) for p in err.absolute_path) or "(root)"
    return f"{where}: {err.message}"[:500]
