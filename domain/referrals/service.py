"""What a school's staff can do with a referral, each one transaction: load, ask the policy
(`authorise`, which audits a refusal), change through the model, audit (ids and codes only),
queue the notices, commit. The Partnership's side (receive, ask, list, decide, follow up) is
in `casework.py`, on the same helpers.

- `start_draft`, `open_draft` (one's own draft, to carry on), `set_fields` (validated field by
  field: the good values are kept, each bad one named with its problem), `discard_draft`,
  `submit` (the offer's rules; on success a reference, the referrer's confirmation and a notice
  to each Partnership SENCO; one who has no chat with the bot yet gets it when they open one,
  while the referral waits to be received: `outbox.hold_for_a_chat`);
- `allow_forum_exception` (Partnership SENCO or Director, with a reason; they are told of a
  Referral to the Partnership that only "forum first" holds back, and the referrer is told of
  the exception, then sends it);
- `view_referral` (every view is audited; special category data only for those who need it).

Identity is the `Requester` (from the Teams activity), never a person id from a card: a draft's
owner, a school and a pupil are checked against the requester by the policy. A refusal raises
`NotAllowed` or `SubmissionRefused` after its audit entry is committed; `ReferralError` carries
a plain-English reason for a request that cannot be done as asked (nothing is changed then).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.directory import Pupil
from db.models.referrals import Referral as ReferralRow
from db.models.referrals import ReferralException
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.directory.model import PupilRecord
from domain.directory.queries import get_pupil, get_pupil_by_upn, list_people
from domain.notices import JsonValue, Notice
from domain.notifier import queue_notice
from domain.outbox import hold_for_a_chat
from domain.referrals import notices, store
from domain.referrals.fields import ANONYMOUS_REFUSAL, FROM_DIRECTORY, check_fields
from domain.referrals.fields import BY_NAME as FIELDS
from domain.referrals.fields import Context as FieldContext
from domain.referrals.model import Referral, ReferralKind, ReferralStatus, move
from domain.referrals.rules import RuleBreach, submission_breaches
from domain.referrals.validators import text
from domain.requester import Requester, authorise
from domain.roles import Role

NEED_TO_KNOW = frozenset(
    {
        Role.SENCO,
        Role.HEADTEACHER,
        Role.HEAD_OF_YEAR,
        Role.PARTNERSHIP_SENCO,
        Role.PARTNERSHIP_DIRECTOR,
        Role.COORDINATOR,
    }
)


class ReferralError(ValueError):
    """A request that can't be done as asked; `reason` is plain English for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SubmissionRefused(Exception):
    """The draft does not meet the offer's rules yet; each breach says why and what to do."""

    def __init__(self, breaches: list[RuleBreach]) -> None:
        super().__init__("; ".join(b.code for b in breaches))
        self.breaches = breaches


NOT_FOUND = "I can't find that referral. It may have been discarded."


@dataclass(frozen=True)
class DraftResult:
    referral: Referral
    problems: dict[str, str]  # field name -> what is wrong with what was given


@asynccontextmanager
async def unit(database: Database) -> AsyncIterator[AsyncSession]:
    """One transaction; a refusal raised inside still commits its audit entry, then is raised."""
    refusal: NotAllowed | SubmissionRefused | None = None
    async with database.session() as session:
        try:
            yield session
        except (NotAllowed, SubmissionRefused) as error:
            refusal = error
    if refusal is not None:
        raise refusal


async def load(session: AsyncSession, referral_id: int, *, for_update: bool = True) -> Referral:
    referral = await store.load(session, referral_id, for_update=for_update)
    if referral is None:
        raise ReferralError(NOT_FOUND)
    return referral


async def require(
    session: AsyncSession, requester: Requester, action: Action, target: Target, record_id: str, now: datetime
) -> None:
    decision = await authorise(session, requester, action, target, record_type="referral", record_id=record_id)
    if not decision.allowed:
        raise NotAllowed(decision)


