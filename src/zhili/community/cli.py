"""`zhili community …`: load the smart communities from the twin, run the access detectors,
print QR sheets and camera coverage, and measure registration against the twin's truth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from zhili.config import data_dir

community_app = typer.Typer(
    help="Smart communities: access, police QR codes, cameras.", no_args_is_help=True
)
DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (default ./var).")]


class _Store:
    """The migrated store, the console operator and the privacy context of one command."""

    def __init__(self, data: Path | None) -> None:
        import getpass

        from zhili.db import database_url, make_engine, make_sessionmaker
        from zhili.db.migrate import upgrade
        from zhili.privacy.actors import cli_operator
        from zhili.privacy.context import PrivacyContext

        self.data = data_dir(data)
        self.url = database_url(self.data)
        upgrade(self.url)
        self.engine = make_engine(self.url)
        self.sessions = make_sessionmaker(self.engine)
        self.ctx = PrivacyContext(keys_dir=self.data / "keys")
        self.actor = cli_operator(getpass.getuser())
        self.twin = self.data / "twin"

    def close(self) -> None:
        self.engine.dispose()


def _console_officer(store: _Store):  # type: ignore[no-untyped-def]
    """The console acts for the district in the simulated campaign's verifications (demo
    data only): a named system actor, visible as such in the audit log."""
    from zhili.privacy.actors import Actor

    return Actor(
        id=f"{store.actor.id}:campaign",
        role="district_commander",
        scope="330110",
        display_name="registration campaign (simulated)",
    )


@community_app.command("load-twin")
def load_twin_cmd(data: DataOpt = None) -> None:
    """Buildings and rented dwellings with their QR codes (kept across reloads), the gates'
    credential register and the cameras' placements, from the twin."""
    from zhili.community.load import load_twin

    store = _Store(data)
    with store.sessions() as session:
        counts = load_twin(session, store.twin)
        store.ctx.audit(
            session, store.actor, "hub.load", resource="community", result_count=counts["places"]
        )
        session.commit()
    store.close()
    typer.echo(", ".join(f"{v:,} {k}" for k, v in counts.items()))


@community_app.command("detect")
def detect_cmd(
    data: DataOpt = None,
    quiet_days: Annotated[int, typer.Option(help="Days without a passage → welfare check.")] = 3,
    lookback: Annotated[int, typer.Option(help="Complete days the anomaly detector judges.")] = 1,
    now: Annotated[
        str | None, typer.Option(help="Run as of this UTC time (ISO); default: now.")
    ] = None,
) -> None:
    """Run the welfare-check and access-anomaly detectors into the event hub."""
    from zhili.community.anomaly import AccessAnomalyDetector
    from zhili.community.welfare import WelfareCheckDetector
    from zhili.events.detectors import run_detector
    from zhili.events.hub import district_layout
    from zhili.events.runtime import HubState

    store = _Store(data)
    state = HubState(layout=district_layout(store.data))
    at = dt.datetime.fromisoformat(now) if now else None
    for detector in (
        WelfareCheckDetector(quiet_days=quiet_days),
        AccessAnomalyDetector(lookback_days=lookback),
    ):
        outcomes = run_detector(store.sessions, state, store.ctx, detector, at)
        new = [o for o in outcomes if o.created]
        typer.echo(
            f"{detector.name}: {len(outcomes)} alerts, {len(new)} new"
            + (f" ({', '.join(o.code for o in new[:10])})" if new else "")
        )
    store.close()


@community_app.command("evaluate")
def evaluate_cmd(
    data: DataOpt = None,
    quiet_days: Annotated[int, typer.Option(help="Days without a passage → welfare check.")] = 3,
) -> None:
    """Recall and precision of the detectors against the twin's planted S2 cases (daily
    runs over the gates' data; nothing is written)."""
    from zhili.community.evaluate import evaluate

    store = _Store(data)
    with store.sessions() as session:
        result = evaluate(session, store.twin, quiet_days)
    store.close()
    typer.echo(json.dumps(result, ensure_ascii=False))


@community_app.command("import-police-register")
def import_police_cmd(data: DataOpt = None) -> None:
    """Start the QR register from the police's floating-population register (verified)."""
    from zhili.community.registration import import_police_register

    store = _Store(data)
    with store.sessions() as session:
        counts = import_police_register(session, store.twin)
        store.ctx.audit(
            session,
            store.actor,
            "hub.load",
            resource="qr_registrations<police_floating",
            result_count=counts["imported"],
        )
        session.commit()
    store.close()
    typer.echo(json.dumps(counts, ensure_ascii=False))


