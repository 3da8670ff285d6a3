"""Who may do what: the one access policy every dialog and HTTP endpoint asks.

`decide(actor, action, target)` answers "may this person do this action on this
record?" with a `Decision` carrying a short reason a tired head of year understands;
`require(...)` raises `NotAllowed` instead. Nothing here touches the database or Bot
Framework: callers load the person and the record, describe them as an `Actor` and a
`Target`, and ask.

The rules are ONE table, `RULES`, written to read like domain.md §3.6 ("Who may see
what"): for each action, which roles may do it and with what scope. Scopes:

- `anyone`:      every person, even one the directory does not know (offer questions).
- `own_school`:  records of the actor's own school.
- `own_records`: records the actor made (referrer, reporter, booker) at a school they
                 may act for.
- `any_school`:  records of every school (Partnership roles).
- `placed`:      pupils placed with the Partnership, at any school (Partnership staff).

Two principles sit under the table rather than in it:

- School roles are always held at one school. A school role never reaches another
  school's records, whatever its scope, so a head of year who moves school does not
  keep their old school's referrals. Partnership roles act across schools; a person
  holding both (a school SENCO who is also the Partnership SENCO) gets the union.
- Refuse by default. An action with no matching grant, a scoped grant asked about with
  no record, or a record with no school under a school scope is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from domain.roles import PARTNERSHIP_ROLES, SCHOOL_ROLES, Role


class Action(StrEnum):
    """Every workflow the product has; one name per thing a person can do."""

    ASK_OFFER_QUESTION = "ask_offer_question"
    VIEW_PUPIL = "view_pupil"
    VIEW_PUPIL_LIST = "view_pupil_list"
    CREATE_REFERRAL = "create_referral"
    VIEW_REFERRAL = "view_referral"
    DECIDE_REFERRAL = "decide_referral"  # record the Core Group decision
    EDIT_REFERRAL_DRAFT = "edit_referral_draft"  # change, discard or submit one's own draft
    ANSWER_REFERRAL_QUESTION = "answer_referral_question"  # the school answers the Partnership
    WITHDRAW_REFERRAL = "withdraw_referral"
    PROGRESS_REFERRAL = "progress_referral"  # receive, ask the school, list for Core Group; the queue
    ALLOW_REFERRAL_EXCEPTION = "allow_referral_exception"  # let a referral past "forum first"
    FOLLOW_UP_REFERRAL = "follow_up_referral"  # the Coordinator's tasks after a decision
    BOOK_FORUM_CASE = "book_forum_case"
    CHANGE_FORUM_BOOKING = "change_forum_booking"  # move or cancel a booking, accept a freed slot
    VIEW_FORUM_AGENDA = "view_forum_agenda"
    RUN_FORUM = "run_forum"  # manage Inclusion Forum / Core Group agendas
    IMPORT_MEETINGS = "import_meetings"  # a term's forum and Core Group dates from CSV
    TAKE_REGISTER = "take_register"  # record attendance at Partnership sessions
    VIEW_ATTENDANCE = "view_attendance"
    RECEIVE_ATTENDANCE_DIGEST = "receive_attendance_digest"
    RAISE_SAFEGUARDING_CONCERN = "raise_safeguarding_concern"
    VIEW_SAFEGUARDING_CONCERN = "view_safeguarding_concern"
    ACKNOWLEDGE_SAFEGUARDING_ALERT = "acknowledge_safeguarding_alert"
    ADD_SAFEGUARDING_NOTE = "add_safeguarding_note"  # a note on a concern's chronology
    LIST_OPEN_CONCERNS = "list_open_concerns"  # the Partnership's list of unacknowledged concerns
    MANAGE_PEOPLE = "manage_people"  # add or change a person in the directory
    IMPORT_DIRECTORY = "import_directory"
    EXPORT_DIRECTORY = "export_directory"
    ERASE_PUPIL_DATA = "erase_pupil_data"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_TERM_DATES = "manage_term_dates"  # load the school calendar (terms, holidays)
    CHASE_ABSENCE = "chase_absence"  # the school takes on an unexplained absence ("chased")
    IMPORT_ATTENDANCE = "import_attendance"  # a provider's register file, from the command line
    MANAGE_PROVIDERS = "manage_providers"  # alternative providers, their pupils and API keys
    VIEW_WELFARE_FLAGS = "view_welfare_flags"  # a pupil's CP plan, CIN plan, looked after
    SET_WELFARE_FLAGS = "set_welfare_flags"
    ANSWER_STAFF_QUESTION = "answer_staff_question"  # the Partnership answers a question the bot could not


@dataclass(frozen=True)
class Actor:
    """The person asking. `school_id` is None for Partnership staff."""

    person_id: int
    school_id: int | None
    roles: frozenset[Role]


class RecordKind(StrEnum):
    """What kind of record an action is about."""

    OFFER = "offer"
    PUPIL = "pupil"
    SCHOOL = "school"
    PERSON = "person"
    REFERRAL = "referral"
    FORUM = "forum"
    FORUM_BOOKING = "forum_booking"
    ATTENDANCE = "attendance"
    SAFEGUARDING_CONCERN = "safeguarding_concern"
    AUDIT_LOG = "audit_log"
    SCHOOL_CALENDAR = "school_calendar"  # the Partnership's term dates, for every school
    PROVIDER = "provider"  # an alternative provider the Partnership commissions


@dataclass(frozen=True)
class Target:
    """The record acted on, reduced to what the policy needs.

    kind: what kind of record it is.
    school_id: the school the record belongs to (a pupil's home school); None for
        Partnership-wide records (a forum, the audit log, a Partnership person).
    owner_person_id: who made it (referrer, reporter, booker), when that matters.
    placed_with_partnership: the pupil is on a Partnership programme (KS3/KS4 out of
        school support); Partnership staff see only those pupils.
    """

    kind: RecordKind
    school_id: int | None = None
    owner_person_id: int | None = None
    placed_with_partnership: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


class NotAllowed(Exception):
    """Raised by `require`; carries the refusal so the caller can show its reason."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class Reach(StrEnum):
    """How far a grant reaches: each value names a `Rule` field. Widest first."""

    ANY_SCHOOL = "any_school"
    PLACED = "placed"
    OWN_SCHOOL = "own_school"
    OWN_RECORDS = "own_records"


@dataclass(frozen=True)
class Rule:
    """One row of the policy table: which roles may do an action, with what scope."""

    kinds: frozenset[RecordKind]  # the Target kinds this action is about
    refusal: str  # shown when none of the person's roles may do this at all
    anyone: bool = False
    own_school: frozenset[Role] = frozenset()
    own_records: frozenset[Role] = frozenset()
    any_school: frozenset[Role] = frozenset()
    placed: frozenset[Role] = frozenset()

    @cached_property  # `decide` asks on every call; the rule never changes
    def roles(self) -> frozenset[Role]:
        return self.own_school | self.own_records | self.any_school | self.placed


def _rule(
    kinds: Iterable[RecordKind],
    refusal: str,
    *,
    anyone: bool = False,
    own_school: Iterable[Role] = (),
    own_records: Iterable[Role] = (),
    any_school: Iterable[Role] = (),
    placed: Iterable[Role] = (),
) -> Rule:
    return Rule(
        kinds=frozenset(kinds),
        refusal=refusal,
        anyone=anyone,
        own_school=frozenset(own_school),
        own_records=frozenset(own_records),
        any_school=frozenset(any_school),
        placed=frozenset(placed),
    )


# Short names so the table below reads like the §3.6 table. Teachers appear in no row:
# like everyone, they may ask about the offer, and §3.6 gives them no pupil data.
HEAD_OF_YEAR = Role.HEAD_OF_YEAR
SENCO = Role.SENCO
DSL = Role.DSL
DEPUTY_DSL = Role.DEPUTY_DSL
ATTENDANCE_LEAD = Role.ATTENDANCE_LEAD
HEADTEACHER = Role.HEADTEACHER
P_SENCO = Role.PARTNERSHIP_SENCO
DIRECTOR = Role.PARTNERSHIP_DIRECTOR
COORDINATOR = Role.COORDINATOR
P_STAFF = Role.PARTNERSHIP_STAFF
P_ADMIN = Role.PARTNERSHIP_ADMIN

SCHOOL_LEADS = (SENCO, HEAD_OF_YEAR, HEADTEACHER, DSL, DEPUTY_DSL, ATTENDANCE_LEAD)
PARTNERSHIP_LEADS = (P_SENCO, DIRECTOR, COORDINATOR)


RULES: dict[Action, Rule] = {
    # Teachers (and anyone not yet in the directory) may always ask about the offer,
    # forum dates and contacts: none of it is pupil data.
    Action.ASK_OFFER_QUESTION: _rule(
        [RecordKind.OFFER],
        "Anyone can ask about the LNCIP offer.",
        anyone=True,
    ),
    # Pupil records. Teachers see none (§3.6: "any pupil data" is out). Partnership
    # staff see "pupils they work with"; we do not model who teaches whom, so the
    # nearest safe rule is pupils placed with the Partnership. Partnership admin is
    # refused: §3.6 gives finance/admin PO numbers and funding lines, never SEN or
    # safeguarding, and a pupil record carries both; a finance view will be its own
    # action when that feature exists.
    Action.VIEW_PUPIL: _rule(
        [RecordKind.PUPIL],
        "Only staff who work with this pupil can see their details.",
        own_school=SCHOOL_LEADS,
        any_school=PARTNERSHIP_LEADS,
        placed=[P_STAFF],
    ),
    # A list is asked for per school (Target kind "school"). Partnership staff may list
    # a school's placed pupils only: the caller asks with placed_with_partnership=True
    # and must then list only those.
    Action.VIEW_PUPIL_LIST: _rule(
        [RecordKind.SCHOOL],
        "Pupil lists are only for staff who lead on pupils, not for class teachers.",
        own_school=SCHOOL_LEADS,
        any_school=PARTNERSHIP_LEADS,
        placed=[P_STAFF],
    ),
    # The school refers (seed: "Use the Referral Form"); the Partnership receives.
    # A headteacher who refers also holds the SENCO or head-of-year role.
    Action.CREATE_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only your school's SENCO or a head of year can refer a pupil.",
        own_school=[SENCO, HEAD_OF_YEAR],
    ),
    # The SENCO sees all their school's referrals (§3.6). We do not know which year a
    # head of year leads, so they see the referrals they made. The DSL sees "referral
    # summaries" (§3.6): trimming SEN detail from their view is the referral card's
    # job. Partnership staff are refused ("full referral history" is out), and so is
    # admin (SEN detail).
    Action.VIEW_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only your school's SENCO, DSL or headteacher, or the Partnership team, can see referrals.",
        own_school=[SENCO, HEADTEACHER, DSL, DEPUTY_DSL],
        own_records=[HEAD_OF_YEAR],
        any_school=PARTNERSHIP_LEADS,
    ),
    # Seed: the Partnership SENCO receives the referral and discusses it with the
    # Director; the Core Group decides. The Coordinator follows the decision up but
    # does not record it.
    Action.DECIDE_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only the Partnership SENCO or Director can record a Core Group decision.",
        any_school=[P_SENCO, DIRECTOR],
    ),
    # A draft is its author's until it is submitted: a colleague's half-written form is not
    # theirs to change or send.
    Action.EDIT_REFERRAL_DRAFT: _rule(
        [RecordKind.REFERRAL],
        "Only the person who started this referral can change it before it is sent.",
        own_records=[SENCO, HEAD_OF_YEAR],
    ),
    # "Ask the school for ...": the referrer answers, or the school's SENCO for them.
    Action.ANSWER_REFERRAL_QUESTION: _rule(
        [RecordKind.REFERRAL],
        "Only the person who made this referral, or your school's SENCO, can answer for it.",
        own_school=[SENCO],
        own_records=[HEAD_OF_YEAR],
    ),
    # The school may take its referral back; the Partnership SENCO or Director may close one
    # that will not go ahead.
    Action.WITHDRAW_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only the person who made this referral, your school's SENCO, or the Partnership SENCO or "
        "Director can withdraw it.",
        own_school=[SENCO],
        own_records=[HEAD_OF_YEAR],
        any_school=[P_SENCO, DIRECTOR],
    ),
    # Seed: the Partnership SENCO receives referrals and discusses them with the Director; the
    # Coordinator is the operational lead. All three work the queue.
    Action.PROGRESS_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only the Partnership SENCO, Director or Coordinator can work on the referral queue.",
        any_school=PARTNERSHIP_LEADS,
    ),
    # domain.md §1.4 F2: "refer to the IF first" (allow override with reason, [P]).
    Action.ALLOW_REFERRAL_EXCEPTION: _rule(
        [RecordKind.REFERRAL],
        "Only the Partnership SENCO or Director can allow an exception to the Partnership's rules.",
        any_school=[P_SENCO, DIRECTOR],
    ),
    # Seed: "The decision taken by the meeting will be followed up by the Coordinator".
    Action.FOLLOW_UP_REFERRAL: _rule(
        [RecordKind.REFERRAL],
        "Only the Partnership Coordinator follows up Core Group decisions.",
        any_school=[COORDINATOR],
    ),
    Action.BOOK_FORUM_CASE: _rule(
        [RecordKind.FORUM_BOOKING],
        "Only your school's SENCO or a head of year can bring a case to the Inclusion Forum.",
        own_school=[SENCO, HEAD_OF_YEAR],
    ),
    # A booking is the school's: its SENCO may move or cancel any of the school's, a head of
    # year the ones they made (as with referrals); the Partnership SENCO or Director may too,
    # when a school asks them or a case must make way.
    Action.CHANGE_FORUM_BOOKING: _rule(
        [RecordKind.FORUM_BOOKING],
        "Only the person who booked this case, your school's SENCO, or the Partnership SENCO or "
        "Director can change it.",
        own_school=[SENCO],
        own_records=[HEAD_OF_YEAR],
        any_school=[P_SENCO, DIRECTOR],
    ),
    # The whole agenda (Target kind "forum", no school) is for the Partnership team;
    # school staff see their own school's bookings on it. Forum dates are offer
    # questions, open to everyone. Heads of year see the cases they booked, as with
    # referrals.
    Action.VIEW_FORUM_AGENDA: _rule(
        [RecordKind.FORUM, RecordKind.FORUM_BOOKING],
        "Only your school's SENCO or headteacher, or the Partnership team, can see forum cases.",
        own_school=[SENCO, HEADTEACHER],
        own_records=[HEAD_OF_YEAR],
        any_school=PARTNERSHIP_LEADS,
    ),
    # Seed: the Partnership SENCO and Director attend and run the forum and Core Group.
    Action.RUN_FORUM: _rule(
        [RecordKind.FORUM, RecordKind.FORUM_BOOKING],
        "Only the Partnership SENCO or Director can manage forum agendas.",
        any_school=[P_SENCO, DIRECTOR],
    ),
    # The register is of Partnership sessions, so only placed pupils are on it.
    # The Director and SENCO do not take registers as such; one who teaches a session
    # also holds the Partnership staff role.
    Action.TAKE_REGISTER: _rule(
        [RecordKind.ATTENDANCE],
        "Only Partnership staff can take a register, and only for pupils placed with the Partnership.",
        placed=[COORDINATOR, P_STAFF],
    ),
    # Seed: school staff must keep monitoring attendance; the attendance lead and the
    # DSL/DDSL get the daily information (§2.7, §3.6). The headteacher views. SENCOs,
    # heads of year and teachers are not named and do not need it.
    Action.VIEW_ATTENDANCE: _rule(
        [RecordKind.ATTENDANCE, RecordKind.SCHOOL],
        "Only your school's attendance lead, DSL or headteacher can see attendance.",
        own_school=[ATTENDANCE_LEAD, DSL, DEPUTY_DSL, HEADTEACHER],
        any_school=PARTNERSHIP_LEADS,
        placed=[P_STAFF],
    ),
    # The digest is a daily push to the school (domain §2.7; who exactly is open
    # question 4). A headteacher who wants it holds the DSL or attendance lead role.
    Action.RECEIVE_ATTENDANCE_DIGEST: _rule(
        [RecordKind.SCHOOL],
        "The daily attendance digest goes to your school's attendance lead and DSL.",
        own_school=[ATTENDANCE_LEAD, DSL, DEPUTY_DSL],
    ),
    # This is the Partnership-to-school route (seed: "Partnership staff can make swift
    # contact with a DSL"); school staff tell their own DSL by their school's own
    # procedure, and the refusal says so. Every Partnership role may raise one,
    # admin included (KCSIE: all staff act on concerns), about a pupil at any school:
    # a concern is never blocked on the "placed" flag.
    Action.RAISE_SAFEGUARDING_CONCERN: _rule(
        [RecordKind.SAFEGUARDING_CONCERN, RecordKind.PUPIL],
        "Please tell your school's DSL straight away, using your school's usual "
        "procedure. If a child is in immediate danger, call 999.",
        any_school=PARTNERSHIP_ROLES,
    ),
    # §3.6: the DSL/DDSL see their school's concerns. The headteacher too: the
    # escalation ladder (§3.3 step 4) alerts them when no DSL answers, and an alert
    # they cannot open is no use. The school SENCO is refused (§3.6, unless also DSL).
    # Partnership: the Coordinator and SENCO see concerns they raised or about placed
    # pupils (§3.6). The Director sees all: the ladder escalates to the Director as the
    # Partnership's safeguarding lead, whatever the pupil's placement. Partnership staff
    # see the concerns they raised. Admin sees no safeguarding detail.
    Action.VIEW_SAFEGUARDING_CONCERN: _rule(
        [RecordKind.SAFEGUARDING_CONCERN],
        "Only your school's DSL, a deputy DSL or the headteacher can see safeguarding concerns.",
        own_school=[DSL, DEPUTY_DSL, HEADTEACHER],
        own_records=[P_SENCO, COORDINATOR, P_STAFF],
        placed=[P_SENCO, COORDINATOR],
        any_school=[DIRECTOR],
    ),
    # The acknowledgement is the school taking the concern on (the school stays
    # accountable, seed) and it stops the escalation ladder, so only the school's
    # DSL, a deputy or the headteacher may give it; never a Partnership role.
    Action.ACKNOWLEDGE_SAFEGUARDING_ALERT: _rule(
        [RecordKind.SAFEGUARDING_CONCERN],
        "Only your school's DSL, a deputy DSL or the headteacher can acknowledge a safeguarding alert.",
        own_school=[DSL, DEPUTY_DSL, HEADTEACHER],
    ),
    # A note is added to the concern's record by those who may see it (the school's DSLs and
    # headteacher, the reporter, the Partnership leads as for viewing): the same reach as
    # VIEW_SAFEGUARDING_CONCERN, kept as its own action because it writes to the record.
    Action.ADD_SAFEGUARDING_NOTE: _rule(
        [RecordKind.SAFEGUARDING_CONCERN],
        "Only your school's DSL, a deputy DSL or the headteacher can add to a safeguarding concern.",
        own_school=[DSL, DEPUTY_DSL, HEADTEACHER],
        own_records=[P_SENCO, COORDINATOR, P_STAFF],
        placed=[P_SENCO, COORDINATOR],
        any_school=[DIRECTOR],
    ),
    # "open concerns": every concern not yet acknowledged, for the Partnership leads who chase
    # the schools (ids, school, age, rung; no detail: opening one is VIEW_SAFEGUARDING_CONCERN).
    Action.LIST_OPEN_CONCERNS: _rule(
        [RecordKind.SAFEGUARDING_CONCERN],
        "Only the Partnership Director, SENCO or Coordinator can see the open concerns.",
        any_school=PARTNERSHIP_LEADS,
    ),
    # The directory is kept centrally by the Partnership admin. The Director is not
    # given it by default (least privilege); a Director who must cover for admin can
    # be given the admin role as well.
    # Questions staff send on ("Ask the Partnership") and the list of what the bot could not
    # answer: any Partnership role may answer; none of it is pupil data.
    Action.ANSWER_STAFF_QUESTION: _rule(
        [RecordKind.OFFER],
        "Only Partnership staff can answer questions sent to the Partnership.",
        any_school=PARTNERSHIP_ROLES,
    ),
    Action.MANAGE_PEOPLE: _rule(
        [RecordKind.PERSON],
        "Only the Partnership admin can add or change people.",
        any_school=[P_ADMIN],
    ),
    Action.IMPORT_DIRECTORY: _rule(
        [RecordKind.PERSON, RecordKind.SCHOOL],
        "Only the Partnership admin can import the directory.",
        any_school=[P_ADMIN],
    ),
    Action.EXPORT_DIRECTORY: _rule(
        [RecordKind.PERSON, RecordKind.SCHOOL],
        "Only the Partnership admin can export the directory.",
        any_school=[P_ADMIN],
    ),
    # Erasure cannot be undone and may run against retention rules (CP files are kept
    # to DOB + 25 years, §3.5), so it needs the most senior Partnership role.
    Action.ERASE_PUPIL_DATA: _rule(
        [RecordKind.PUPIL],
        "Only the Partnership Director can erase a pupil's data.",
        any_school=[DIRECTOR],
    ),
    # The Director only. Admin is refused on purpose: the log shows which safeguarding
    # concerns exist, at which school, and who opened them, which is safeguarding
    # detail admin must not see (§3.6); and it records admin's own changes to people
    # and roles, which someone other than admin should check.
    Action.VIEW_AUDIT_LOG: _rule(
        [RecordKind.AUDIT_LOG],
        "Only the Partnership Director can see the audit log.",
        any_school=[DIRECTOR],
    ),
    # Term dates decide when every school-day reminder and digest runs, so the Partnership
    # keeps one calendar for all its schools: admin loads it, the Director may correct it.
    # No pupil data is in it.
    Action.MANAGE_TERM_DATES: _rule(
        [RecordKind.SCHOOL_CALENDAR],
        "Only the Partnership admin or Director can load term dates.",
        any_school=[P_ADMIN, DIRECTOR],
    ),
    # The digest's "chased" button: the school takes on an unexplained absence (seed: "the
    # School remains accountable and responsible for chasing attendance"). The people the
    # digest goes to, and the headteacher; never the Partnership, which supplies the facts.
    Action.CHASE_ABSENCE: _rule(
        [RecordKind.ATTENDANCE],
        "Only your school's attendance lead, DSL or headteacher can mark an absence as chased.",
        own_school=[ATTENDANCE_LEAD, DSL, DEPUTY_DSL, HEADTEACHER],
    ),
    # A provider's file loaded by hand (the HTTP endpoint is the provider itself, by its
    # API key). The Coordinator runs placements day to day; admin runs the data.
    Action.IMPORT_ATTENDANCE: _rule(
        [RecordKind.PROVIDER],
        "Only the Partnership Coordinator or admin can import a provider's register.",
        any_school=[COORDINATOR, P_ADMIN],
    ),
    # A term's meeting dates from a CSV file: dates, times, links and slots, no pupil data, so
    # the command line's operator may load them too (like term dates).
    Action.IMPORT_MEETINGS: _rule(
        [RecordKind.FORUM],
        "Only the Partnership SENCO or Director can load forum and Core Group dates.",
        any_school=[P_SENCO, DIRECTOR],
    ),
    # Providers, who is placed with each, and their API keys: no pupil detail beyond the
    # placement, and a key lets a provider write registers, so admin and the Director only.
    Action.MANAGE_PROVIDERS: _rule(
        [RecordKind.PROVIDER],
        "Only the Partnership admin or Director can manage providers and their keys.",
        any_school=[P_ADMIN, DIRECTOR],
    ),
    # A child protection plan, a child in need plan and being looked after are safeguarding
    # facts (§3.6): the school's DSL and deputies and the headteacher; the Partnership's
    # SENCO and Coordinator for placed pupils; the Director for all. Never in a digest.
    Action.VIEW_WELFARE_FLAGS: _rule(
        [RecordKind.PUPIL],
        "Only your school's DSL, a deputy DSL or the headteacher can see a pupil's welfare status.",
        own_school=[DSL, DEPUTY_DSL, HEADTEACHER],
        placed=[P_SENCO, COORDINATOR],
        any_school=[DIRECTOR],
    ),
    # The school knows the plan; the DSL keeps the flag right so the Partnership's alerts reach
    # them. The Director may correct it.
    Action.SET_WELFARE_FLAGS: _rule(
        [RecordKind.PUPIL],
        "Only your school's DSL or a deputy DSL can change a pupil's welfare status.",
        own_school=[DSL, DEPUTY_DSL],
        any_school=[DIRECTOR],
    ),
}

