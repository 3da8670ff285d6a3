"""The referral feature in Teams, the school's side: `refer` (the conversation: `refer.py` and
`steps.py`, its steps worked out from the draft by `form.py`, the first sentence read by
`opening.py`), `my drafts` and `my referrals` (`drafts.py`), its cards (`cards.py`,
`templates/`) and texts (`texts.yaml`). What it does to referrals is `domain.referrals`.
"""

from __future__ import annotations

from bot.card_actions import CardAction
from bot.cards import RenderedCard
from bot.commands import Command, own_record
from bot.features import Feature, FeatureServices
from bot.qa_cards import offers_referral, with_ask_button
from bot.submit_shapes import Id
from bot.texts import text
from bot.turn import Turn
from dialogs.referrals import cards
from dialogs.referrals.drafts import DRAFTS_COMMAND, show_drafts, show_referrals, stale_press
from dialogs.referrals.partnership import partnership
from dialogs.referrals.refer import DIALOG_ID, ReferDialog
from domain.access import Action, RecordKind
from knowledge import Reply


def feature(services: FeatureServices) -> Feature:
    database = services.database

    async def refer(turn: Turn) -> None:
        assert turn.dialogs is not None, "the refer command needs dialog state"
        await turn.dialogs.cancel_all_dialogs()
        await turn.dialogs.begin_dialog(DIALOG_ID, {"text": turn.args})

    async def drafts(turn: Turn) -> None:
        if turn.args.strip().isdigit():  # "my drafts 12": carry on with that one
            assert turn.dialogs is not None
            await turn.dialogs.begin_dialog(DIALOG_ID, {"resume": int(turn.args.strip())})
            return
        await show_drafts(database, turn)

    async def referrals(turn: Turn) -> None:
        await show_referrals(database, turn)

    commands = (
        Command(
            "refer",
            "Refer a pupil to the Partnership or the Inclusion Forum",
            refer,
            aliases=("make a referral", "i want to refer", "start a referral", "new referral"),
            action=Action.CREATE_REFERRAL,
            target=own_record(RecordKind.REFERRAL),
            personal_only=True,
            takes_args=True,
            starts_dialog=True,
            in_menu=True,
        ),
        Command(
            DRAFTS_COMMAND,
            "Carry on with a referral you started",
            drafts,
            action=Action.CREATE_REFERRAL,
            target=own_record(RecordKind.REFERRAL),
            personal_only=True,
            takes_args=True,
            starts_dialog=True,
        ),
        Command(
            "my referrals",
            "Where your school's referrals stand",
            referrals,
            action=Action.VIEW_REFERRAL,
            target=own_record(RecordKind.REFERRAL),
            personal_only=True,
            in_menu=True,
        ),
    )
    refer_command = commands[0]

    async def offer_to_refer(turn: Turn, reply: Reply, rendered: RenderedCard) -> RenderedCard:
        """An answer about referring offers "Start a referral" to those who may (not mid-dialog)."""
        if turn.in_dialog or not offers_referral(reply) or not refer_command.allowed_for(turn.actor):
            return rendered
        return with_ask_button(rendered, text("start_referral"), refer_command.name)

    stale = CardAction(cards.STEP_VERB, {"draft": Id(required=False), "n": Id(required=False)}, stale_press(database))
    casework_commands, casework_actions, renderers = partnership(database, services.clock)
    return Feature(
        "referrals",
        commands=(*commands, *casework_commands),
        dialogs=(ReferDialog(database),),
        card_actions=(stale, *casework_actions),
        notice_renderers=renderers,
        reply_hooks=(offer_to_refer,),
    )
