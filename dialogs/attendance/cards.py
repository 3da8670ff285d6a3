"""The attendance feature's cards, built from plain data: the register (one card per up to
`MAX_ROWS` pupils, with the declared shape of what its Save sends, `REGISTER_SUBMIT`), a
school's digest as it stands (the daily notice, "today's attendance" and after "Chased"), and
a pupil's welfare status (`welfare_card`, its Save's shape `WELFARE_SUBMIT`; `welfare_choices`
when a typed name fits several pupils).

What the register's Save sends: its data (`verb`, `date`, `session` and each row's pupil id
`p<i>`) and each row's inputs: the mark `m<i>`, the time `t<i>` (HH:MM), the reason `r<i>`,
who gave it `g<i>`, the actions taken `a<i>` ("a,b"). Rows are numbered on the card, not by
pupil, so the shape is fixed; the pupil ids come back from the card's own data and are checked
again by the domain (`record_register`: placed pupils, Partnership staff only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from jinja2.utils import htmlsafe_json_dumps

from bot.cards import RenderedCard, render_card
from bot.submit_shapes import Choices, Id, Shape, Text
from bot.submit_shapes import Flag as Toggle
from bot.texts import text
from domain.attendance.digest import PupilLine, SchoolDigest, SessionLine
from domain.attendance.model import AbsenceReason, ActionTaken, Figure, Flag, GivenBy, MarkKind, Session, Setting
from domain.attendance.welfare import FIELDS, WelfarePupil, WelfareView

SAVE_VERB = "attendance.register.save"
CHASED_VERB = "attendance.chased"
WELFARE_SAVE_VERB = "attendance.welfare.save"
WELFARE_OPEN_VERB = "attendance.welfare.open"
MAX_ROWS = 15  # pupils on one register card: about 2.7 KB each, so a card stays near half the bot's MAX_MESSAGE_BYTES
DATE_PATTERN = r"20[0-9]{2}-[01][0-9]-[0-3][0-9]"
TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"

REGISTER_SUBMIT: Shape = {
    "date": Text(max_length=10, pattern=DATE_PATTERN),
    "session": Text(max_length=2, choices=frozenset(s.value for s in Session)),
    **{
        name: field
        for i in range(MAX_ROWS)
        for name, field in (
            (f"p{i}", Id(required=False)),
            (f"m{i}", Text(required=False, max_length=20, choices=frozenset(m.value for m in MarkKind))),
            (f"t{i}", Text(required=False, max_length=8, pattern=TIME_PATTERN)),
            (f"r{i}", Text(required=False, max_length=20, choices=frozenset(r.value for r in AbsenceReason))),
            (f"g{i}", Text(required=False, max_length=20, choices=frozenset(g.value for g in GivenBy))),
            (f"a{i}", Choices(required=False, choices=frozenset(a.value for a in ActionTaken), max_items=6)),
        )
    },
}
CHASED_SUBMIT: Shape = {"pupil": Id(), "date": Text(max_length=10, pattern=DATE_PATTERN)}
# A toggle always sends its value, so a Save without one is not a "no" but a forged or broken submit.
WELFARE_SUBMIT: Shape = {"pupil": Id(), **{name: Toggle(required=True) for name in FIELDS}}
WELFARE_OPEN: Shape = {"pupil": Id()}


def session_label(which: Session) -> str:
    return text(f"attendance_session_{which.value}")


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def hhmm(at: time | None) -> str:
    return at.strftime("%H:%M") if at is not None else ""


@dataclass(frozen=True)
class RegisterRow:
    """One pupil on the register card, with what is stored (or was typed) for them."""

    pupil_id: int
    name: str
    where: str
    mark: str = ""
    at: str = ""
    reason: str = ""
    given_by: str = ""
    actions: tuple[str, ...] = ()
    school: str = ""  # the pupil's home school, for a register across the Partnership's schools


def _choices(prefix: str, values: Sequence[str]) -> str:
    """A choice set's choices as JSON (as `tojson` writes it), made once, not once a pupil row."""
    return htmlsafe_json_dumps([{"title": text(f"attendance_{prefix}_{value}"), "value": value} for value in values])