# Refusals for a person whose role fits but whose reach does not. Fixed texts: a
# reason never names a pupil, a school or a record.
UNKNOWN_PERSON = (
    "I don't know who you are yet, so I can only answer questions about the LNCIP "
    "offer. Ask the Partnership admin to add you."
)
OPEN_TO_ALL = "Anyone can do this."
NO_RECORD = "I can't tell which record this is, so I can't let you do that."
NO_SCHOOL_ON_RECORD = (
    "Your directory entry has no school, so I can't show school records. Ask the Partnership admin to fix it."
)
OTHER_SCHOOL = "That belongs to another school. You can only act for your own school."
NOT_YOURS = "You can only open records you made yourself."
NOT_PLACED = "Partnership staff can only see pupils placed with the Partnership."


def decide(actor: Actor | None, action: Action, target: Target | None = None) -> Decision:
    """May `actor` do `action` on `target`? A wrong target kind is a programming error."""
    rule = RULES[action]
    if target is not None and target.kind not in rule.kinds:
        raise ValueError(f"{action} is about {sorted(rule.kinds)}, not {target.kind!r}")
    if rule.anyone:
        return Decision(True, OPEN_TO_ALL)
    if actor is None:
        return Decision(False, UNKNOWN_PERSON)
    held = sorted(actor.roles & rule.roles)
    if not held:
        return Decision(False, rule.refusal)
    refusals: list[str] = []
    for role in held:
        for scope in _scopes_of(rule, role):
            why_not = _out_of_reach(scope, role, actor, target)
            if why_not is None:
                return Decision(True, f"Allowed as {role.label}.")
            refusals.append(why_not)
    return Decision(False, refusals[0])


