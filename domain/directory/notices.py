"""What the directory tells people: a person added or changed from Teams hears of it in their
own chat, with who did it (ids only here; the card is drawn when it is sent)."""

from __future__ import annotations

from datetime import datetime

from domain.directory.model import Outcome
from domain.notices import Notice

PERSON_SAVED = "people.saved"


def person_saved(person_id: int, by_person_id: int | None, outcome: Outcome, at: datetime) -> Notice:
    """One notice per change: the key names the person and the moment of the change."""
    return Notice(
        PERSON_SAVED,
        {"person_id": person_id, "by_person_id": by_person_id, "outcome": outcome},
        key=f"{PERSON_SAVED}:{person_id}:{at.strftime('%Y%m%dT%H%M%S.%f')}",
    )