def register_cards(
    day: date, which: Session, rows: Sequence[RegisterRow], problems: Sequence[str] = (), saved: str | None = None
) -> list[RenderedCard]:
    """The register for `day` and `which` session, `MAX_ROWS` pupils a card."""
    pages = [rows[start : start + MAX_ROWS] for start in range(0, len(rows), MAX_ROWS)] or [[]]
    marks = _choices("mark", [m.value for m in MarkKind])
    reasons = _choices("reason", [r.value for r in AbsenceReason])
    given_by, actions = (
        _choices("given_by", [g.value for g in GivenBy]),
        _choices("action", [a.value for a in ActionTaken]),
    )
    return [
        render_card(
            "attendance/register.json.j2",
            title=f"Register: {day_label(day)}, {session_label(which)}",
            part=f"Part {n} of {len(pages)}" if len(pages) > 1 else "",
            rows=page,
            problems=problems,
            saved=saved,
            marks=marks,
            reasons=reasons,
            given_by=given_by,
            actions=actions,
            data={
                "verb": SAVE_VERB,
                "date": day.isoformat(),
                "session": which.value,
                **{f"p{i}": row.pupil_id for i, row in enumerate(page)},
            },
        )
        for n, page in enumerate(pages, start=1)
    ]


def percent(figure: Figure) -> str:
    return "no sessions yet" if figure.percent is None else f"{figure.percent:g}%"


def session_line(line: SessionLine) -> str:
    if line.mark is None:
        return text("attendance_mark_none") + (
            f" · suggested code {line.suggested_code}" if line.suggested_code else ""
        )
    return text(
        "attendance_session_line",
        mark=text(f"attendance_mark_{line.mark.value}"),
        at=hhmm(line.at),
        reason=text(f"attendance_reason_{line.reason.value}") if line.reason else "",
        given_by=text(f"attendance_given_by_{line.given_by.value}") if line.given_by else "",
        absent=line.mark is MarkKind.ABSENT,
        code=line.suggested_code or "",
    )


def where(line: PupilLine) -> str:
    if line.setting is Setting.AP:
        return line.provider.name if line.provider else "an alternative provider"
    return text(f"attendance_setting_{line.setting.value if line.setting else 'none'}")


def pupil_view(line: PupilLine, chased_by: Mapping[int, str], day: date) -> dict[str, Any]:
    """What the digest card shows of one pupil (no safeguarding, SEN or health detail)."""
    chase = None
    if line.chase is not None:
        at = line.chase.chased_at.strftime("%H:%M")
        chase = text("attendance_chased_by", name=chased_by.get(line.pupil_id, "the school"), at=at)
    return {
        "heading": f"{line.name}, Year {line.year_group}",
        "where": f"Expected at: {where(line)}",
        "sessions": [{"title": s.session.value.upper(), "value": session_line(s)} for s in line.sessions],
        "actions": ", ".join(text(f"attendance_action_{a.value}") for a in line.actions),
        "chase_today": text("attendance_chase_today") if line.open else "",
        "chased": chase,
        "flags": [text(f"attendance_flag_{f.value}") for f in line.flags if f is not Flag.UNEXPLAINED],
        "figures": text(
            "attendance_figures", week=percent(line.week), term=percent(line.term), year=percent(line.year)
        ),
        "chase_data": {"verb": CHASED_VERB, "pupil": line.pupil_id, "date": day.isoformat()} if line.open else None,
    }


def counts_facts(digest: SchoolDigest) -> list[dict[str, str]]:
    c = digest.counts
    facts = [
        ("Placed with the Partnership", c.placed),
        ("Present", c.present),
        ("Late", c.late),
        ("Absent, reason given", c.absent_explained),
        ("Absent, no reason yet", c.absent_unexplained),
        ("Not timetabled with us today", c.not_scheduled),
        ("Not marked yet", c.not_marked),
    ]
    return [{"title": title, "value": str(value)} for title, value in facts]


