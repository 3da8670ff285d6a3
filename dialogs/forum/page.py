"""The agenda as an HTML page for the shared screen in the meeting (`templates/agenda_page.html.j2`,
autoescaped), and the lines that the agenda card and the page both show for each case. Served
by `bot/agenda_page.py` only through a signed link, to a person the policy still allows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.signed_links import SignedLinks
from dialogs.forum.wording import when
from domain.forum.model import Agenda, Reader

PATH = "/forum/agenda/{meeting_id}"
VALID_FOR = timedelta(hours=12)  # a meeting's morning, with time to spare
TEMPLATES = FileSystemLoader(__file__.rsplit("/", 1)[0] + "/templates")
html = Environment(
    loader=TEMPLATES,
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html.j2"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def view_of(reader: Reader) -> str:
    return "anonymised" if reader is Reader.EXTERNAL else "named"


def reader_of(view: str | None) -> Reader:
    return Reader.EXTERNAL if view == "anonymised" else Reader.PARTNERSHIP


def case_lines(agenda: Agenda) -> list[dict[str, Any]]:
    return [
        {
            "booking_id": case.booking_id,
            "referral_id": case.referral_id,
            "heading": f"{number}. {case.pupil_name or 'Anonymous case'}"
            + (f" ({case.reference})" if case.reference else ""),
            "school": case.school,
            "year": f"Year {case.year_group}" if case.year_group else "Not given",
            "need": case.need,
            "question": case.question or "Not given",
            "recorded": case.advice_recorded,
        }
        for number, case in enumerate(agenda.cases, start=1)
    ]


def headings(agenda: Agenda) -> tuple[str, str]:
    view = "named as consent allows" if agenda.reader is Reader.PARTNERSHIP else "anonymised for visiting services"
    title = f"{agenda.meeting.kind.label} agenda: {when(agenda.meeting)}"
    return title, f"{len(agenda.cases)} case(s), {view}."


def render_agenda_page(agenda: Agenda) -> str:
    title, subtitle = headings(agenda)
    return html.get_template("agenda_page.html.j2").render(title=title, subtitle=subtitle, cases=case_lines(agenda))


def agenda_page_url(
    links: SignedLinks, base_url: str, person_id: int, meeting_id: int, view: str, now: datetime
) -> str:
    """The signed link to a meeting's agenda page for this person and view."""
    expires = int((now + VALID_FOR).timestamp())
    fields = (str(person_id), str(meeting_id), view)
    query = urlencode({"person": person_id, "view": view, "expires": expires, "sig": links.signature(fields, expires)})
    return f"{base_url}{PATH.format(meeting_id=meeting_id)}?{query}"
