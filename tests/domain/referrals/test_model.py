"""The referral lifecycle as a matrix: every (from, to) pair is legal or not, written out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.access import RecordKind
from domain.referrals.model import (
    OPEN_STATES,
    TRANSITIONS,
    IllegalTransition,
    Outcome,
    Referral,
    ReferralKind,
    ReferralStatus,
    academic_year_end,
    key_stage,
    move,
)

S = ReferralStatus
ORDER = list(S)
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
# Rows: from; columns: to, in ORDER (draft, submitted, received, information_requested,
# information_given, listed_for_core_group, decided, closed, withdrawn).
# fmt: off
EXPECTED = {
    #                           drf sub rec irq igv lst dec cls wdr
    S.DRAFT:                   ". Y . . . . . . .",
    S.SUBMITTED:               ". . Y . . . . . Y",
    S.RECEIVED:                ". . . Y . Y . . Y",
    S.INFORMATION_REQUESTED:   ". . . . Y . . . Y",
    S.INFORMATION_GIVEN:       ". . . Y . Y . . Y",
    S.LISTED_FOR_CORE_GROUP:   ". . . Y . Y Y . Y",
    S.DECIDED:                 ". . . . . . . Y .",
    S.CLOSED:                  ". . . . . . . . .",
    S.WITHDRAWN:               ". . . . . . . . .",
}
# fmt: on


def referral(status: ReferralStatus) -> Referral:
    return Referral(7, ReferralKind.PARTNERSHIP_REFERRAL, status, 3, 11, NOW, NOW, pupil_id=5, year_group=9)


def test_the_matrix_covers_every_status() -> None:
    assert set(EXPECTED) == set(S) == set(TRANSITIONS)


@pytest.mark.parametrize("to", ORDER, ids=str)
@pytest.mark.parametrize("start", ORDER, ids=str)
def test_every_pair(start: ReferralStatus, to: ReferralStatus) -> None:
    legal = EXPECTED[start].split()[ORDER.index(to)] == "Y"
    if legal:
        moved = move(referral(start), to, at=NOW)
        assert moved.status is to and moved.updated_at == NOW
    else:
        with pytest.raises(IllegalTransition) as raised:
            move(referral(start), to, at=NOW)
        assert raised.value.reason.startswith("This referral is ")


def test_withdrawn_from_every_open_state_and_only_those() -> None:
    assert {s for s in S if S.WITHDRAWN in TRANSITIONS[s]} == OPEN_STATES


def test_key_stage_and_the_end_of_the_school_year() -> None:
    assert [key_stage(y) for y in (7, 8, 9, 10, 11)] == [3, 3, 3, 4, 4]
    with pytest.raises(ValueError):
        key_stage(6)
    assert academic_year_end(date(2026, 1, 5)) == date(2026, 8, 31)
    assert academic_year_end(date(2025, 9, 1)) == date(2026, 8, 31)
    assert academic_year_end(date(2026, 8, 31)) == date(2026, 8, 31)


def test_outcomes_and_places() -> None:
    assert {o.value for o in Outcome} == {
        "back_to_forum",
        "school_continues_with_advice",
        "in_school_support",
        "part_time_programme",
        "full_time_programme",
        "managed_move",
        "fresh_start",
    }
    assert {o for o in Outcome if o.takes_a_place} == {Outcome.PART_TIME_PROGRAMME, Outcome.FULL_TIME_PROGRAMME}


def test_a_referral_is_asked_about_as_its_school_and_referrer() -> None:
    target = referral(S.SUBMITTED).target
    assert (target.kind, target.school_id, target.owner_person_id) == (RecordKind.REFERRAL, 3, 11)
    assert referral(S.RECEIVED).is_open and not referral(S.DECIDED).is_open and referral(S.DRAFT).key_stage == 3
