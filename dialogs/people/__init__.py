"""The people feature: the Partnership admin adds or changes a person in the directory from
Teams (`people`). The conversation is `dialog.py`, its card `cards.py` and `templates/`, its
texts `texts.yaml`, the card a saved person receives `notices.py`; what it does to the
directory is `domain.directory.service`.
"""

from __future__ import annotations

from bot.commands import Command
from bot.features import Feature, FeatureServices
from bot.turn import Turn
from dialogs.people.dialog import DIALOG_ID, PeopleDialog, email_or_none
from dialogs.people.notices import renderers
from domain.access import Action


def feature(services: FeatureServices) -> Feature:
    database = services.database

    async def start(turn: Turn) -> None:
        assert turn.dialogs is not None, "the people command needs dialog state"
        email = email_or_none(turn.args)
        await turn.dialogs.begin_dialog(DIALOG_ID, {"email": email} if email else {})

    people = Command(
        "people",
        "Add or change a person in the directory",
        start,
        aliases=("person",),
        action=Action.MANAGE_PEOPLE,
        personal_only=True,
        takes_args=True,
        starts_dialog=True,
    )
    return Feature(
        "people", commands=(people,), dialogs=(PeopleDialog(database),), notice_renderers=renderers(database)
    )
