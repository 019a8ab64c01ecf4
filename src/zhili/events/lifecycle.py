"""The closed loop (national practice) and the checked transitions between its states.

受理 received → 调度 dispatched → 办理 handling → 回复 replied → 督办 supervised → 办结 completed
→ 回访 visited → 评价 rated; besides: rejected, transferred, duplicate (merged into an
incident) and reopened. A transition not listed here is refused: no step is skipped.
"""

from __future__ import annotations

RECEIVED = "received"
DISPATCHED = "dispatched"
HANDLING = "handling"
REPLIED = "replied"
SUPERVISED = "supervised"
COMPLETED = "completed"
VISITED = "visited"
RATED = "rated"
REJECTED = "rejected"
TRANSFERRED = "transferred"
DUPLICATE = "duplicate"
REOPENED = "reopened"

STATES: dict[str, tuple[str, str]] = {
    RECEIVED: ("受理", "received"),
    DISPATCHED: ("调度", "dispatched"),
    HANDLING: ("办理", "in progress"),
    REPLIED: ("回复", "replied"),
    SUPERVISED: ("督办", "supervised"),
    COMPLETED: ("办结", "completed"),
    VISITED: ("回访", "return visit made"),
    RATED: ("评价", "rated"),
    REJECTED: ("不予受理", "rejected"),
    TRANSFERRED: ("转办", "transferred"),
    DUPLICATE: ("已合并", "merged as duplicate"),
    REOPENED: ("重新办理", "reopened"),
}

# action -> {from state: to state}
ACTIONS: dict[str, dict[str, str]] = {
    "dispatch": {RECEIVED: DISPATCHED, TRANSFERRED: DISPATCHED, REOPENED: DISPATCHED},
    "accept": {DISPATCHED: HANDLING},
    "reply": {HANDLING: REPLIED},
    "supervise": {REPLIED: SUPERVISED},
    "send_back": {SUPERVISED: HANDLING},
    "close": {SUPERVISED: COMPLETED},
    "return_visit": {COMPLETED: VISITED},
    "rate": {VISITED: RATED, COMPLETED: RATED},
    "reopen": {VISITED: REOPENED, RATED: REOPENED, COMPLETED: REOPENED},
    "reject": {RECEIVED: REJECTED, TRANSFERRED: REJECTED},
    "transfer": {RECEIVED: TRANSFERRED, DISPATCHED: TRANSFERRED, HANDLING: TRANSFERRED},
    "merge": {RECEIVED: DUPLICATE, DISPATCHED: DUPLICATE},
}
# Actions that keep the state: escalation, notes, attachments, supervision reminders.
STATELESS_ACTIONS = frozenset({"escalate", "note", "attach", "urge", "severity"})

# States in which the hub still owes the reporter an outcome (timers run, escalation applies).
OPEN_STATES = frozenset(
    {RECEIVED, DISPATCHED, HANDLING, REPLIED, SUPERVISED, TRANSFERRED, REOPENED}
)
CLOSED_STATES = frozenset({COMPLETED, VISITED, RATED, REJECTED, DUPLICATE})

LEVELS: tuple[str, ...] = ("grid", "village", "town", "district")
LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "grid": ("网格", "grid"),
    "village": ("村(社区)", "village"),
    "town": ("镇(街道)", "town"),
    "district": ("区", "district"),
}
# The area-code length of each level's unit: grid 15, village 12, town 9, district 6.
LEVEL_CODE_LENGTH: dict[str, int] = {"grid": 15, "village": 12, "town": 9, "district": 6}


class TransitionError(ValueError):
    """An action that the event's current state does not allow."""

    status = 409


def next_state(state: str, action: str) -> str:
    """The state `action` leads to from `state`, or TransitionError (no skipping)."""
    if action in STATELESS_ACTIONS:
        if state in (REJECTED, DUPLICATE):
            raise TransitionError(f"event is {state}: no further {action}")
        return state
    moves = ACTIONS.get(action)
    if moves is None:
        raise TransitionError(f"unknown action {action!r}")
    target = moves.get(state)
    if target is None:
        allowed = sorted(a for a, m in ACTIONS.items() if state in m)
        raise TransitionError(
            f"cannot {action} an event that is {state}; allowed now: {', '.join(allowed) or 'none'}"
        )
    return target


def level_above(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def level_index(level: str) -> int:
    return LEVELS.index(level)


def unit_code(area_code: str, level: str) -> str:
    """The code of the unit at `level` that contains `area_code` (a prefix of it)."""
    return area_code[: LEVEL_CODE_LENGTH[level]]
