"""Tests for the access policy: every role against every action, written out as data.

The matrix below is the policy restated by hand. A change to `domain/access.py` that
is not also made here fails, which is the point: who may see what is a decision for
review, not a side effect of a refactor.
"""

from __future__ import annotations

import pytest

from domain.access import (
    NO_RECORD,
    NO_SCHOOL_ON_RECORD,
    NOT_PLACED,
    NOT_YOURS,
    OPEN_TO_ALL,
    OTHER_SCHOOL,
    RULES,
    UNKNOWN_PERSON,
    Action,
    Actor,
    Decision,
    NotAllowed,
    RecordKind,
    Target,
    decide,
    require,
)
from domain.roles import Role

ME = 5519
SOMEONE_ELSE = 6602
MY_SCHOOL = 4821
OTHER = 7306

# Column order of the matrix.
ROLES = (
    Role.TEACHER,
    Role.HEAD_OF_YEAR,
    Role.SENCO,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.ATTENDANCE_LEAD,
    Role.HEADTEACHER,
    Role.PARTNERSHIP_SENCO,
    Role.PARTNERSHIP_DIRECTOR,
    Role.COORDINATOR,
    Role.PARTNERSHIP_STAFF,
    Role.PARTNERSHIP_ADMIN,
)

# The record each action is asked about in the matrix.
KIND = {
    Action.ASK_OFFER_QUESTION: RecordKind.OFFER,
    Action.ANSWER_STAFF_QUESTION: RecordKind.OFFER,
    Action.VIEW_PUPIL: RecordKind.PUPIL,
    Action.VIEW_PUPIL_LIST: RecordKind.SCHOOL,
    Action.CREATE_REFERRAL: RecordKind.REFERRAL,
    Action.VIEW_REFERRAL: RecordKind.REFERRAL,
    Action.DECIDE_REFERRAL: RecordKind.REFERRAL,
    Action.EDIT_REFERRAL_DRAFT: RecordKind.REFERRAL,
    Action.ANSWER_REFERRAL_QUESTION: RecordKind.REFERRAL,
    Action.WITHDRAW_REFERRAL: RecordKind.REFERRAL,
    Action.PROGRESS_REFERRAL: RecordKind.REFERRAL,
    Action.ALLOW_REFERRAL_EXCEPTION: RecordKind.REFERRAL,
    Action.FOLLOW_UP_REFERRAL: RecordKind.REFERRAL,
    Action.BOOK_FORUM_CASE: RecordKind.FORUM_BOOKING,
    Action.CHANGE_FORUM_BOOKING: RecordKind.FORUM_BOOKING,
    Action.VIEW_FORUM_AGENDA: RecordKind.FORUM_BOOKING,
    Action.RUN_FORUM: RecordKind.FORUM_BOOKING,
    Action.IMPORT_MEETINGS: RecordKind.FORUM,
    Action.TAKE_REGISTER: RecordKind.ATTENDANCE,
    Action.VIEW_ATTENDANCE: RecordKind.ATTENDANCE,
    Action.RECEIVE_ATTENDANCE_DIGEST: RecordKind.SCHOOL,
    Action.RAISE_SAFEGUARDING_CONCERN: RecordKind.SAFEGUARDING_CONCERN,
    Action.VIEW_SAFEGUARDING_CONCERN: RecordKind.SAFEGUARDING_CONCERN,
    Action.ACKNOWLEDGE_SAFEGUARDING_ALERT: RecordKind.SAFEGUARDING_CONCERN,
    Action.ADD_SAFEGUARDING_NOTE: RecordKind.SAFEGUARDING_CONCERN,
    Action.LIST_OPEN_CONCERNS: RecordKind.SAFEGUARDING_CONCERN,
    Action.MANAGE_PEOPLE: RecordKind.PERSON,
    Action.IMPORT_DIRECTORY: RecordKind.SCHOOL,
    Action.EXPORT_DIRECTORY: RecordKind.SCHOOL,
    Action.ERASE_PUPIL_DATA: RecordKind.PUPIL,
    Action.VIEW_AUDIT_LOG: RecordKind.AUDIT_LOG,
    Action.MANAGE_TERM_DATES: RecordKind.SCHOOL_CALENDAR,
    Action.CHASE_ABSENCE: RecordKind.ATTENDANCE,
    Action.IMPORT_ATTENDANCE: RecordKind.PROVIDER,
    Action.MANAGE_PROVIDERS: RecordKind.PROVIDER,
    Action.VIEW_WELFARE_FLAGS: RecordKind.PUPIL,
    Action.SET_WELFARE_FLAGS: RecordKind.PUPIL,
}