def digest_card(
    digest: SchoolDigest, chased_by: Mapping[int, str], *, title: str | None = None, only: int | None = None
) -> RenderedCard:
    """The school's digest as it stands; `only`: one pupil's line (`attendance for <pupil>`)."""
    lines = [line for line in digest.pupils if only is None or line.pupil_id == only]
    return render_card(
        "attendance/digest.json.j2",
        title=title or f"Attendance at {digest.school_name}: {day_label(digest.day)}",
        counts=counts_facts(digest) if only is None else [],
        open_count=len(digest.open_chases),
        pupils=[pupil_view(line, chased_by, digest.day) for line in lines],
    )


def week_card(school_name: str, days: Sequence[SchoolDigest], today: SchoolDigest) -> RenderedCard:
    """`attendance this week`: each school day's counts so far, and each pupil's week."""
    return render_card(
        "attendance/week.json.j2",
        title=f"Attendance at {school_name}: this week",
        days=[
            {
                "title": f"{d.day:%a} {d.day.day} {d.day:%b}",
                "value": (
                    f"{d.counts.present} present, {d.counts.late} late, {d.counts.absent_explained} absent with a "
                    f"reason, {d.counts.absent_unexplained} absent without one, {d.counts.not_marked} not marked"
                ),
            }
            for d in days
        ],
        pupils=[
            {"title": line.name, "value": f"{percent(line.week)} of {line.week.possible} session(s) this week"}
            for line in today.pupils
        ],
    )


def partnership_card(day: date, digests: Sequence[SchoolDigest]) -> RenderedCard:
    """Partnership staff asking for today's attendance: each school's counts and open chases."""
    return render_card(
        "attendance/partnership.json.j2",
        title=f"Attendance across the Partnership: {day_label(day)}",
        schools=[
            {
                "name": d.school_name,
                "counts": f"{d.counts.placed} placed, {d.counts.absent_unexplained} absent without a reason, "
                f"{d.counts.not_marked} not marked",
                "open": ", ".join(line.name for line in d.open_chases),
            }
            for d in digests
        ],
    )


def welfare_card(view: WelfareView, *, saved: str | None = None) -> RenderedCard:
    """A pupil's welfare status: toggles and Save for those who may change it, else facts."""
    pupil, flags = view.pupil, view.flags
    titles = {name: text(f"attendance_welfare_{name}") for name in FIELDS}
    notes = [text("attendance_welfare_why"), text("attendance_welfare_who")]
    if not pupil.placed:
        notes.insert(0, text("attendance_welfare_not_placed", name=pupil.name))
    return render_card(
        "attendance/welfare.json.j2",
        title=text("attendance_welfare_title", name=pupil.name, year=pupil.year_group),
        school=pupil.school,
        saved=saved,
        recorded=text("attendance_welfare_recorded", flags=[titles[n] for n in FIELDS if getattr(flags, n)]),
        may_set=view.may_set,
        flags=[{"id": n, "title": titles[n], "on": getattr(flags, n)} for n in FIELDS],
        facts=[{"title": titles[n], "value": "Yes" if getattr(flags, n) else "No"} for n in FIELDS],
        notes=notes,
        data={"verb": WELFARE_SAVE_VERB, "pupil": pupil.id},
    )


def welfare_choices(typed: str, pupils: Sequence[WelfarePupil]) -> RenderedCard:
    """Several pupils fit the typed name: a button each, opening that pupil's welfare card."""
    return render_card(
        "attendance/welfare_choice.json.j2",
        title=text("attendance_welfare_choose", name=typed),
        choices=[
            {
                "title": f"{p.name}, Year {p.year_group}" + (f" ({p.school})" if p.school else ""),
                "data": {"verb": WELFARE_OPEN_VERB, "pupil": p.id},
            }
            for p in pupils
        ],
    )