async def audit(
    session: AsyncSession, requester: Requester, action: AuditAction, referral: Referral, now: datetime, **detail: Any
) -> None:
    await record_audit(
        session,
        actor_id=requester.person_id,
        action=action,
        record_type="referral",
        record_id=str(referral.id),
        detail={
            "kind": referral.kind.value,
            "status": referral.status.value,
            "school_id": referral.school_id,
            "pupil_id": referral.pupil_id,
            "fields": detail.get("fields"),
            "from_status": detail.get("from_status"),
            "outcome": detail.get("outcome"),
            "decision": detail.get("decision"),
            **requester.audit_detail,
        },
    )


async def tell(
    session: AsyncSession, notice: Notice, people: Iterable[int | None], now: datetime, *, skip: int | None = None
) -> None:
    """Queue one notice to each person once, leaving out whoever did it (they know). Each copy
    names its recipient (`to_person_id`), so the renderer shows only what the policy lets
    that person see."""
    for person_id in dict.fromkeys(p for p in people if p is not None and p != skip):
        payload = {**notice.payload, "to_person_id": person_id}
        addressed = Notice(notice.kind, payload, key=notice.key, pupil_ids=notice.pupil_ids, alert=notice.alert)
        await queue_notice(session, addressed, to_person=person_id, now=now)


async def _still_to_receive(session: AsyncSession, payload: Mapping[str, JsonValue]) -> bool:
    """A new referral's notice that found a Partnership SENCO with no chat is sent when they open
    one, while the referral still waits to be received."""
    referral_id = payload.get("referral_id")
    referral = await store.load(session, referral_id) if isinstance(referral_id, int) else None
    return referral is not None and referral.status is ReferralStatus.SUBMITTED


hold_for_a_chat(notices.NEW, _still_to_receive)


async def holders(session: AsyncSession, role: Role, school_id: int | None = None) -> list[int]:
    people = await list_people(session, school_id, role, partnership=school_id is None)
    return [person.id for person in people]


async def school_pupil(session: AsyncSession, requester: Requester, pupil_id: int, now: datetime) -> PupilRecord:
    """The pupil, if the requester may see them (their own school's roll); refusals audited."""
    pupil = await get_pupil(session, pupil_id)
    if pupil is None or pupil.erased:
        raise ReferralError("I can't find that pupil on your school's roll.")
    decision = await authorise(
        session, requester, Action.VIEW_PUPIL, pupil.target, record_type="pupil", record_id=str(pupil.id)
    )
    if not decision.allowed:
        raise NotAllowed(decision)
    return pupil


async def start_draft(
    database: Database,
    requester: Requester,
    kind: ReferralKind,
    *,
    anonymous: bool = False,
    pupil_id: int | None = None,
    clock: Clock = SystemClock(),
) -> Referral:
    """A new draft at the requester's own school, optionally for a pupil on its roll."""
    now = clock.now()
    if anonymous and kind is not ReferralKind.FORUM_CASE:
        raise ReferralError("Only a forum case can be anonymous: a Referral to the Partnership always names the pupil.")
    if anonymous and pupil_id is not None:
        raise ReferralError(ANONYMOUS_REFUSAL)
    person = requester.person
    async with unit(database) as session:
        school_id = person.school_id if person else None
        target = Target(RecordKind.REFERRAL, school_id=school_id, owner_person_id=requester.person_id)
        await require(session, requester, Action.CREATE_REFERRAL, target, "new", now)
        assert person is not None and school_id is not None  # the policy allows school staff only
        referral = Referral(0, kind, ReferralStatus.DRAFT, school_id, person.id, now, now, anonymous=anonymous)
        if pupil_id is not None:
            pupil = await school_pupil(session, requester, pupil_id, now)
            referral = replace(referral, pupil_id=pupil.id, year_group=pupil.year_group)
            referral = replace(referral, details={"pupil_id": pupil.id, "year_group": pupil.year_group})
        referral = await store.add(session, referral)
        await audit(session, requester, AuditAction.CREATED, referral, now)
        return referral
    raise AssertionError("unreachable")  # pragma: no cover


