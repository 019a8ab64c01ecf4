"""S5: registration rate and accuracy of the floating population per community, measured
against the twin's truth; the police's register as the starting point; a campaign of QR
self-registrations raises the rate, and verified moves end stale registrations."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tests.community.conftest import Store
from zhili.community import qr
from zhili.community.registration import (
    import_police_register,
    registration_report,
    simulate_campaign,
    summarize,
)
from zhili.identifiers import resident_id
from zhili.privacy.actors import ANONYMOUS


def _pilot(rows: list[dict], store: Store) -> dict:
    return next(r for r in rows if r["community"] == store.pilot["compound_id"])


def _expected_from_links(store: Store) -> tuple[int, int]:
    """(records at rented dwellings, of them about someone living there), from the links:
    an independent count of what the report finds through ID numbers."""
    links = pl.read_parquet(store.twin / "truth" / "links.parquet").filter(
        pl.col("source") == "police_floating/floating_population"
    )
    rec = links.filter(pl.col("entity_type") == "person").select(
        "record_id", pl.col("entity_id").alias("person_id")
    )
    rec = rec.join(
        links.filter(pl.col("entity_type") == "house").select(
            "record_id", pl.col("entity_id").alias("house_id")
        ),
        on="record_id",
    )
    houses = pl.read_parquet(store.twin / "truth" / "houses.parquet").filter(pl.col("rented"))
    persons = pl.read_parquet(store.twin / "truth" / "persons.parquet").select(
        "person_id", pl.col("house_id").alias("home")
    )
    rec = rec.filter(pl.col("house_id").is_in(houses["house_id"].implode())).join(
        persons, on="person_id"
    )
    raw = pl.read_csv(
        store.twin / "sources" / "police_floating" / "floating_population.csv",
        infer_schema_length=0,
    )
    valid = raw.filter(
        pl.col("证件号码").map_elements(resident_id.is_valid, return_dtype=pl.Boolean)
    )["record_id"]
    ok = rec.filter(pl.col("record_id").is_in(valid.implode()))
    return rec.height, int((ok["house_id"] == ok["home"]).sum())


def test_registration_rate_and_accuracy_against_the_truth(store: Store) -> None:
    with store.sessions() as s:
        empty = summarize(registration_report(s, store.twin))
        assert empty["rate"] == 0.0 and empty["accuracy"] is None and empty["tenants"] > 0
        counts = import_police_register(s, store.twin)
        rows = registration_report(s, store.twin)
    base = summarize(rows)
    records, correct = _expected_from_links(store)
    # Records with a mistyped ID number are not imported (they could not be verified).
    assert counts["imported"] + counts["invalid_id"] == records
    assert base["verified"] == counts["imported"]
    # Matching by ID number finds what the links say, up to the numbers noise left valid.
    assert abs(base["verified_correct"] - correct) <= 0.002 * records
    assert 0.5 < base["rate"] < 0.95 and 0.8 < base["accuracy"] < 0.98  # stale addresses
    assert base["tenants_registered"] <= base["tenants"]
    before = _pilot(rows, store)

    # A campaign in the pilot: tenants scan their flats' codes, officers verify.
    officer = store.officer("village_officer")
    with store.sessions() as s:
        done = simulate_campaign(
            s, store.ctx, store.twin, officer, share=0.9, communities=[store.pilot["compound_id"]]
        )
        after = _pilot(registration_report(s, store.twin), store)
    assert done["registered"] == done["verified"] > 0 and done["ended"] > 0
    assert after["rate"] > before["rate"] + 0.1 and after["rate"] > 0.9
    # Tenants who moved in and registered anew ended their stale registrations.
    assert after["accuracy"] > before["accuracy"]


def test_a_wrong_registration_counts_against_accuracy(store: Store) -> None:
    with store.sessions() as s:
        before = _pilot(registration_report(s, store.twin), store)
        if before["verified"] == 0:
            # The test above was run elsewhere (pytest -n: another worker, another store):
            # the register gives the pilot verified registrations to be wrong against.
            import_police_register(s, store.twin)
            before = _pilot(registration_report(s, store.twin), store)
        from sqlalchemy import select

        from zhili.community.models import CommunityPlace
        from zhili.hub.models import Resident

        flat = s.scalars(
            select(CommunityPlace).where(
                CommunityPlace.kind == "flat",
                CommunityPlace.compound_id == store.pilot["compound_id"],
            )
        ).first()
        # Someone who lives elsewhere (not in a rented dwelling at all) registers here.
        outsider = s.scalars(select(Resident).where(~Resident.migrant)).first()
        r = qr.self_register(s, store.ctx, ANONYMOUS, flat.token, outsider.name,
                             outsider.id_number, None)  # fmt: skip
        qr.decide(s, store.ctx, store.officer(), r["id"], verify=True)
        after = _pilot(registration_report(s, store.twin), store)
    assert after["verified"] == before["verified"] + 1
    assert after["verified_correct"] == before["verified_correct"]
    assert after["accuracy"] < before["accuracy"]


def test_the_cli_prints_the_report(store: Store) -> None:
    if not store.url.startswith("sqlite"):
        return  # the command reads DATA/zhili.db; once is enough
    from zhili.cli import app

    data = Path(store.url.removeprefix("sqlite:///")).parent  # the store's own directory
    if not (data / "twin").exists():
        (data / "twin").symlink_to(store.twin)
    result = CliRunner().invoke(app, ["community", "registration-report", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "昌运里" in result.output and "%" in result.output
    result = CliRunner().invoke(
        app, ["community", "registration-report", "--json", "--data", str(data)]
    )
    last = result.output.strip().splitlines()[-1]
    assert '"community": "all"' in last and '"rate"' in last