# Each cell is four answers, Y (allowed) or . (refused), for four records:
#   1. at the person's own school, made by someone else, pupil not placed
#   2. at another school, made by someone else, pupil not placed
#   3. at another school, made by someone else, pupil placed with the Partnership
#   4. at the person's own school, made by the person
# School roles sit at MY_SCHOOL; Partnership roles have no school, so for them
# columns 1 and 2 differ only in the school id.
# Roles, in ROLES order: teacher, head of year, SENCO, DSL, deputy DSL, attendance lead,
# headteacher | Partnership SENCO, Director, Coordinator, Partnership staff, admin.
# fmt: off
EXPECTED: dict[Action, str] = {
    #                                       tchr hoy  senc dsl  ddsl attl head psen dirc coor pstf padm
    Action.ASK_OFFER_QUESTION:             "YYYY YYYY YYYY YYYY YYYY YYYY YYYY YYYY YYYY YYYY YYYY YYYY",
    Action.VIEW_PUPIL:                     ".... Y..Y Y..Y Y..Y Y..Y Y..Y Y..Y YYYY YYYY YYYY ..Y. ....",
    Action.VIEW_PUPIL_LIST:                ".... Y..Y Y..Y Y..Y Y..Y Y..Y Y..Y YYYY YYYY YYYY ..Y. ....",
    Action.CREATE_REFERRAL:                ".... Y..Y Y..Y .... .... .... .... .... .... .... .... ....",
    Action.VIEW_REFERRAL:                  ".... ...Y Y..Y Y..Y Y..Y .... Y..Y YYYY YYYY YYYY .... ....",
    Action.DECIDE_REFERRAL:                ".... .... .... .... .... .... .... YYYY YYYY .... .... ....",
    Action.EDIT_REFERRAL_DRAFT:            ".... ...Y ...Y .... .... .... .... .... .... .... .... ....",
    Action.ANSWER_REFERRAL_QUESTION:       ".... ...Y Y..Y .... .... .... .... .... .... .... .... ....",
    Action.WITHDRAW_REFERRAL:              ".... ...Y Y..Y .... .... .... .... YYYY YYYY .... .... ....",
    Action.PROGRESS_REFERRAL:              ".... .... .... .... .... .... .... YYYY YYYY YYYY .... ....",
    Action.ALLOW_REFERRAL_EXCEPTION:       ".... .... .... .... .... .... .... YYYY YYYY .... .... ....",
    Action.FOLLOW_UP_REFERRAL:             ".... .... .... .... .... .... .... .... .... YYYY .... ....",
    Action.BOOK_FORUM_CASE:                ".... Y..Y Y..Y .... .... .... .... .... .... .... .... ....",
    Action.CHANGE_FORUM_BOOKING:           ".... ...Y Y..Y .... .... .... .... YYYY YYYY .... .... ....",
    Action.VIEW_FORUM_AGENDA:              ".... ...Y Y..Y .... .... .... Y..Y YYYY YYYY YYYY .... ....",
    Action.RUN_FORUM:                      ".... .... .... .... .... .... .... YYYY YYYY .... .... ....",
    Action.IMPORT_MEETINGS:                ".... .... .... .... .... .... .... YYYY YYYY .... .... ....",
    Action.TAKE_REGISTER:                  ".... .... .... .... .... .... .... .... .... ..Y. ..Y. ....",
    Action.VIEW_ATTENDANCE:                ".... .... .... Y..Y Y..Y Y..Y Y..Y YYYY YYYY YYYY ..Y. ....",
    Action.RECEIVE_ATTENDANCE_DIGEST:      ".... .... .... Y..Y Y..Y Y..Y .... .... .... .... .... ....",
    Action.RAISE_SAFEGUARDING_CONCERN:     ".... .... .... .... .... .... .... YYYY YYYY YYYY YYYY YYYY",
    Action.VIEW_SAFEGUARDING_CONCERN:      ".... .... .... Y..Y Y..Y .... Y..Y ..YY YYYY ..YY ...Y ....",
    Action.ACKNOWLEDGE_SAFEGUARDING_ALERT: ".... .... .... Y..Y Y..Y .... Y..Y .... .... .... .... ....",
    Action.ADD_SAFEGUARDING_NOTE:          ".... .... .... Y..Y Y..Y .... Y..Y ..YY YYYY ..YY ...Y ....",
    Action.LIST_OPEN_CONCERNS:             ".... .... .... .... .... .... .... YYYY YYYY YYYY .... ....",
    Action.ANSWER_STAFF_QUESTION:          ".... .... .... .... .... .... .... YYYY YYYY YYYY YYYY YYYY",
    Action.MANAGE_PEOPLE:                  ".... .... .... .... .... .... .... .... .... .... .... YYYY",
    Action.IMPORT_DIRECTORY:               ".... .... .... .... .... .... .... .... .... .... .... YYYY",
    Action.EXPORT_DIRECTORY:               ".... .... .... .... .... .... .... .... .... .... .... YYYY",
    Action.ERASE_PUPIL_DATA:               ".... .... .... .... .... .... .... .... YYYY .... .... ....",
    Action.VIEW_AUDIT_LOG:                 ".... .... .... .... .... .... .... .... YYYY .... .... ....",
    Action.MANAGE_TERM_DATES:              ".... .... .... .... .... .... .... .... YYYY .... .... YYYY",
    Action.CHASE_ABSENCE:                  ".... .... .... Y..Y Y..Y Y..Y Y..Y .... .... .... .... ....",
    Action.IMPORT_ATTENDANCE:              ".... .... .... .... .... .... .... .... .... YYYY .... YYYY",
    Action.MANAGE_PROVIDERS:               ".... .... .... .... .... .... .... .... YYYY .... .... YYYY",
    Action.VIEW_WELFARE_FLAGS:             ".... .... .... Y..Y Y..Y .... Y..Y ..Y. YYYY ..Y. .... ....",
    Action.SET_WELFARE_FLAGS:              ".... .... .... Y..Y Y..Y .... .... .... YYYY .... .... ....",
}
# fmt: on


