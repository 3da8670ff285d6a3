"""The last active Partnership admin cannot lose the role or be deactivated: nobody could
manage people from Teams afterwards. Any change to another admin, or with a second admin
in place, goes through."""

from __future__ import annotations

import pytest

from db.engine import Database
from domain.directory.rules import DirectoryError
from domain.directory.writes import upsert_person
from domain.roles import Role

ADMIN = "admin@lncip.example.org"
OTHER = "second@lncip.example.org"


async def _admin(database: Database, email: str, **changes: object) -> object:
    values: dict[str, object] = {
        "email": email,
        "display_name": "Pat Admin",
        "roles": [Role.PARTNERSHIP_ADMIN],
        "school_id": None,
        **changes,
    }
    return await upsert_person(database, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"roles": [Role.COORDINATOR]}, "roles"),
        ({"active": False}, "active"),
        ({"roles": [Role.COORDINATOR], "active": False}, "roles"),
    ],
    ids=["role-removed", "deactivated", "both"],
)
async def test_the_last_admin_keeps_the_role_and_stays_active(
    database: Database, change: dict[str, object], field: str
) -> None:
    await _admin(database, ADMIN)
    with pytest.raises(DirectoryError) as refused:
        await _admin(database, ADMIN, **change)
    assert refused.value.problems == [
        f"{field}: this is the last Partnership admin: make someone else Partnership admin first"
    ]
    await _admin(database, ADMIN, display_name="Pat Admin-Smith")  # other changes still go through


async def test_with_a_second_admin_the_first_may_step_down(database: Database) -> None:
    await _admin(database, ADMIN)
    await _admin(database, OTHER)
    stepped_down = await _admin(database, ADMIN, roles=[Role.COORDINATOR])
    assert stepped_down.roles == frozenset({Role.COORDINATOR})  # type: ignore[attr-defined]
    with pytest.raises(DirectoryError, match="last Partnership admin"):
        await _admin(database, OTHER, active=False)


async def test_an_inactive_admin_does_not_count(database: Database) -> None:
    await _admin(database, ADMIN)
    await _admin(database, OTHER)
    await _admin(database, OTHER, active=False)
    with pytest.raises(DirectoryError, match="last Partnership admin"):
        await _admin(database, ADMIN, roles=[Role.COORDINATOR])
