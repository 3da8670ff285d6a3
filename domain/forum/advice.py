"""The advice the forum gives on a case, recorded by the Partnership SENCO or Director during or
after the meeting (`RUN_FORUM`): the advice, the services linked in and the next step. The
booking becomes `discussed`; a named pupil's case is handed to the referral feature as a forum
discussion on record (`forum_discussions`), so a Referral to the Partnership for that pupil is
no longer held back by "Inclusion Forum first"; the school is sent the advice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.forum import ForumAdvice
from db.models.referrals import ForumDiscussion
from domain.access import Action, RecordKind, Target
from domain.audit import AuditAction
from domain.directory.queries import list_people
from domain.forum import notices, store
from domain.forum.model import Booking, BookingStatus, NextStep, move
from domain.forum.service import ForumError, audit, require, tell, unit
from domain.referrals import store as referrals
from domain.requester import Requester
from domain.roles import Role

MAX_ADVICE = 4_000
MAX_SERVICES = 12


class AdviceProblem(ForumError):
    """The advice as given will not do (empty, too long, too many services): the form needs
    changing, the case is as it was."""


@dataclass(frozen=True)
class AdviceRecorded:
    booking: Booking
    advice_id: int
    handed_over: bool  # a forum discussion is now on record for the named pupil


def _clean(advice: str, services: Sequence[str]) -> tuple[str, list[str]]:
    text = (advice or "").strip()
    if not text or len(text) > MAX_ADVICE:
        raise AdviceProblem(f"Please write the advice given (up to {MAX_ADVICE:,} characters).")
    linked = [" ".join(s.split())[:100] for s in services if s and s.strip()]
    if len(linked) > MAX_SERVICES:
        raise AdviceProblem(f"Please name up to {MAX_SERVICES} services.")
    return text, list(dict.fromkeys(linked))


async def record_advice(
    database: Database,
    requester: Requester,
    booking_id: int,
    advice: str,
    services: Sequence[str],
    next_step: NextStep,
    *,
    clock: Clock = SystemClock(),
) -> AdviceRecorded:
    now = clock.now()
    text, linked = _clean(advice, services)
    async with unit(database) as session:
        booking = await store.get_booking(session, booking_id, for_update=True)
        if booking is None:
            raise ForumError("I can't find that case on the agenda.")
        await require(
            session,
            requester,
            Action.RUN_FORUM,
            Target(RecordKind.FORUM_BOOKING, booking.school_id),
            f"booking:{booking.id}",
        )
        if booking.status is not BookingStatus.BOOKED:
            raise ForumError("Advice is recorded once, for a case booked on the agenda.")
        meeting = await store.get_meeting(session, booking.meeting_id)
        referral = await referrals.load(session, booking.referral_id)
        assert meeting is not None and referral is not None  # foreign keys
        discussed = move(booking, BookingStatus.DISCUSSED, at=now)
        await store.save_booking(session, discussed)
        row = ForumAdvice(
            booking_id=booking.id,
            advice=text,
            services=linked,
            next_step=next_step.value,
            recorded_by=requester.person_id,
            recorded_at=now,
        )
        session.add(row)
        handed_over = referral.pupil_id is not None
        if referral.pupil_id is not None:
            session.add(
                ForumDiscussion(
                    pupil_id=referral.pupil_id,
                    school_id=referral.school_id,
                    discussed_on=meeting.day,
                    referral_id=referral.id,
                    recorded_by=requester.person_id,
                    recorded_at=now,
                )
            )
        await session.flush()
        await audit(session, requester, AuditAction.DECIDED, "forum_booking", booking.id, status=next_step.value)
        sencos = [p.id for p in await list_people(session, booking.school_id, Role.SENCO)]
        await tell(session, notices.advice(discussed, handed_over), [booking.booked_by, *sencos], now)
        return AdviceRecorded(discussed, row.id, handed_over)
    raise AssertionError("unreachable")  # pragma: no cover