@community_app.command("simulate-campaign")
def simulate_cmd(
    data: DataOpt = None,
    share: Annotated[float, typer.Option(help="Share of unregistered tenants who scan.")] = 0.9,
    typo: Annotated[float, typer.Option(help="Share who mistype their ID number first.")] = 0.03,
    community: Annotated[
        list[str] | None, typer.Option(help="Only these communities (compound ids).")
    ] = None,
    seed: int = 7,
) -> None:
    """Demo data: tenants of the twin self-register by their codes and are verified."""
    from zhili.community.registration import simulate_campaign

    store = _Store(data)
    with store.sessions() as session:
        counts = simulate_campaign(
            session,
            store.ctx,
            store.twin,
            _console_officer(store),
            share=share,
            typo=typo,
            seed=seed,
            communities=community,
        )
    store.close()
    typer.echo(json.dumps(counts, ensure_ascii=False))


@community_app.command("registration-report")
def registration_report_cmd(
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per community.")] = False,
    limit: Annotated[int, typer.Option(help="Communities shown (largest first); 0: all.")] = 30,
) -> None:
    """Registration rate and accuracy of the floating population per community, measured
    against the twin's truth (who really lives in the rented dwellings)."""
    from rich.console import Console
    from rich.table import Table

    from zhili.community.registration import registration_report, summarize

    store = _Store(data)
    with store.sessions() as session:
        rows = registration_report(session, store.twin)
    store.close()
    total = summarize(rows)
    if as_json:
        for r in [*rows, total]:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    shown = sorted(rows, key=lambda r: -r["tenants"])
    shown = shown[:limit] if limit else shown

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    table = Table(
        "community", "name", "rented", "tenants", "verified", "pending", "rate", "accuracy"
    )
    for r in [*shown, total]:
        table.add_row(
            r["community"],
            r["community_name"] or "",
            f"{r['rented_dwellings']:,}",
            f"{r['tenants']:,}",
            f"{r['verified']:,}",
            f"{r['pending']:,}",
            pct(r["rate"]),
            pct(r["accuracy"]),
        )
    Console().print(table)
    if limit and len(rows) > limit:
        typer.echo(f"({len(rows) - limit} smaller communities not shown; --limit 0 shows all)")


@community_app.command("sheet")
def sheet_cmd(
    building: Annotated[str, typer.Argument(help="Building id, e.g. B0011745.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")],
    data: DataOpt = None,
    base_url: Annotated[
        str | None, typer.Option(help="Server address on the codes (ZHILI_PUBLIC_URL).")
    ] = None,
) -> None:
    """The printable page of a building's QR codes (the building and its rented flats)."""
    from zhili.community.qr import building_sheet

    store = _Store(data)
    # Printing codes is an officer's act; the console prints for the district, audited.
    with store.sessions() as session:
        page = building_sheet(session, store.ctx, _console_officer(store), building, base_url)
    store.close()
    out.write_text(page, "utf-8")
    typer.echo(f"wrote {out}")


@community_app.command("cameras")
def cameras_cmd(
    building: Annotated[str, typer.Argument(help="Building id.")],
    floors: Annotated[str, typer.Option(help="Floor range, e.g. 10-14.")],
    start: Annotated[str, typer.Option(help="Window start (ISO).")],
    end: Annotated[str | None, typer.Option(help="Window end (ISO; default start).")] = None,
    data: DataOpt = None,
) -> None:
    """The cameras covering floors of a building and the clips to retrieve (S3)."""
    from zhili.community.cameras import coverage

    lo, _, hi = floors.partition("-")
    t0 = dt.datetime.fromisoformat(start)
    t1 = dt.datetime.fromisoformat(end) if end else t0
    store = _Store(data)
    with store.sessions() as session:
        cov = coverage(session, building, int(lo), int(hi or lo), t0, t1)
    store.close()
    typer.echo(json.dumps(cov.as_dict(), ensure_ascii=False, indent=1))


@community_app.command("rotate-code")
def rotate_cmd(
    ref: Annotated[str, typer.Argument(help="Building or house id whose code is replaced.")],
    data: DataOpt = None,
) -> None:
    """Replace a place's code (a lost or copied one stops working at once)."""
    from zhili.community.qr import rotate_token

    store = _Store(data)
    with store.sessions() as session:
        rotate_token(session, ref)
        store.ctx.audit(session, store.actor, "qr.rotate", resource=f"qr:{ref}", result_count=1)
        session.commit()
    store.close()
    typer.echo(f"new code issued for {ref}: print its building's sheet again")