async def _own_draft(session: AsyncSession, requester: Requester, referral_id: int, now: datetime) -> Referral:
    referral = await load(session, referral_id)
    await require(session, requester, Action.EDIT_REFERRAL_DRAFT, referral.target, str(referral.id), now)
    if referral.status is not ReferralStatus.DRAFT:
        raise ReferralError("This referral has already been sent, so it can't be changed here.")
    return referral


async def open_draft(
    database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()
) -> Referral:
    """The requester's own draft, to carry on with it (a colleague's, another school's or a sent
    referral is refused: `NotAllowed` after its audit entry, or `ReferralError`)."""
    now = clock.now()
    async with unit(database) as session:
        return await _own_draft(session, requester, referral_id, now)
    raise AssertionError("unreachable")  # pragma: no cover


async def set_fields(
    database: Database, requester: Requester, referral_id: int, raw: Mapping[str, Any], clock: Clock = SystemClock()
) -> DraftResult:
    """Check each given field; keep the good ones (a pupil chosen from the roll brings their
    year group), and name each problem. Nothing already given is lost."""
    now = clock.now()
    async with unit(database) as session:
        referral = await _own_draft(session, requester, referral_id, now)
        checked = check_fields(referral.kind, referral.anonymous, raw, known=referral.values, today=now.date())
        values = {**referral.values, **checked.clean}
        if checked.clean.get("pupil_id"):
            pupil = await school_pupil(session, requester, checked.clean["pupil_id"], now)
            values = {n: v for n, v in values.items() if n not in FROM_DIRECTORY} | {"year_group": pupil.year_group}
        elif values.get("pupil_id"):  # the roll already says who the pupil is
            values = {n: v for n, v in values.items() if n not in FROM_DIRECTORY} | {"year_group": referral.year_group}
        details, special = store.split(values)
        year = values.get("year_group")
        referral = replace(
            referral,
            pupil_id=values.get("pupil_id"),
            year_group=year if isinstance(year, int) else None,
            details=details,
            special_details=special,
            updated_at=now,
        )
        if checked.clean:
            await store.save(session, referral)
            await audit(session, requester, AuditAction.CHANGED, referral, now, fields=sorted(checked.clean))
        return DraftResult(referral, checked.problems)
    raise AssertionError("unreachable")  # pragma: no cover


async def discard_draft(
    database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()
) -> None:
    now = clock.now()
    async with unit(database) as session:
        referral = await _own_draft(session, requester, referral_id, now)
        await session.execute(delete(ReferralRow).where(ReferralRow.id == referral.id))
        await audit(session, requester, AuditAction.CHANGED, referral, now, decision="discarded")


async def submit(database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()) -> Referral:
    """Send a draft to the Partnership, if it meets the offer's rules (else `SubmissionRefused`)."""
    now = clock.now()
    async with unit(database) as session:
        referral = await _own_draft(session, requester, referral_id, now)
        values = referral.values
        on_record = referral.pupil_id is not None and await store.forum_discussed(session, referral.pupil_id)
        breaches = submission_breaches(
            referral.kind,
            referral.anonymous,
            values,
            referral_date=now.date(),
            forum_on_record=on_record,
            exception_allowed=referral.forum_exception,
        )
        if not breaches and not referral.anonymous and referral.pupil_id is None:
            referral, breach = await _put_on_roll(session, requester, referral, now)
            breaches = [breach] if breach else []
        if breaches:
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.REFUSED,
                record_type="referral",
                record_id=str(referral.id),
                detail={"kind": "submit", "reason": [b.code for b in breaches], **requester.audit_detail},
            )
            if [b.code for b in breaches] == ["forum_first"]:  # only the Partnership can let it by
                deciders = await holders(session, Role.PARTNERSHIP_SENCO)
                deciders += await holders(session, Role.PARTNERSHIP_DIRECTOR)
                await tell(session, notices.held_back(referral), deciders, now)
            raise SubmissionRefused(breaches)
        reference = await store.next_reference(session, now)
        referral = replace(move(referral, ReferralStatus.SUBMITTED, at=now), reference=reference, submitted_at=now)
        await store.save(session, referral, status_changed=True)
        await store.add_status_change(session, referral, ReferralStatus.DRAFT, requester.person_id)
        await audit(session, requester, AuditAction.CHANGED, referral, now, from_status="draft")
        # The referrer and the school's SENCO (a head of year's referral is the SENCO's business too).
        school_senco = await holders(session, Role.SENCO, referral.school_id)
        await tell(session, notices.submitted(referral), [referral.referrer_id, *school_senco], now)
        await tell(session, notices.new_referral(referral), await holders(session, Role.PARTNERSHIP_SENCO), now)
        return referral
    raise AssertionError("unreachable")  # pragma: no cover