def actor_with(*roles: Role, school_id: int | None = MY_SCHOOL) -> Actor:
    return Actor(person_id=ME, school_id=school_id, roles=frozenset(roles))


def single_role_actor(role: Role) -> Actor:
    return actor_with(role, school_id=None if role.at_partnership else MY_SCHOOL)


def matrix_targets(action: Action) -> tuple[Target, ...]:
    kind = KIND[action]
    return (
        Target(kind, school_id=MY_SCHOOL, owner_person_id=SOMEONE_ELSE),
        Target(kind, school_id=OTHER, owner_person_id=SOMEONE_ELSE),
        Target(kind, school_id=OTHER, owner_person_id=SOMEONE_ELSE, placed_with_partnership=True),
        Target(kind, school_id=MY_SCHOOL, owner_person_id=ME),
    )


def answers(actor: Actor | None, action: Action) -> str:
    return "".join("Y" if decide(actor, action, t).allowed else "." for t in matrix_targets(action))


def all_decisions() -> list[Decision]:
    out = []
    for action in Action:
        for target in (*matrix_targets(action), None):
            out.append(decide(None, action, target))
            for role in ROLES:
                out.append(decide(single_role_actor(role), action, target))
    return out


def test_matrix_covers_every_action_and_role() -> None:
    assert set(EXPECTED) == set(Action) == set(RULES) == set(KIND)
    assert set(ROLES) == set(Role)
    assert all(len(row.split()) == len(ROLES) for row in EXPECTED.values())


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_role_against_every_action(action: Action, role: Role) -> None:
    expected = EXPECTED[action].split()[ROLES.index(role)]
    assert answers(single_role_actor(role), action) == expected


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_unknown_person_may_only_ask_about_the_offer(action: Action) -> None:
    expected = "YYYY" if action is Action.ASK_OFFER_QUESTION else "...."
    assert answers(None, action) == expected
    decision = decide(None, action, None)
    assert decision.allowed is (action is Action.ASK_OFFER_QUESTION)
    if not decision.allowed:
        assert decision.reason == UNKNOWN_PERSON


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_known_person_with_no_roles_may_only_ask_about_the_offer(action: Action) -> None:
    expected = "YYYY" if action is Action.ASK_OFFER_QUESTION else "...."
    assert answers(actor_with(), action) == expected


