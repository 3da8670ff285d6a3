"""The attendance notices as cards, drawn when sent from what the records then say: the daily
digest (`digest_card`, the same card as "today's attendance"), the immediate alerts, the
undeliverable report to the Partnership, and the unmarked-pupils flag. A renderer answers None
when the record it names is gone (an erased pupil, a school removed): the notice is cancelled.
"""

from __future__ import annotations

from datetime import date

from bot.cards import RenderedCard, render_card
from bot.notices import NoticeRenderer
from core.clock import Clock
from db.engine import Database
from dialogs.attendance.cards import day_label, digest_card, session_label
from domain.attendance import notices, queries
from domain.attendance.digest import digest_to_send
from domain.attendance.model import Session, Setting
from domain.directory.queries import get_pupil, get_school
from domain.notices import Notice

UNDELIVERABLE_REASONS = {
    "no_dsl": "the directory has no DSL for this school",
    "no_dsl_in_teams": "none of its DSLs has opened the LNCIP assistant in Teams yet",
}


def _day(notice: Notice) -> date:
    return date.fromisoformat(str(notice.payload["date"]))


def _int(notice: Notice, name: str) -> int | None:
    value = notice.payload.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def renderers(database: Database, clock: Clock) -> dict[str, NoticeRenderer]:
    async def digest(notice: Notice) -> RenderedCard | None:
        school_id = _int(notice, "school_id")
        found = await digest_to_send(database, school_id, _day(notice)) if school_id is not None else None
        return digest_card(*found) if found is not None else None

    async def undeliverable(notice: Notice) -> RenderedCard | None:
        school_id = _int(notice, "school_id")
        school = await get_school(database, school_id) if school_id is not None else None
        if school is None:
            return None
        reason = UNDELIVERABLE_REASONS.get(str(notice.payload.get("reason")), "nobody there can be reached in Teams")
        return render_card(
            "attendance/alert.json.j2",
            urgent=True,
            title=f"Attendance digest not delivered: {school.name}",
            lines=[f"The digest for {day_label(_day(notice))} could not reach {school.name}: {reason}."],
            hint="Add a DSL for the school in the directory, or ask the DSL to open the assistant in Teams.",
        )

    async def left_placement(notice: Notice) -> RenderedCard | None:
        pupil_id = _int(notice, "pupil_id")
        pupil = await get_pupil(database, pupil_id) if pupil_id is not None else None
        if pupil is None or pupil.erased:
            return None
        which = Session(str(notice.payload["session"]))
        setting = Setting(str(notice.payload["setting"]))
        place = "the LNCIP Centre"
        if setting is Setting.AP:
            provider = (await queries.providers_of(database, [pupil.id])).get(pupil.id)
            place = provider.name if provider else "their alternative provider"
        return render_card(
            "attendance/alert.json.j2",
            urgent=True,
            title=f"{pupil.display_name} has left {place}",
            lines=[
                f"{pupil.display_name} (Year {pupil.year_group}) left {place} at {notice.payload['at']} "
                f"on {day_label(_day(notice))}, in the {session_label(which)}."
            ],
            hint="Sent at once, not in the daily digest. Please follow your school's procedure "
            "for a pupil missing from education.",
        )

    async def unexplained(notice: Notice) -> RenderedCard | None:
        pupil_id = _int(notice, "pupil_id")
        pupil = await get_pupil(database, pupil_id) if pupil_id is not None else None
        if pupil is None or pupil.erased:
            return None
        which = Session(str(notice.payload["session"]))
        return render_card(
            "attendance/alert.json.j2",
            urgent=True,
            title=f"{pupil.display_name}: absent, no reason given",
            lines=[
                f"{pupil.display_name} (Year {pupil.year_group}) is absent from the {session_label(which)} "
                f"session on {day_label(_day(notice))} and nobody has given a reason.",
                "You get this at once because the pupil has a child protection plan, a child in need plan "
                "or is looked after.",
            ],
            hint="Please follow up today.",
        )

    async def unmarked(notice: Notice) -> RenderedCard | None:
        which = Session(str(notice.payload["session"]))
        missing = await queries.unmarked_pupils(database, _day(notice), which)
        if not missing:
            return None  # marked since: nothing to flag
        return render_card(
            "attendance/alert.json.j2",
            urgent=False,
            title=f"Not marked yet: {session_label(which)}, {day_label(_day(notice))}",
            lines=[", ".join(p.display_name for p in missing)],
            hint="Type register to mark them.",
        )

    return {
        notices.DIGEST: digest,
        notices.DIGEST_UNDELIVERABLE: undeliverable,
        notices.LEFT_PLACEMENT: left_placement,
        notices.UNEXPLAINED_ABSENCE: unexplained,
        notices.UNMARKED: unmarked,
    }
