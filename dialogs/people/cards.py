"""The people form card: a person's details to fill in, with the problems of the last try, and
the declared shape of what its Save sends (`SUBMIT`).

What the card sends: every input's value as text (the toggle "true" or "false", the roles
"a,b"), and its Save's data: `action` and the dialog's `form` token (`bot/forms.py`). An
emptied Input.Text may come as "" or not at all (renderers differ), so an absent Entra object
id means "keep it", never "clear it"; "" clears it. The toggle always sends its value, so an
absent or unreadable `active` is refused, never read as "no".
"""

from __future__ import annotations

from typing import Any

from bot.cards import RenderedCard, render_card
from bot.submit_shapes import MAX_INTEGER_ID, Choices, Flag, Guid, Id, Shape, Text
from domain.directory.model import PersonRecord, SchoolRecord
from domain.roles import Role

SAVE_ACTION = "people.save"
PARTNERSHIP = "partnership"  # the school choice for Partnership staff
FIELDS = ("display_name", "aad_object_id", "school", "roles", "active")
SUBMIT: Shape = {
    "display_name": Text(max_length=200),
    "school": Id(maximum=MAX_INTEGER_ID, words=frozenset({PARTNERSHIP})),
    "roles": Choices(choices=frozenset(role.value for role in Role), max_items=len(Role)),
    "aad_object_id": Guid(),
    "active": Flag(required=True),
}
LABELS = {  # as the card names its inputs
    "display_name": "Name",
    "school": "Works for",
    "roles": "Roles",
    "aad_object_id": "Microsoft Entra object id",
    "active": "Active",
}


def form_card(
    email: str,
    existing: PersonRecord | None,
    schools: list[SchoolRecord],
    values: dict[str, str],
    problems: list[str],
    form: str,
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
        form=form,
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


def shown_again(shown: dict[str, str], submitted: dict[str, Any]) -> dict[str, str]:
    """What the form shows when it comes back: what was typed, where it is text, else what it showed."""
    typed = {name: value[:200] for name in FIELDS if isinstance(value := submitted.get(name), str)}
    return shown | typed
