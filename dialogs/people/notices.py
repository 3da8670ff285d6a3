"""The people feature's notice renderers: the card a person gets when their details change."""

from __future__ import annotations

from bot.cards import RenderedCard, render_card
from bot.notices import NoticeRenderer
from db.engine import Database
from domain.directory.notices import PERSON_SAVED
from domain.directory.queries import get_person, get_school
from domain.notices import Notice


def renderers(database: Database) -> dict[str, NoticeRenderer]:
    async def person_saved(notice: Notice) -> RenderedCard | None:
        person_id = notice.payload.get("person_id")
        person = await get_person(database, person_id) if isinstance(person_id, int) else None
        if person is None:
            return None  # gone since: nothing to tell
        by_id = notice.payload.get("by_person_id")
        by = await get_person(database, by_id) if isinstance(by_id, int) else None
        school = await get_school(database, person.school_id) if person.school_id is not None else None
        return render_card(
            "people/saved_notice.json.j2",
            name=person.display_name,
            added=notice.payload.get("outcome") == "added",
            by=by.display_name if by else None,
            works_for=school.name if school else "the Partnership",
            roles=sorted(role.label for role in person.roles),
            active=person.active,
        )

    return {PERSON_SAVED: person_saved}
