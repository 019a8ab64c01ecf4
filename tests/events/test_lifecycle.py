"""The closed loop: the national sequence works, and no step can be skipped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhili.events import lifecycle as L

LOOP = ["dispatch", "accept", "reply", "supervise", "close", "return_visit", "rate"]


def test_the_national_sequence() -> None:
    state = L.RECEIVED
    seen = [state]
    for action in LOOP:
        state = L.next_state(state, action)
        seen.append(state)
    assert seen == [
        "received",
        "dispatched",
        "handling",
        "replied",
        "supervised",
        "completed",
        "visited",
        "rated",
    ]


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (L.RECEIVED, "accept"),  # not dispatched yet
        (L.RECEIVED, "close"),
        (L.DISPATCHED, "reply"),
        (L.HANDLING, "close"),  # replied and supervised first
        (L.REPLIED, "close"),
        (L.COMPLETED, "accept"),
        (L.REJECTED, "dispatch"),
        (L.DUPLICATE, "note"),
    ],
)
def test_skipping_is_refused(state: str, action: str) -> None:
    with pytest.raises(L.TransitionError, match=r"cannot|no further"):
        L.next_state(state, action)


def test_reopen_and_send_back() -> None:
    assert L.next_state(L.RATED, "reopen") == L.REOPENED
    assert L.next_state(L.REOPENED, "dispatch") == L.DISPATCHED
    assert L.next_state(L.SUPERVISED, "send_back") == L.HANDLING


@given(st.lists(st.sampled_from(sorted(L.ACTIONS) + sorted(L.STATELESS_ACTIONS)), max_size=30))
def test_any_sequence_stays_in_known_states(actions: list[str]) -> None:
    state = L.RECEIVED
    for a in actions:
        try:
            new = L.next_state(state, a)
        except L.TransitionError:
            continue
        assert new in L.STATES
        if a in L.STATELESS_ACTIONS:
            assert new == state
        else:
            assert L.ACTIONS[a][state] == new
        state = new


def test_levels_go_up_to_the_district() -> None:
    assert [L.level_above(x) for x in L.LEVELS] == ["village", "town", "district", None]
    assert L.unit_code("330110010248001", "village") == "330110010248"
