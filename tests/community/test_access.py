"""S1: what reaches the hub from the gates is a credential id and a time, never a face or a
fingerprint; the register says whose flat a credential is; daily activity reads the same
before and after retention turns raw passages into daily counts."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import func, inspect, select

from tests.community.conftest import Store
from zhili.community.access import flat_daily, local_today, person_daily, resident_activity
from zhili.community.load import load_twin
from zhili.community.models import CommunityCredential, CommunityPlace
from zhili.hub.models import AccessEvent
from zhili.privacy.actors import Actor, cli_operator
from zhili.privacy.models import AuditRecord
from zhili.privacy.policy import NotFound, PurposeRequired
from zhili.privacy.purpose import Purpose
from zhili.privacy.retention import run_retention

JUNE = (dt.date(2019, 6, 17), dt.date(2019, 6, 30))


def test_no_biometric_column_anywhere(store: Store) -> None:
    with store.sessions() as s:
        insp = inspect(s.connection())
        for table in ("access_events", "access_daily", "community_credentials"):
            columns = {c["name"] for c in insp.get_columns(table)}
            assert not columns & {"face", "fingerprint", "template", "photo", "image"}, table


def test_places_and_codes_cover_every_building_and_rented_dwelling(
    store: Store, rented: pl.DataFrame
) -> None:
    buildings = pl.read_parquet(store.twin / "truth" / "buildings.parquet")
    with store.sessions() as s:
        kinds = dict(
            s.execute(select(CommunityPlace.kind, func.count()).group_by(CommunityPlace.kind)).all()
        )
        tokens = s.scalars(select(CommunityPlace.token)).all()
        before = dict(s.execute(select(CommunityPlace.ref, CommunityPlace.token)).all())
        again = load_twin(s, store.twin)
        after = dict(s.execute(select(CommunityPlace.ref, CommunityPlace.token)).all())
    assert kinds == {"building": buildings.height, "flat": rented.height}
    assert len(set(tokens)) == len(tokens) and min(len(t) for t in tokens) >= 22
    assert again["codes_issued"] == 0 and after == before  # printed codes keep working


def test_the_register_matches_credentials_to_the_right_flats(store: Store) -> None:
    links = pl.read_parquet(store.twin / "truth" / "links.parquet").filter(
        pl.col("source") == "property_access/residents"
    )
    registry = pl.read_ndjson(store.twin / "sources" / "property_access" / "residents.jsonl")
    truth = registry.join(
        links.filter(pl.col("entity_type") == "house").select(
            "record_id", pl.col("entity_id").alias("true_house")
        ),
        on="record_id",
    ).select("credential_id", "true_house")
    with store.sessions() as s:
        ours = dict(
            s.execute(select(CommunityCredential.credential_id, CommunityCredential.house_id)).all()
        )
    matched = sum(ours.get(c) == h for c, h in truth.iter_rows())
    assert matched == truth.height  # the room in the register names the flat exactly


def test_daily_activity_per_person_and_flat(store: Store) -> None:
    with store.sessions() as s:
        raw = s.scalar(
            select(func.count()).select_from(AccessEvent).where(AccessEvent.person_id.is_not(None))
        )
        daily = person_daily(s, *JUNE)
        flats = flat_daily(s, *JUNE)
    assert daily["passages"].sum() == raw
    assert daily["day"].min() == JUNE[0] and daily["day"].max() == JUNE[1]
    # A quiet day is a zero, not a missing row: every flat has all 14 days.
    per_flat = flats.group_by("house_id").len()
    assert per_flat["len"].min() == 14
    assert flats["passages"].sum() == raw
    assert (flats["passages"] == 0).any()


def test_activity_is_a_purpose_bound_audited_read(store: Store) -> None:
    planted = store.facts["s2"]["welfare_check"][0]
    officer = store.officer()
    with store.sessions() as s:
        try:
            resident_activity(s, store.ctx, officer, planted, None, JUNE[1])
            raise AssertionError("a read without a purpose passed")
        except PurposeRequired:
            s.rollback()
        why = Purpose("statutory_duty", "E00000001", "独居老人探访")
        a = resident_activity(s, store.ctx, officer, planted, why, JUNE[1], days=14)
        assert [d["passages"] for d in a.days][-5:] == [0, 0, 0, 0, 0]  # the planted silence
        assert a.total > 0 and len(a.days) == 14
        outside = Actor(id="user:x", role="village_officer", scope="330110001001")
        try:
            resident_activity(s, store.ctx, outside, planted, why, JUNE[1])
            raise AssertionError("an officer outside the area read it")
        except NotFound:
            s.rollback()
        rec = s.scalars(
            select(AuditRecord).where(AuditRecord.resource == f"person:{planted}/activity")
        ).all()
        assert len(rec) == 1 and rec[0].case_id == "E00000001"


def test_local_days() -> None:
    # 16:00 UTC is midnight in Hangzhou: the next local day has begun.
    assert local_today(dt.datetime(2019, 6, 30, 15, 59)) == dt.date(2019, 6, 30)
    assert local_today(dt.datetime(2019, 6, 30, 16, 0)) == dt.date(2019, 7, 1)


def test_activity_reads_the_same_after_retention(fresh_store: Store) -> None:
    store = fresh_store
    with store.sessions() as s:
        before = person_daily(s, *JUNE)
        # A cutoff in the middle of a day: that day is part counted, part raw.
        run_retention(s, store.ctx, cli_operator("test"), days=30, now=dt.datetime(2019, 7, 25, 13))
        assert s.scalar(select(func.count()).select_from(AccessEvent)) > 0
        middle = person_daily(s, *JUNE)
        run_retention(s, store.ctx, cli_operator("test"), days=30, now=dt.datetime(2019, 8, 30))
        assert s.scalar(select(func.count()).select_from(AccessEvent)) == 0
        after = person_daily(s, *JUNE)
    assert before.equals(middle) and before.equals(after)
