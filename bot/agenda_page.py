"""`GET /forum/agenda/{meeting_id}`: a forum or Core Group agenda as an HTML page for the shared
screen in the meeting, served only through a link the agenda card gives its reader.

The link (`dialogs.forum.page.agenda_page_url`) names the person, the meeting, the view
(`named` or `anonymised`) and when it expires (`VALID_FOR` after it was made), signed with
HMAC-SHA256 (`core.signed_links`). The page is served when the signature holds for exactly
those fields, the link has not expired, and the access policy, asked again now, still lets
that person see the agenda (someone whose post has ended is refused). Anything else is 403
with a plain page saying what to do; the view is audited by the domain. The answer is never
cached or indexed and loads nothing from elsewhere.

Plain aiohttp: no Bot Framework here. Logs name the meeting and the outcome only, never a pupil.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from aiohttp import web

from core.clock import Clock
from core.logs import log_event
from core.signed_links import SignedLinks
from db.engine import Database
from dialogs.forum.page import PATH, reader_of, render_agenda_page
from domain.access import NotAllowed
from domain.directory.queries import get_person
from domain.forum import queries
from domain.forum.service import ForumError
from domain.requester import Requester

log = logging.getLogger("lncip.agenda_page")
VIEWS = frozenset({"named", "anonymised"})
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}
REFUSED = (
    "This agenda link is not valid, has expired, or is no longer yours to open. "
    "Type agenda in the LNCIP assistant in Teams for a new link."
)
NOT_FOUND = "This meeting is no longer on record."


def _plain(status: int, message: str) -> web.Response:
    page = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>LNCIP assistant</title>'
        f"</head><body><p>{message}</p></body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html", headers=HEADERS)


def _number(raw: str, digits: int = 18) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= digits and not raw.startswith("0") else None


def agenda_page(
    database_of: Callable[[web.Application], Database], clock: Clock, links: SignedLinks | None
) -> web.RouteTableDef:
    """The route; `database_of` finds the database the app opened at start. Without a link
    secret (outside local mode with no AGENDA_PAGE_SECRET) there is no page: 404."""
    routes = web.RouteTableDef()

    @routes.get(PATH)
    async def show(request: web.Request) -> web.Response:
        if links is None:
            return _plain(404, "The agenda page is not set up on this server.")
        query = request.query
        meeting_id = _number(request.match_info["meeting_id"])
        person_id = _number(query.get("person", ""))
        expires = _number(query.get("expires", ""), 12)
        view, signature = query.get("view", ""), query.get("sig", "")
        if meeting_id is None or person_id is None or expires is None or view not in VIEWS or len(signature) != 64:
            log_event(log, "agenda_page", logging.WARNING, outcome="bad_link")
            return _plain(403, REFUSED)
        if not links.valid((str(person_id), str(meeting_id), view), expires, signature, clock.now()):
            log_event(log, "agenda_page", logging.WARNING, outcome="bad_or_expired_signature", meeting_id=meeting_id)
            return _plain(403, REFUSED)
        person = await get_person(database_of(request.app), person_id)
        if person is not None and not person.active:  # the post has ended: no role holds any more
            person = replace(person, roles=frozenset())
        try:
            agenda = await queries.agenda(
                database_of(request.app), Requester.in_teams(person), meeting_id, reader_of(view), shown_on="page"
            )
        except NotAllowed:
            log_event(log, "agenda_page", logging.WARNING, outcome="refused", meeting_id=meeting_id)
            return _plain(403, REFUSED)
        except ForumError:
            return _plain(404, NOT_FOUND)
        log_event(log, "agenda_page", outcome="shown", meeting_id=meeting_id, view=view, cases=len(agenda.cases))
        return web.Response(text=render_agenda_page(agenda), content_type="text/html", headers=HEADERS)

    return routes
