"""Registration of the floating population at rented dwellings, measured against the twin's
truth (S5; the seed claims 100 %): per community (a compound, or the village for rented
village houses),
    rate     = tenants with a verified registration at the dwelling they really live in
               / tenants who really live in the community's rented dwellings
    accuracy = verified registrations naming someone who really lives there / all verified
A registration is matched to a person by its ID number: a mistyped number names nobody, so it
counts against accuracy.

Two ways registrations get there besides tenants scanning codes: the police's existing
floating-population register can be imported as the starting point (`import_police_register`,
its dwelling found through the twin's links, standing in for address matching), and a
registration campaign can be simulated on the twin (`simulate_campaign`) for the demo.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.community.models import CommunityPlace, QrRegistration
from zhili.community.qr import (
    PENDING,
    VERIFIED,
    BadRegistration,
    decide,
    end_registration,
    self_register,
)
from zhili.hub.models import Resident
from zhili.identifiers import resident_id
from zhili.privacy.actors import ANONYMOUS, Actor
from zhili.privacy.context import PrivacyContext

IMPORTED_BY = "import:police_floating"


def _community(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.coalesce("compound_id", "village_code").alias("community"),
        pl.coalesce("compound_name", "village_name").alias("community_name"),
    )


def rented_truth(twin: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rented dwellings with their community, the persons who really live in them)."""
    truth = twin / "truth"
    houses = _community(pl.read_parquet(truth / "houses.parquet").filter(pl.col("rented"))).select(
        "house_id", "community", "community_name", "grid_code"
    )
    persons = pl.read_parquet(
        truth / "persons.parquet", columns=["person_id", "id_number", "house_id"]
    )
    tenants = persons.join(houses.select("house_id", "community"), on="house_id", how="inner")
    return houses, tenants


def registrations_frame(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(QrRegistration.id_number, QrRegistration.status, CommunityPlace.ref).join(
            CommunityPlace, CommunityPlace.id == QrRegistration.place_id
        )
    ).all()
    schema = {"id_number": pl.Utf8, "status": pl.Utf8, "house_id": pl.Utf8}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def registration_report(session: Session, twin: Path) -> list[dict]:
    """Per community with rented dwellings: tenants, registrations, rate and accuracy."""
    houses, tenants = rented_truth(twin)
    regs = registrations_frame(session).join(
        houses.select("house_id", "community"), on="house_id", how="inner"
    )
    # Who the ID number names, and where that person really lives.
    truth_home = pl.read_parquet(
        twin / "truth" / "persons.parquet", columns=["id_number", "house_id"]
    ).rename({"house_id": "true_house"})
    regs = regs.join(truth_home, on="id_number", how="left").with_columns(
        (pl.col("true_house") == pl.col("house_id")).fill_null(False).alias("correct")
    )
    verified = regs.filter(pl.col("status") == VERIFIED)
    reached = (
        verified.filter(pl.col("correct"))
        .group_by("community")
        .agg(pl.col("id_number").n_unique().alias("tenants_registered"))
    )
    per_reg = regs.group_by("community").agg(
        (pl.col("status") == VERIFIED).sum().alias("verified"),
        (pl.col("status") == PENDING).sum().alias("pending"),
        ((pl.col("status") == VERIFIED) & pl.col("correct")).sum().alias("verified_correct"),
    )
    base = (
        houses.group_by("community")
        .agg(pl.col("community_name").first(), pl.len().alias("rented_dwellings"))
        .join(
            tenants.group_by("community").agg(pl.len().alias("tenants")), on="community", how="left"
        )
        .join(per_reg, on="community", how="left")
        .join(reached, on="community", how="left")
        .fill_null(0)
        .sort("community")
    )
    out = []
    for r in base.iter_rows(named=True):
        out.append(_rates(r))
    return out


def _rates(r: dict) -> dict:
    r["rate"] = round(r["tenants_registered"] / r["tenants"], 4) if r["tenants"] else None
    r["accuracy"] = round(r["verified_correct"] / r["verified"], 4) if r["verified"] else None
    return r


def summarize(rows: list[dict]) -> dict:
    """The district's figures over the communities' rows."""
    keys = ("rented_dwellings", "tenants", "verified", "pending", "verified_correct",
            "tenants_registered")  # fmt: skip
    total = {k: sum(r[k] for r in rows) for k in keys}
    return _rates({"community": "all", "community_name": "全部", **total})