# What someone at the server's command line may do without naming a person: the work of
# running the service (loading and exporting the directory, loading term dates, providers'
# registers and keys). Whoever has that shell holds the
# database anyway; the audit entry records that it came from the command line, and as whom.
OPERATOR_ACTIONS = frozenset(
    {
        Action.IMPORT_DIRECTORY,
        Action.EXPORT_DIRECTORY,
        Action.MANAGE_TERM_DATES,
        Action.IMPORT_MEETINGS,
        Action.IMPORT_ATTENDANCE,
        Action.MANAGE_PROVIDERS,
    }
)
NOT_FOR_OPERATOR = "That needs a named person: add --actor-email with the address of someone who may do it."


def decide_for_operator(action: Action) -> Decision:
    """May the command line's operator, naming no person, do `action`?"""
    if action in OPERATOR_ACTIONS:
        return Decision(True, "Allowed at the command line.")
    return Decision(False, NOT_FOR_OPERATOR)


def require(actor: Actor | None, action: Action, target: Target | None = None) -> Decision:
    """Like `decide`, but raise `NotAllowed` on a refusal."""
    decision = decide(actor, action, target)
    if not decision.allowed:
        raise NotAllowed(decision)
    return decision


def _scopes_of(rule: Rule, role: Role) -> list[Reach]:
    # Widest first: the first refusal then explains the widest reach the person has.
    return [scope for scope in Reach if role in getattr(rule, scope.value)]


