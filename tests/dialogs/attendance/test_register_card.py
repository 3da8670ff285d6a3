"""The register card at its fullest stays within what Teams takes, and a long register is
split into parts."""

from __future__ import annotations

from datetime import date

from dialogs.attendance.cards import MAX_ROWS, RegisterRow, register_cards
from domain.attendance.model import ActionTaken, Session
from domain.conversations import MAX_MESSAGE_BYTES
from domain.notifier import message_bytes


def full_row(n: int) -> RegisterRow:
    """A row with every value filled and long names, as heavy as a row gets."""
    return RegisterRow(
        pupil_id=1_000_000 + n,
        name=f"Alexandra-Louise Montgomery-Fitzwilliam {n}",
        where="Wreake Vale Studio School and Farm Skills Centre",
        mark="absent",
        at="09:20",
        reason="illness",
        given_by="parent_phone",
        actions=tuple(a.value for a in ActionTaken),
        school="Mountsorrel Brook Academy and Sixth Form",
    )


def test_a_full_register_card_fits_and_a_long_register_is_split() -> None:
    rows = [full_row(n) for n in range(MAX_ROWS * 2 + 1)]
    cards = register_cards(date(2026, 12, 4), Session.AM, rows, problems=["x" * 200] * 3, saved="Register saved")
    assert len(cards) == 3 and "Part 1 of 3" in cards[0].text
    for card in cards:
        assert message_bytes(card) < MAX_MESSAGE_BYTES
