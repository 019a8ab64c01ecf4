"""The QR page's calls into community.qr against the store (SQLite and PostgreSQL): a code
that is unknown or rotated reads as "no longer valid", a refused registration comes back as a
value (the page keeps the form), a good one is pending and audited, and a hazard draft is the
place's report."""

from __future__ import annotations

from sqlalchemy import select

from tests.community.conftest import Store
from zhili.community import qr
from zhili.community.models import CommunityPlace
from zhili.identifiers import resident_id
from zhili.privacy.actors import ANONYMOUS
from zhili.privacy.models import AuditRecord
from zhili.web.qr_landing import hazard, place_or_none, register


def _flat(store: Store) -> CommunityPlace:
    with store.sessions() as s:
        row = s.scalars(
            select(CommunityPlace)
            .where(
                CommunityPlace.kind == "flat",
                CommunityPlace.compound_id == store.pilot["compound_id"],
            )
            .order_by(CommunityPlace.id.desc())
        ).first()
        assert row is not None
        s.expunge(row)
        return row


def test_place_register_and_hazard(store: Store) -> None:
    flat = _flat(store)
    with store.sessions() as s:
        assert place_or_none(s, flat.token)["label"] == flat.label  # type: ignore[index]
        assert place_or_none(s, "A" * 22) is None
        refused = register(s, store.ctx, ANONYMOUS, flat.token, {"name": "林晓租"})
        assert isinstance(refused, qr.BadRegistration)
        body = "33012519900307051"
        form = {"name": "林晓租", "id_number": body + resident_id.check_digit(body)}
        done = register(s, store.ctx, ANONYMOUS, flat.token, form | {"phone": " "})
        assert isinstance(done, dict) and done["status"] == "pending" and done["created"]
        assert done["masked"] and done["phone"] is None
        audited = s.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "qr.register")
            .order_by(AuditRecord.seq.desc())
        ).first()
        assert audited is not None and audited.resource == f"qr:{flat.ref}"
        qr.rotate_token(s, flat.ref)
        s.commit()
        assert place_or_none(s, flat.token) is None  # the old code stops at once
    police = store.officer("department_handler", scope="330110", department="police")
    draft = hazard(store.state, police, flat, "楼道堆放杂物", 2)
    assert draft.payload.category == "public_order.rental_hazard"
    assert draft.payload.address == flat.label and draft.payload.severity == 2
    assert draft.channel == "staff" and (draft.idempotency_key or "").startswith("web-")
