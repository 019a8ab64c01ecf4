"""A citizen sees which department read their data, when and why; an investigation's read
appears only after its disclosure date. Every read is in the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from zhili.privacy.actors import Actor
from zhili.privacy.citizen import data_access_report
from zhili.privacy.context import PrivacyContext


def test_reads_show_up_for_the_citizen(server: str, callers, data_dir: Path) -> None:
    citizen = callers["citizen"]
    officer = callers["village_officer"]
    assert citizen.person_id, "the demo citizen is linked to a resident"
    path = f"/api/residents/{citizen.person_id}"
    ok = officer.request(
        server,
        "GET",
        path,
        params={
            "purpose_basis": "statutory_duty",
            "purpose_case": "EV-CARE-7",
            "purpose_text": "独居老人走访",
        },
    )
    assert ok.status_code == 200 and ok.json()["masked"] is True
    secret = officer.request(
        server, "GET", path, params={"purpose_basis": "investigation", "purpose_case": "INV-2019-3"}
    )
    assert secret.status_code == 200

    mine = citizen.request(server, "GET", "/api/me/data-access", own=True).json()["items"]
    cases = [i["case_id"] for i in mine]
    assert "EV-CARE-7" in cases and "INV-2019-3" not in cases
    seen = next(i for i in mine if i["case_id"] == "EV-CARE-7")
    assert (
        seen["purpose"] == "独居老人走访" and seen["role"] and seen["legal_basis"] == "履行法定职责"
    )

    # After the disclosure date the investigation's read appears too.
    engine = create_engine(f"sqlite:///{data_dir / 'zhili.db'}")
    with Session(engine) as session:
        ctx = PrivacyContext(keys_dir=data_dir / "keys")
        me = Actor(id="user:citizen-test", role="citizen", person_id=citizen.person_id)
        later = data_access_report(session, ctx, me, today=dt.date.today() + dt.timedelta(days=400))
    engine.dispose()
    assert "INV-2019-3" in [a.case_id for a in later]


def test_profiles_need_a_purpose_and_unmasking_is_separate(server: str, callers, residents) -> None:
    worker = callers["grid_worker"]
    someone = residents(worker.scope)
    assert worker.request(server, "GET", f"/api/residents/{someone}").status_code == 428
    bad = worker.request(
        server,
        "GET",
        f"/api/residents/{someone}",
        params={"purpose_basis": "curiosity", "purpose_case": "x"},
    )
    assert bad.status_code == 400 and "legal basis" in bad.json()["detail"]
    params = {"purpose_basis": "statutory_duty", "purpose_case": "EV00000099", "unmask": "true"}
    plain = worker.request(server, "GET", f"/api/residents/{someone}", unmask=True, params=params)
    assert plain.status_code == 200 and plain.json()["masked"] is False
    assert "*" not in plain.json()["id_number"]
    # The village officer may read but not unmask.
    officer = callers["village_officer"]
    assert (
        officer.request(server, "GET", f"/api/residents/{someone}", params=params).status_code
        == 403
    )


def test_every_read_is_audited(server: str, callers) -> None:
    auditor = callers["auditor"]
    before = auditor.request(
        server, "GET", "/api/audit", params={"action": "person.list", "limit": 1000}
    ).json()["items"]
    callers["grid_worker"].request(server, "GET", "/api/residents", params={"limit": 3})
    after = auditor.request(
        server, "GET", "/api/audit", params={"action": "person.list", "limit": 1000}
    ).json()["items"]
    assert len(after) == len(before) + 1
    newest = after[0]
    assert newest["actor_role"] == "grid_worker" and newest["result_count"] >= 0
    verify = auditor.request(server, "POST", "/api/audit/verify").json()
    assert verify["ok"] is True
