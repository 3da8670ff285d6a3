"""The cards the referral notices become when they are sent (`domain/referrals/notices.py`):
to the referrer, the school's SENCO, the Partnership SENCO and the Coordinator.

Each copy of a notice names its recipient (`to_person_id`); the renderer reads the referral as
that person, through the domain's audited view, so the pupil's name shows only where the policy
lets them see the referral, and never the form's details (those are behind "Open"). A referral
discarded since is not told about; someone who may no longer see it gets its reference only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.cards import RenderedCard
from bot.notices import NoticeRenderer
from bot.texts import text
from core.clock import Clock
from db.engine import Database
from dialogs.referrals.partnership_actions import case_view
from dialogs.referrals.partnership_cards import (
    ALLOW_EXCEPTION,
    ANSWER,
    RECEIVE,
    SEND,
    TASK_DONE,
    Button,
    CaseView,
    Form,
    held_back,
    notice_card,
    outcome_label,
    reference,
)
from domain.access import Action, NotAllowed
from domain.directory.queries import get_person
from domain.notices import JsonValue, Notice
from domain.referrals import notices, queries, service
from domain.referrals.model import Referral, ReferralStatus
from domain.referrals.service import ReferralError
from domain.requester import Requester

S = ReferralStatus


def _int(payload: Mapping[str, JsonValue], name: str) -> int | None:
    value = payload.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Renderer:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def _recipient(self, notice: Notice) -> Requester:
        person_id = _int(notice.payload, "to_person_id")
        person = await get_person(self.database, person_id) if person_id is not None else None
        return Requester.in_teams(person if person is not None and person.active else None)

    async def _read(self, notice: Notice) -> tuple[Requester, Referral | None] | None:
        """The recipient and the referral as they may see it (None: not theirs to see any more);
        None altogether when the referral is gone."""
        requester = await self._recipient(notice)
        referral_id = _int(notice.payload, "referral_id")
        if referral_id is None:
            return None
        try:
            return requester, await service.view_referral(self.database, requester, referral_id, clock=self.clock)
        except ReferralError:
            return None
        except NotAllowed:
            return requester, None

    def _reference_only(self, notice: Notice) -> RenderedCard:
        ref = str(notice.payload.get("reference") or "A referral")
        title = text("partnership_notice_unseen", reference=ref)
        return notice_card(title, None, lines=[text("partnership_no_detail")])

    async def render(self, notice: Notice) -> RenderedCard | None:
        read = await self._read(notice)
        if read is None:
            return None
        requester, referral = read
        if referral is None:
            return self._reference_only(notice)
        payload, ref = notice.payload, reference(referral)
        lines: list[str] = []
        quotes: list[str] = []
        forms: list[Form] = []
        buttons: list[Button] = []
        target = referral.target
        if notice.kind == notices.SUBMITTED:
            by_them = payload.get("to_person_id") == referral.referrer_id
            title = text(
                "partnership_notice_submitted" if by_them else "partnership_notice_submitted_school", reference=ref
            )
        elif notice.kind == notices.NEW:
            school = (await case_view(self.database, referral, requester)).school
            title = text("partnership_notice_new", reference=ref, school=school, year_group=referral.year_group)
            if referral.status is S.SUBMITTED and requester.decide(Action.PROGRESS_REFERRAL, target).allowed:
                buttons.append(Button("Mark as received", RECEIVE, referral.id))
        elif notice.kind == notices.STATUS_CHANGED:
            title = await self._status_title(notice, requester, referral, quotes)
            answerable = requester.decide(Action.ANSWER_REFERRAL_QUESTION, target).allowed
            if payload.get("to_status") == S.INFORMATION_REQUESTED.value and answerable:
                if referral.status is S.INFORMATION_REQUESTED:
                    forms.append(Form("answer", "Send the answer", ANSWER, referral.id))
        elif notice.kind == notices.EXCEPTION_ALLOWED:
            title = text("partnership_notice_exception", reference=ref)
            if referral.status is S.DRAFT and requester.decide(Action.EDIT_REFERRAL_DRAFT, target).allowed:
                buttons.append(Button(text("partnership_send_now"), SEND, referral.id))
        elif notice.kind == notices.HELD_BACK:
            school = (await case_view(self.database, referral, requester)).school
            title = text("partnership_notice_held_back", reference=ref, school=school, year_group=referral.year_group)
            if held_back(referral) and requester.decide(Action.ALLOW_REFERRAL_EXCEPTION, target).allowed:
                forms.append(Form("exception", text("partnership_allow_exception"), ALLOW_EXCEPTION, referral.id))
        elif notice.kind == notices.DECIDED:
            outcome = outcome_label(str(payload.get("outcome")))
            title = text("partnership_notice_decided", reference=ref, outcome=outcome)
            place = payload.get("place")
            if place in ("waiting", "placed"):
                lines.append(text(f"partnership_notice_{place}", key_stage=referral.key_stage))
        elif notice.kind == notices.TASK:
            school = (await case_view(self.database, referral, requester)).school
            outcome = outcome_label(referral.outcome or "")
            title = text("partnership_notice_task", reference=ref, school=school, outcome=outcome)
            task_id = _int(payload, "task_id")
            if task_id is not None and requester.decide(Action.FOLLOW_UP_REFERRAL, target).allowed:
                buttons.append(Button("Done", TASK_DONE, task_id))
        elif notice.kind == notices.PLACE_GIVEN:
            title = text("partnership_notice_place_given", reference=ref, key_stage=payload.get("key_stage"))
        else:  # pragma: no cover - every kind is registered below
            return None
        view = await case_view(self.database, referral, requester)
        view = CaseView(view.referral, view.school, view.pupil, False, lines, quotes)
        return notice_card(title, view, forms=forms, buttons=buttons)

    async def _status_title(self, notice: Notice, requester: Requester, referral: Referral, quotes: list[str]) -> str:
        payload, ref = notice.payload, reference(referral)
        to_status = str(payload.get("to_status"))
        question_id = _int(payload, "question_id")
        if to_status in (S.INFORMATION_REQUESTED.value, S.INFORMATION_GIVEN.value) and question_id is not None:
            try:
                asked = await queries.question(self.database, requester, question_id, clock=self.clock)
            except (NotAllowed, ReferralError):
                asked = None
            asking = to_status == S.INFORMATION_REQUESTED.value
            shown = (asked.question if asking else asked.answer) if asked else None
            if shown:
                quotes.append(shown)
            return text("partnership_notice_question" if asking else "partnership_notice_answer", reference=ref)
        if to_status == S.LISTED_FOR_CORE_GROUP.value and isinstance(payload.get("core_group_on"), str):
            on = str(payload["core_group_on"])
            return text("partnership_notice_listed", reference=ref, on=_long_date(on))
        return text("partnership_notice_status", reference=ref, status=S(to_status).label.lower())


def _long_date(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d %B %Y")
    except ValueError:
        return iso


def renderers(database: Database, clock: Clock) -> dict[str, NoticeRenderer]:
    render = _Renderer(database, clock).render
    return {kind: render for kind in notices.KINDS}
