"""The Partnership's side of referrals, as one registration for the referrals feature:
`referral queue` (open referrals by state and age, oldest first, with each one's next step, and
the Coordinator's follow-up tasks), `capacity` (programme places used and waiting), the card
actions on a case (`partnership_actions.py`), and the cards every referral notice becomes
(`partnership_notices.py`). Cards: `partnership_cards.py` and `templates/partnership_*.json.j2`;
texts: `partnership_texts.yaml`. What it does to referrals is `domain.referrals`.

```
referral queue ──▶ [Mark as received] ─▶ received ──▶ [Ask the school] ─▶ information requested
      │                                     │              (the referrer's card: [Send the answer])
      └──▶ [Open] ─▶ the case card          └──▶ [List for the Core Group] ─▶ listed
                                                      └──▶ [Record the decision] ─▶ decided
                                                             └──▶ Coordinator's task [Done] ─▶ closed
```
"""

from __future__ import annotations

from bot.card_actions import CardAction
from bot.commands import Command, own_record
from bot.notices import NoticeRenderer
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock, SystemClock
from db.engine import Database
from dialogs.referrals.partnership_actions import PartnershipActions
from dialogs.referrals.partnership_cards import capacity_card, queue_card
from dialogs.referrals.partnership_notices import renderers
from domain.access import Action, NotAllowed, RecordKind
from domain.directory.queries import list_schools
from domain.referrals import queries
from domain.referrals.queries import queue as open_referrals  # not the outbox's `queue`
from domain.requester import Requester

QUEUE_COMMAND = "referral queue"


def partnership(
    database: Database, clock: Clock | None = None
) -> tuple[tuple[Command, ...], tuple[CardAction, ...], dict[str, NoticeRenderer]]:
    """The commands, card actions and notice renderers of the Partnership's casework."""
    clock = clock or SystemClock()

    async def show_queue(turn: Turn) -> None:
        requester = Requester.in_teams(turn.person)
        try:
            queue = await open_referrals(database, requester, clock=clock)
        except NotAllowed as refusal:
            await turn.say(text("partnership_refused", reason=refusal.decision.reason))
            return
        schools = {school.id: school.name for school in await list_schools(database)}
        await turn.send_card(queue_card(queue, schools, clock.now(), requester))

    async def show_capacity(turn: Turn) -> None:
        try:
            stages = await queries.capacity(database, Requester.in_teams(turn.person), clock=clock)
        except NotAllowed as refusal:
            await turn.say(text("partnership_refused", reason=refusal.decision.reason))
            return
        await turn.send_card(capacity_card(stages))

    commands = (
        Command(
            QUEUE_COMMAND,
            text("partnership_queue_command"),
            show_queue,
            aliases=("referrals queue", "queue"),
            action=Action.PROGRESS_REFERRAL,
            personal_only=True,
            in_menu=True,
        ),
        Command(
            "capacity",
            text("partnership_capacity_command"),
            show_capacity,
            aliases=("places",),
            action=Action.VIEW_REFERRAL,  # as the domain asks: help offers it only to those who may
            target=own_record(RecordKind.REFERRAL),
        ),
    )
    return commands, PartnershipActions(database, clock).actions(), renderers(database, clock)