def _out_of_reach(scope: Reach, role: Role, actor: Actor, target: Target | None) -> str | None:
    """None when `target` is within `scope` for this role, else why not."""
    if scope is Reach.ANY_SCHOOL:
        return None
    if target is None:
        return NO_RECORD
    if role in SCHOOL_ROLES:
        # School roles never reach past their own school, whatever the scope.
        if actor.school_id is None:
            return NO_SCHOOL_ON_RECORD
        if target.school_id != actor.school_id:
            return OTHER_SCHOOL
    if scope is Reach.OWN_SCHOOL:
        return None
    if scope is Reach.PLACED:
        return None if target.placed_with_partnership else NOT_PLACED
    return None if target.owner_person_id == actor.person_id else NOT_YOURS


def _check_table() -> None:
    # Run at import, so a bad edit to the table fails every test run at once.
    missing = set(Action) - set(RULES)
    if missing:
        raise RuntimeError(f"no policy rule for {sorted(missing)}")
    for action, rule in RULES.items():
        if (rule.any_school | rule.placed) & SCHOOL_ROLES:
            raise RuntimeError(f"{action}: school roles cannot act across schools")
        if rule.own_school & PARTNERSHIP_ROLES:
            raise RuntimeError(f"{action}: Partnership roles have no school of their own")
        if not rule.refusal:
            raise RuntimeError(f"{action}: needs a refusal reason")


_check_table()