def test_several_roles_add_up() -> None:
    senco_and_dsl = actor_with(Role.SENCO, Role.DSL)
    concern = Target(RecordKind.SAFEGUARDING_CONCERN, school_id=MY_SCHOOL)
    referral = Target(RecordKind.REFERRAL, school_id=MY_SCHOOL)
    assert decide(senco_and_dsl, Action.CREATE_REFERRAL, referral).allowed
    assert decide(senco_and_dsl, Action.VIEW_SAFEGUARDING_CONCERN, concern).allowed
    assert decide(senco_and_dsl, Action.ACKNOWLEDGE_SAFEGUARDING_ALERT, concern).allowed
    # Neither role reaches other schools or the Partnership's own decisions.
    assert not decide(senco_and_dsl, Action.DECIDE_REFERRAL, referral).allowed
    assert not decide(senco_and_dsl, Action.VIEW_REFERRAL, Target(RecordKind.REFERRAL, school_id=OTHER))


def test_school_senco_who_is_also_partnership_senco_reaches_other_schools_by_that_role() -> None:
    both = actor_with(Role.SENCO, Role.PARTNERSHIP_SENCO)
    other_referral = Target(RecordKind.REFERRAL, school_id=OTHER)
    assert decide(both, Action.VIEW_REFERRAL, other_referral).allowed
    assert decide(both, Action.DECIDE_REFERRAL, other_referral).allowed
    # Referring stays a school-role act, so only for their own school.
    assert decide(both, Action.CREATE_REFERRAL, Target(RecordKind.REFERRAL, school_id=MY_SCHOOL)).allowed
    refused = decide(both, Action.CREATE_REFERRAL, other_referral)
    assert not refused.allowed
    assert refused.reason == OTHER_SCHOOL


def test_partnership_staff_who_also_teach_take_registers_and_see_own_concerns() -> None:
    director_who_teaches = actor_with(Role.PARTNERSHIP_DIRECTOR, Role.PARTNERSHIP_STAFF, school_id=None)
    register = Target(RecordKind.ATTENDANCE, school_id=OTHER, placed_with_partnership=True)
    assert decide(director_who_teaches, Action.TAKE_REGISTER, register).allowed
    assert decide(director_who_teaches, Action.ERASE_PUPIL_DATA, Target(RecordKind.PUPIL, school_id=OTHER))


def test_head_of_year_who_moved_school_loses_their_old_referrals() -> None:
    moved = actor_with(Role.HEAD_OF_YEAR, school_id=MY_SCHOOL)
    old = Target(RecordKind.REFERRAL, school_id=OTHER, owner_person_id=ME)
    decision = decide(moved, Action.VIEW_REFERRAL, old)
    assert not decision.allowed
    assert decision.reason == OTHER_SCHOOL


def test_partnership_staff_see_concerns_they_raised_at_any_school() -> None:
    staff = actor_with(Role.PARTNERSHIP_STAFF, school_id=None)
    mine = Target(RecordKind.SAFEGUARDING_CONCERN, school_id=OTHER, owner_person_id=ME)
    theirs = Target(RecordKind.SAFEGUARDING_CONCERN, school_id=OTHER, owner_person_id=SOMEONE_ELSE)
    assert decide(staff, Action.VIEW_SAFEGUARDING_CONCERN, mine).allowed
    refused = decide(staff, Action.VIEW_SAFEGUARDING_CONCERN, theirs)
    assert not refused.allowed
    assert refused.reason == NOT_YOURS


