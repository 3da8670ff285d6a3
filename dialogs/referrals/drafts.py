"""The school's lists: "my drafts" (carry on with one) and "my referrals" (where each stands),
and the answer to a referral card pressed when no referral conversation waits on it. The
lists come from the domain's queries, scoped and audited by the policy.
"""

from __future__ import annotations

from bot.card_actions import ActionData, ActionOutcome
from bot.texts import text
from bot.turn import Turn
from db.engine import Database
from dialogs.referrals import cards
from domain.access import NotAllowed
from domain.referrals import queries, service
from domain.referrals.service import ReferralError
from domain.requester import Requester

DRAFTS_COMMAND = "my drafts"


async def show_drafts(database: Database, turn: Turn) -> None:
    try:
        drafts = await queries.drafts_of(database, Requester.in_teams(turn.person))
    except NotAllowed as refusal:
        await turn.say(refusal.decision.reason)
        return
    lines = [
        (
            cards.title_of(line.kind, line.anonymous),
            text("referrals_draft_line", what=f"Draft {line.id}", pupil=None, when=cards.day(line.status_since.date())),
            {"action": "ask", "question": f"{DRAFTS_COMMAND} {line.id}"},
        )
        for line in drafts
    ]
    await turn.send_card(cards.listing(text("referrals_drafts_title"), lines, text("referrals_no_drafts")))


async def show_referrals(database: Database, turn: Turn) -> None:
    try:
        referrals = await queries.my_referrals(database, Requester.in_teams(turn.person))
    except NotAllowed as refusal:
        await turn.say(refusal.decision.reason)
        return
    lines = [
        (
            text(
                "referrals_line",
                reference=line.reference or "-",
                what=text(f"referrals_kind_{line.kind.value}"),
                year=line.year_group,
            ),
            text(
                "referrals_line_status",
                status=line.status.label,
                since=cards.day(line.status_since.date()),
                core_group_on=cards.day(line.core_group_on) if line.core_group_on else None,
            ),
            None,
        )
        for line in referrals
    ]
    await turn.send_card(cards.listing(text("referrals_mine_title"), lines, text("referrals_no_referrals")))


def stale_press(database: Database):  # type: ignore[no-untyped-def]
    """A step's card pressed with no referral conversation waiting (ended, or another chat's):
    nothing is changed; the domain says whether the draft is the presser's (a refusal audited)."""

    async def handle(turn: Turn, data: ActionData) -> ActionOutcome:
        draft_id = data.values.get("draft")
        if isinstance(draft_id, int):
            try:
                await service.open_draft(database, Requester.in_teams(turn.person), draft_id)
            except NotAllowed as refusal:
                return ActionOutcome(say=refusal.decision.reason)
            except ReferralError as error:
                return ActionOutcome(card=cards.stale(), say=error.reason)
        return ActionOutcome(card=cards.stale(), say=text("referrals_stale_no_dialog"))

    return handle