async def _put_on_roll(
    session: AsyncSession, requester: Requester, referral: Referral, now: datetime
) -> tuple[Referral, RuleBreach | None]:
    """A named pupil typed in (not chosen from the roll) joins the directory at submission, so
    their identity lives in one record that erasure reaches; the referral then points at it."""
    values = dict(referral.values)
    known = await get_pupil_by_upn(session, values["upn"]) if values.get("upn") else None
    if known is not None and known.school_id != referral.school_id:
        return referral, RuleBreach(
            "upn_elsewhere",
            "That UPN belongs to a pupil on another school's roll.",
            "Please check the UPN, or ask the Partnership admin.",
        )
    if known is None:
        row = Pupil(
            first_name=values["first_name"],
            last_name=values["last_name"],
            date_of_birth=date.fromisoformat(values["date_of_birth"]),
            upn=values["upn"],
            year_group=values["year_group"],
            school_id=referral.school_id,
        )
        session.add(row)
        await session.flush()
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CREATED,
            record_type="pupil",
            record_id=str(row.id),
            detail={"referral_id": referral.id, **requester.audit_detail},
        )
        pupil_id = row.id
    else:
        pupil_id = known.id
    values = {n: v for n, v in values.items() if n not in FROM_DIRECTORY or n == "year_group"}
    details, special = store.split({**values, "pupil_id": pupil_id})
    return replace(referral, pupil_id=pupil_id, details=details, special_details=special), None


async def allow_forum_exception(
    database: Database, requester: Requester, referral_id: int, reason: str, clock: Clock = SystemClock()
) -> Referral:
    """Let a Referral to the Partnership past "forum first" (Partnership SENCO or Director)."""
    now = clock.now()
    cleaned = text(reason, FIELDS["reason"], FieldContext(now.date()), 500)
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.ALLOW_REFERRAL_EXCEPTION, referral.target, str(referral.id), now)
        if not isinstance(cleaned, str):
            raise ReferralError("Please give a short reason for the exception. Nothing has been changed.")
        if referral.kind is not ReferralKind.PARTNERSHIP_REFERRAL or referral.status is not ReferralStatus.DRAFT:
            raise ReferralError("An exception is for a Referral to the Partnership that has not been sent yet.")
        if not referral.forum_exception:
            row = ReferralException(
                referral_id=referral.id,
                rule="forum_first",
                reason=cleaned,
                allowed_by=requester.person_id,
                allowed_at=now,
            )
            session.add(row)
            await session.flush()
            referral = replace(referral, forum_exception=True)
            await audit(session, requester, AuditAction.CHANGED, referral, now, decision="forum_first_waived")
            await tell(session, notices.exception_allowed(referral, row.id), [referral.referrer_id], now)
        return referral
    raise AssertionError("unreachable")  # pragma: no cover


async def view_referral(
    database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()
) -> Referral:
    """The referral, if the requester may see it; the view is audited. Special category details
    are left out for those who see summaries only (a DSL, §3.6)."""
    now = clock.now()
    async with unit(database) as session:
        referral = await load(session, referral_id, for_update=False)
        await require(session, requester, Action.VIEW_REFERRAL, referral.target, str(referral.id), now)
        await audit(session, requester, AuditAction.VIEWED, referral, now)
        person = requester.person
        if person is None or not person.roles & NEED_TO_KNOW:
            referral = replace(referral, special_details={})
        return referral
    raise AssertionError("unreachable")  # pragma: no cover
