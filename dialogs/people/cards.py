"""The people form card: a person's details to fill in, with the problems of the last try."""

from __future__ import annotations

from typing import Any

from bot.cards import RenderedCard, render_card
from domain.directory.model import PersonRecord, SchoolRecord
from domain.roles import Role

SAVE_ACTION = "people.save"
PARTNERSHIP = "partnership"  # the school choice for Partnership staff
FIELDS = ("display_name", "aad_object_id", "school", "roles", "active")


def form_card(
    email: str, existing: PersonRecord | None, schools: list[SchoolRecord], values: dict[str, str], problems: list[str]
) -> RenderedCard:
    return render_card(
        "people/form.json.j2",
        email=email,
        is_new=existing is None,
        values=values,
        schools=[
            {"title": "The Partnership (LNCIP staff)", "value": PARTNERSHIP},
            *({"title": s.name, "value": str(s.id)} for s in schools),
        ],
        roles=[{"title": role.label, "value": role.value} for role in Role],
        problems=problems,
        save_action=SAVE_ACTION,
    )


def form_values(person: PersonRecord | None) -> dict[str, str]:
    """What the form shows for a person (a new person: empty, active)."""
    if person is None:
        return {"display_name": "", "aad_object_id": "", "school": "", "roles": "", "active": "true"}
    return {
        "display_name": person.display_name,
        "aad_object_id": person.aad_object_id or "",
        "school": PARTNERSHIP if person.school_id is None else str(person.school_id),
        "roles": ",".join(sorted(r.value for r in person.roles)),
        "active": "true" if person.active else "false",
    }


def submitted_values(submitted: dict[str, Any]) -> dict[str, str]:
    """Only the form's own fields, as short strings; anything else in the submit is ignored."""
    return {name: str(submitted.get(name) or "").strip()[:200] for name in FIELDS}
