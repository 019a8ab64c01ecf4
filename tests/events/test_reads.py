"""db.pipeline.Reads: the writer's reads of a batch, sent together, each answered on its own."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from tests.events.conftest import Hub
from zhili.db.pipeline import Reads
from zhili.events.models import Worker
from zhili.events.runtime import ACTIVE_VERSION

_BY_IDS = (
    select(Worker.id, Worker.kind)
    .where(Worker.id.in_(bindparam("ids", expanding=True)))
    .order_by(Worker.id)
)


def test_reads_answer_each_statement_with_its_own_rows(hub: Hub) -> None:
    with hub.sessions() as session:
        hub.state.book(session)  # seeds routing version 1
        session.commit()
        reads = Reads(session.connection())
        version = reads.add(ACTIVE_VERSION)
        both = reads.add(_BY_IDS, {"ids": [1, 2]})
        one = reads.add(_BY_IDS, {"ids": [2]})
        none = reads.add(_BY_IDS, {"ids": [99]})
        reads.run()
        assert [r.version for r in reads.rows(version)] == [1]
        assert [(r.id, r.kind) for r in reads.rows(both)] == [(1, "full_time"), (2, "part_time")]
        assert [r.id for r in reads.rows(one)] == [2]
        assert list(reads.rows(none)) == []