def import_police_register(session: Session, twin: Path, batch: int = 20_000) -> dict[str, int]:
    """The police's floating-population register as verified registrations, where its
    dwelling is a rented one with a code. Its ID numbers keep their errors: a record whose
    number fails the check is not imported (counted), as an officer could not verify it."""
    path = twin / "sources" / "police_floating" / "floating_population.csv"
    raw = pl.read_csv(path, infer_schema_length=0)
    links = pl.read_parquet(twin / "truth" / "links.parquet").filter(
        (pl.col("source") == "police_floating/floating_population")
        & (pl.col("entity_type") == "house")
    )
    raw = raw.join(
        links.select("record_id", pl.col("entity_id").alias("house_id")), on="record_id", how="left"
    )
    places = dict(
        session.execute(
            select(CommunityPlace.ref, CommunityPlace.id).where(CommunityPlace.kind == "flat")
        ).all()
    )
    grids = dict(
        session.execute(
            select(CommunityPlace.id, CommunityPlace.grid_code).where(CommunityPlace.kind == "flat")
        ).all()
    )
    persons = dict(session.execute(select(Resident.id_number, Resident.person_id)).all())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows, invalid, elsewhere = [], 0, 0
    for rec in raw.select("姓名", "证件号码", "联系电话", "登记日期", "house_id").iter_rows():
        name, number, phone, registered_on, house = rec
        place_id = places.get(house or "")
        if place_id is None:
            elsewhere += 1
            continue
        clean, _ = resident_id.validate(number)
        if clean is None:
            invalid += 1
            continue
        try:
            at = dt.datetime.fromisoformat(str(registered_on))
        except ValueError:
            at = now
        rows.append(
            {
                "place_id": place_id,
                "grid_code": grids[place_id],
                "name": (name or "").strip()[:64] or "?",
                "id_number": clean,
                "phone": (phone or None) and str(phone)[:20],
                "person_id": persons.get(clean),
                "status": VERIFIED,
                "submitted_at": at,
                "submitted_by": IMPORTED_BY,
                "decided_at": at,
                "decided_by": IMPORTED_BY,
                "note": "公安流动人口登记导入",
            }
        )
    for i in range(0, len(rows), batch):
        session.execute(insert(QrRegistration), rows[i : i + batch])
    session.commit()
    return {
        "records": raw.height,
        "imported": len(rows),
        "invalid_id": invalid,
        "not_at_a_rented_dwelling": elsewhere,
    }


def simulate_campaign(
    session: Session,
    ctx: PrivacyContext,
    twin: Path,
    officer: Actor,
    share: float = 0.9,
    typo: float = 0.03,
    seed: int = 7,
    communities: list[str] | None = None,
) -> dict[str, int]:
    """A registration drive on the twin: tenants not yet verified where they live scan their
    dwelling's code (with probability `share`) and register through the same service as the
    API; some mistype their ID number (`typo`), are refused by the check digit, and half of
    them give up. The officer then visits each flat where someone registered: verifies the
    pending registrations (everyone who registers here does live there) and ends the verified
    ones of people no longer found at the door (the visit's finding is taken from the truth)."""
    rng = np.random.default_rng(seed)
    _, tenants = rented_truth(twin)
    if communities:
        tenants = tenants.filter(pl.col("community").is_in(communities))
    done = registrations_frame(session).filter(pl.col("status") == VERIFIED)
    done_keys = set(zip(done["id_number"], done["house_id"], strict=True))
    people = pl.read_parquet(
        twin / "truth" / "persons.parquet", columns=["person_id", "name", "phone"]
    )
    tenants = tenants.join(people, on="person_id", how="left").sort("person_id")
    tokens = dict(
        session.execute(
            select(CommunityPlace.ref, CommunityPlace.token).where(CommunityPlace.kind == "flat")
        ).all()
    )
    counts = {
        "scanned": 0,
        "refused_typo": 0,
        "gave_up": 0,
        "registered": 0,
        "verified": 0,
        "ended": 0,
    }
    visited: set[str] = set()
    pending: list[int] = []
    for row in tenants.iter_rows(named=True):
        number, house = row["id_number"], row["house_id"]
        if (number, house) in done_keys or house not in tokens or rng.random() >= share:
            continue
        counts["scanned"] += 1
        if rng.random() < typo:
            wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
            try:
                self_register(session, ctx, ANONYMOUS, tokens[house], row["name"], wrong, None)
            except BadRegistration:
                counts["refused_typo"] += 1
            if rng.random() < 0.5:
                counts["gave_up"] += 1
                continue
        reg = self_register(
            session, ctx, ANONYMOUS, tokens[house], row["name"], number, row["phone"]
        )
        counts["registered"] += int(reg["created"])
        visited.add(house)
        if reg["status"] == PENDING:
            pending.append(reg["id"])
    for reg_id in pending:
        decide(session, ctx, officer, reg_id, verify=True, note="上门核验")
        counts["verified"] += 1
    home = dict(
        pl.read_parquet(twin / "truth" / "persons.parquet", columns=["id_number", "house_id"])
        .unique("id_number", keep="first")
        .iter_rows()
    )
    stale = session.execute(
        select(QrRegistration.id, QrRegistration.id_number, CommunityPlace.ref)
        .join(CommunityPlace, CommunityPlace.id == QrRegistration.place_id)
        .where(CommunityPlace.ref.in_(sorted(visited)), QrRegistration.status == VERIFIED)
    ).all()
    for reg_id, number, house in stale:
        if home.get(number) != house:
            end_registration(session, ctx, officer, reg_id, "上门核查：已不在此居住")
            counts["ended"] += 1
    return counts
