"""Routing rules are data: the seed is complete, lookups take the longest prefix, and an edit
makes a new version that new events follow while old events keep theirs."""

from __future__ import annotations

import dataclasses

import pytest

from tests.events.conftest import Hub
from zhili.events.categories import tree
from zhili.events.intake import prepare, write_batch
from zhili.events.lifecycle import LEVELS
from zhili.events.routing import InvalidRules, RuleBook, save_version, seed_rules, validate_rules
from zhili.events.schemas import EventIn


def test_seed_rules_cover_every_category_at_every_level() -> None:
    rules = seed_rules()
    validate_rules(rules)
    book = RuleBook(1, rules)
    for code in tree().categories:
        for level in LEVELS:
            assert book.rule(code, level).department
    assert book.rule("fire.smoke_alarm", "grid").deadline_hours == 2  # emergencies: 2 h
    assert book.rule("utilities.water", "town").deadline_hours == 24  # water/power/gas: 24 h
    assert book.rule("urban.road_damage", "grid").deadline_hours == 168  # general: 7 days
    assert book.rule("urban.illegal_building", "grid").deadline_hours == 360  # complex: 15 days
    assert book.start_level("petition.real_estate") == "town"


def test_invalid_rules_are_refused() -> None:
    rules = [r for r in seed_rules() if not (r.category == "fire" and r.level == "town")]
    with pytest.raises(InvalidRules, match="fire"):
        validate_rules(rules)
    bad = [dataclasses.replace(seed_rules()[0], deadline_hours=0)]
    with pytest.raises(InvalidRules):
        validate_rules(bad + seed_rules()[1:])


def test_an_edit_is_a_new_version_that_new_events_follow(hub: Hub) -> None:
    gw = hub.actor("grid_worker")
    lon, lat = hub.point
    with hub.sessions() as s:
        first = write_batch(
            s,
            hub.state,
            hub.ctx,
            [
                prepare(
                    hub.state, gw, EventIn(category="urban.road_damage", lon=lon, lat=lat), "grid"
                )
            ],
        )[0]
        s.commit()
        assert hub.state.book(s).version == 1
        rules = [
            dataclasses.replace(r, department="道路养护专班")
            if (r.category, r.level) == ("urban", "grid")
            else r
            for r in seed_rules()
        ]
        v = save_version(s, rules, "user:commander", "road damage to the road crew")
        s.commit()
        second = write_batch(
            s,
            hub.state,
            hub.ctx,
            [
                prepare(
                    hub.state, gw, EventIn(category="urban.road_damage", lon=lon, lat=lat), "grid"
                )
            ],
        )[0]
        s.commit()
    assert v == 2
    assert first.department == "网格员" and second.department == "道路养护专班"
