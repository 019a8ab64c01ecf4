"""Demo accounts, one per role, in the twin's real areas (`zhili users demo`).

All share DEMO_PASSWORD. With a twin, the full-time grid worker is the person the twin
staffs 谢村村第1网格 with, the part-time worker one of that grid's part-timers, and the
citizen an adult resident of 谢村村 (persons and workers from DIR/truth/).
Re-running updates the accounts to this list and never duplicates them; passwords that
were changed since are kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from zhili.geo.divisions import DISTRICT_CODE
from zhili.privacy.identity.roles import (
    DEPARTMENTS,
    AreaTables,
    Role,
    area_name,
    validate_assignment,
)
from zhili.privacy.identity.users import create_user, get_user

DEMO_PASSWORD = "Zhili-demo-2019"  # documented in docs/DEMO_USERS.md; demo databases only
LIANGZHU = "330110010"  # 良渚街道
XIECUN = "330110010248"  # 谢村村
XIECUN_GRID_1 = XIECUN + "001"  # 谢村村第1网格


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str
    department: str | None
    display_name: str
    area: str = ""  # the scope's Chinese name
    person_id: str | None = None  # the twin person the account is linked to, if any

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def as_row(self) -> dict[str, str]:
        """The printed columns, in order (the CLI's table, the markdown file)."""
        dept = self.department or ""
        return {
            "username": self.username,
            "role": f"{self.role} ({self.role_label})",
            "scope": self.scope or "-",
            "area": self.area or "-",
            "department": f"{dept} ({DEPARTMENTS[dept][0]})" if dept else "-",
            "display name": self.display_name,
        }


@dataclass(frozen=True)
class _Spec:
    username: str
    role: Role
    scope: str
    department: str | None
    display_name: str


_SPECS: tuple[_Spec, ...] = (
    _Spec("commander", Role.DISTRICT_COMMANDER, DISTRICT_CODE, None, "区指挥长（演示）"),
    _Spec("liangzhu_officer", Role.TOWN_OFFICER, LIANGZHU, None, "良渚街道干部（演示）"),
    _Spec("xiecun_officer", Role.VILLAGE_OFFICER, XIECUN, None, "谢村村干部（演示）"),
    _Spec("grid_xiecun_001", Role.GRID_WORKER, XIECUN_GRID_1, None, "谢村村第1网格专职网格员"),
    _Spec(
        "parttime_xiecun_001",
        Role.PART_TIME_GRID_WORKER,
        XIECUN_GRID_1,
        None,
        "谢村村第1网格兼职网格员",
    ),
    _Spec("police_handler", Role.DEPARTMENT_HANDLER, DISTRICT_CODE, "police", "公安承办人（演示）"),
    _Spec("urban_handler", Role.DEPARTMENT_HANDLER, DISTRICT_CODE, "urban", "城管承办人（演示）"),
    _Spec(
        "housing_handler", Role.DEPARTMENT_HANDLER, DISTRICT_CODE, "housing", "住建承办人（演示）"
    ),
    _Spec("liangzhu_mediator", Role.MEDIATOR, LIANGZHU, None, "良渚街道调解员（演示）"),
    _Spec("analyst", Role.ANALYST, DISTRICT_CODE, None, "分析员（演示）"),
    _Spec("sysadmin", Role.SYSTEM_ADMIN, "", None, "系统管理员（演示）"),
    _Spec("secadmin", Role.SECURITY_ADMIN, "", None, "安全管理员（演示）"),
    _Spec("auditor", Role.AUDITOR, "", None, "审计管理员（演示）"),
    _Spec("citizen_xiecun", Role.CITIZEN, "", None, "谢村村市民（演示）"),
)
DEMO_USERNAMES: tuple[str, ...] = tuple(s.username for s in _SPECS)


def _twin_links(twin_dir: Path) -> dict[str, tuple[str, str]]:
    """username -> (person_id, name) for the accounts that stand for real twin persons."""
    truth = twin_dir / "truth"
    persons = pl.read_parquet(
        truth / "persons.parquet", columns=["person_id", "name", "age", "grid_code"]
    )
    workers = pl.read_parquet(
        truth / "workers.parquet", columns=["worker_id", "person_id", "kind", "grid_code"]
    )
    names = dict(zip(persons["person_id"], persons["name"], strict=True))
    links: dict[str, tuple[str, str]] = {}
    in_grid = workers.filter(pl.col("grid_code") == XIECUN_GRID_1).sort("worker_id")
    for kind, username in (("full_time", "grid_xiecun_001"), ("part_time", "parttime_xiecun_001")):
        hit = in_grid.filter(pl.col("kind") == kind)
        if hit.height:
            pid = hit["person_id"][0]
            links[username] = (pid, names.get(pid, username))
    # The citizen: the first adult of 谢村村 by id who is not one of its grid workers, so the
    # demo citizen's data trail is not mixed with a worker's own.
    staff = set(workers["person_id"])
    residents = persons.filter(
        pl.col("grid_code").str.starts_with(XIECUN)
        & (pl.col("age") >= 18)
        & ~pl.col("person_id").is_in(list(staff))
    ).sort("person_id")
    if residents.height:
        links["citizen_xiecun"] = (residents["person_id"][0], residents["name"][0])
    return links


def create_demo_users(
    session: Session, layout: AreaTables, twin_dir: Path | None = None
) -> list[DemoAccount]:
    """Create (or bring up to date) one demo account per role; flushes, the caller commits."""
    links = _twin_links(Path(twin_dir)) if twin_dir is not None else {}
    accounts: list[DemoAccount] = []
    for spec in _SPECS:
        validate_assignment(spec.role, spec.scope, spec.department, layout=layout)
        person_id, display = links.get(spec.username, (None, spec.display_name))
        user = get_user(session, spec.username)
        if user is None:
            user = create_user(
                session,
                spec.username,
                DEMO_PASSWORD,
                spec.role,
                spec.scope,
                spec.department,
                display_name=display,
                person_id=person_id,
            )
        else:
            user.role, user.scope, user.department = spec.role.value, spec.scope, spec.department
            user.display_name = display
            if person_id is not None or twin_dir is not None:
                user.person_id = person_id
        accounts.append(
            DemoAccount(
                username=user.username,
                role=user.role,
                scope=user.scope,
                department=user.department,
                display_name=user.display_name,
                area=area_name(layout, user.scope) or "",
                person_id=user.person_id,
            )
        )
    session.flush()
    return accounts


def to_markdown(accounts: list[DemoAccount]) -> str:
    rows = [a.as_row() for a in accounts]
    header = list(rows[0]) if rows else list(DemoAccount("", "citizen", "", None, "").as_row())
    lines = [
        "# Demo users",
        "",
        "Created by `zhili users demo` (`zhili.privacy.identity.demo`), one account per role in",
        "the twin's real areas. Every account has the password "
        f"`{DEMO_PASSWORD}`. Demo databases only:",
        "never create these accounts on a system that holds real residents' data.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_markdown(accounts: list[DemoAccount], path: Path) -> Path:
    """Write the account table as markdown (docs/DEMO_USERS.md)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(accounts), encoding="utf-8")
    return path


def as_dicts(accounts: list[DemoAccount]) -> list[dict[str, object]]:
    return [asdict(a) for a in accounts]