def test_partnership_staff_refused_unplaced_pupil_with_reason() -> None:
    staff = actor_with(Role.PARTNERSHIP_STAFF, school_id=None)
    decision = decide(staff, Action.VIEW_PUPIL, Target(RecordKind.PUPIL, school_id=OTHER))
    assert decision == Decision(False, NOT_PLACED)


def test_school_role_without_a_school_is_refused_school_records() -> None:
    lost = actor_with(Role.SENCO, school_id=None)
    decision = decide(lost, Action.VIEW_REFERRAL, Target(RecordKind.REFERRAL, school_id=MY_SCHOOL))
    assert decision == Decision(False, NO_SCHOOL_ON_RECORD)
    # A record with no school never matches a school scope either.
    senco = actor_with(Role.SENCO)
    assert not decide(senco, Action.VIEW_REFERRAL, Target(RecordKind.REFERRAL, school_id=None)).allowed


def test_refusal_reason_names_who_may() -> None:
    teacher = actor_with(Role.TEACHER)
    decision = decide(teacher, Action.CREATE_REFERRAL, Target(RecordKind.REFERRAL, school_id=MY_SCHOOL))
    assert decision == Decision(False, "Only your school's SENCO or a head of year can refer a pupil.")


def test_scoped_grants_need_a_record_but_wide_ones_do_not() -> None:
    senco = actor_with(Role.SENCO)
    assert decide(senco, Action.VIEW_REFERRAL) == Decision(False, NO_RECORD)
    coordinator = actor_with(Role.COORDINATOR, school_id=None)
    assert decide(coordinator, Action.VIEW_REFERRAL).allowed
    admin = actor_with(Role.PARTNERSHIP_ADMIN, school_id=None)
    assert decide(admin, Action.IMPORT_DIRECTORY).allowed
    assert decide(None, Action.ASK_OFFER_QUESTION) == Decision(True, OPEN_TO_ALL)


def test_wrong_record_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="view_pupil"):
        decide(actor_with(Role.SENCO), Action.VIEW_PUPIL, Target(RecordKind.SAFEGUARDING_CONCERN, 1))


def test_require_returns_allowed_decision_and_raises_refusal() -> None:
    dsl = actor_with(Role.DSL)
    concern = Target(RecordKind.SAFEGUARDING_CONCERN, school_id=MY_SCHOOL)
    assert require(dsl, Action.VIEW_SAFEGUARDING_CONCERN, concern).allowed
    with pytest.raises(NotAllowed) as raised:
        require(dsl, Action.VIEW_SAFEGUARDING_CONCERN, Target(RecordKind.SAFEGUARDING_CONCERN, OTHER))
    assert raised.value.decision == Decision(False, OTHER_SCHOOL)
    assert str(raised.value) == OTHER_SCHOOL


def test_decision_is_truthy_only_when_allowed() -> None:
    assert Decision(True, "x")
    assert not Decision(False, "x")


def test_reasons_are_plain_fixed_texts_with_no_record_data() -> None:
    fixed = (
        {rule.refusal for rule in RULES.values()}
        | {
            UNKNOWN_PERSON,
            OPEN_TO_ALL,
            NO_RECORD,
            NO_SCHOOL_ON_RECORD,
            OTHER_SCHOOL,
            NOT_YOURS,
            NOT_PLACED,
        }
        | {f"Allowed as {role.label}." for role in Role}
    )
    for decision in all_decisions():
        assert decision.reason.strip()
        assert decision.reason.endswith(".")
        # Reasons never echo the record: no ids of pupils, schools or people.
        assert decision.reason in fixed
        for number in (ME, SOMEONE_ELSE, MY_SCHOOL, OTHER):
            assert str(number) not in decision.reason
