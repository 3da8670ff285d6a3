"""Who asks a service function to act, and the one way a service asks the access policy.

A `Requester` is a person in Teams, an operator at the server's command line (who may name a
person with `--actor-email`), or the system itself (a scheduled job). `authorise` asks
`domain.access` and, when the answer is no, writes a `refused` audit entry in the caller's
unit of work, so an attempt is on record as surely as an access. The service then leaves
its transaction (committing that entry) and raises `NotAllowed` with the policy's reason.
`record_refusal` audits a refusal decided before any service was called (the bot's command
router refusing a command), the same way.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import DatabaseOrSession, unit_of_work
from domain.access import Action, Actor, Decision, Target, decide, decide_for_operator
from domain.audit import AuditAction, record_audit
from domain.directory.model import PersonRecord

_CODE_WORD = re.compile(r"[a-z][a-z0-9_.-]{0,31}")


class Via(StrEnum):
    TEAMS = "teams"
    COMMAND_LINE = "command_line"
    SYSTEM = "system"


@dataclass(frozen=True)
class Requester:
    person: PersonRecord | None
    via: Via
    os_user: str | None = None  # command line only: the operating-system account

    @classmethod
    def in_teams(cls, person: PersonRecord | None) -> Requester:
        return cls(person, Via.TEAMS)

    @classmethod
    def at_command_line(cls, person: PersonRecord | None = None) -> Requester:
        try:
            user = getpass.getuser().lower()
        except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
            user = "unknown"
        return cls(person, Via.COMMAND_LINE, user if _CODE_WORD.fullmatch(user) else "unknown")

    @classmethod
    def system(cls) -> Requester:
        """The service itself: a scheduled job, or the demo data loader."""
        return cls(None, Via.SYSTEM)

    @property
    def actor(self) -> Actor | None:
        return self.person.actor if self.person else None

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None

    @property
    def audit_detail(self) -> dict[str, Any]:
        """Where the request came from, for its audit entries."""
        detail: dict[str, Any] = {"source": self.via.value}
        if self.os_user:
            detail["os_user"] = self.os_user
        return detail

    def decide(self, action: Action, target: Target | None = None) -> Decision:
        if self.person is None and self.via is not Via.TEAMS:
            return decide_for_operator(action)
        return decide(self.actor, action, target)


async def authorise(
    session: AsyncSession,
    requester: Requester,
    action: Action,
    target: Target | None,
    *,
    record_type: str,
    record_id: str,
) -> Decision:
    """The policy's answer; a refusal is audited in `session` (who, what, which record)."""
    decision = requester.decide(action, target)
    if not decision.allowed:
        await _audit_refusal(session, requester, action, record_type, record_id)
    return decision


async def record_refusal(
    database: DatabaseOrSession, requester: Requester, action: Action, record_type: str, record_id: str
) -> None:
    """Audit a refusal decided before any service was called (a command the person may not
    use), in its own unit of work or the caller's session."""
    async with unit_of_work(database) as session:
        await _audit_refusal(session, requester, action, record_type, record_id)


async def _audit_refusal(
    session: AsyncSession, requester: Requester, action: Action, record_type: str, record_id: str
) -> None:
    await record_audit(
        session,
        actor_id=requester.person_id,
        action=AuditAction.REFUSED,
        record_type=record_type,
        record_id=record_id,
        detail={"kind": action.value, **requester.audit_detail},
    )
