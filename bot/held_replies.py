"""A turn's replies are held until its state is stored: the state a person sees is the state stored.

Without this, a reply (the people form) left before the dialog state that goes with it was
written; a process killed between the two came back one step behind the card on screen. The
handler holds the turn's replies (`hold`), stores the state, then lets them go (`release`); a
turn that fails sends none of them (`drop`), only the apology, as its state was not stored.

Holding is done in the adapter, not in a `TurnContext.on_send_activities` hook: botbuilder 4.17
sends an activity whatever its hooks do. A held activity's reply id is ""; message updates (a
pressed card replaced) are not held. A turn that needs the id Teams gives a held message (a
dialog that will put a typed answer on its card) asks with `when_sent`: once the replies are
sent, it is given the id. The state is not written again for it: the dialog keeps the id for
its next turn (`dialogs/referrals/steps.py`), so no turn writes its state twice.
"""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ResourceResponse

HELD_KEY = "lncip.held_replies"
WANTED_KEY = "lncip.held_reply_ids_wanted"  # [(index in the held list, callback)]


class HoldingCloudAdapter(CloudAdapter):  # type: ignore[misc]  # botbuilder ships no type hints
    """`CloudAdapter`, holding a turn's outgoing activities while the turn asks it to."""

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        held = context.turn_state.get(HELD_KEY)
        if isinstance(held, list):
            held.extend(activities)
            return [ResourceResponse(id="") for _ in activities]
        return await super().send_activities(context, activities)


def hold(context: TurnContext) -> None:
    context.turn_state[HELD_KEY] = []


def when_sent(context: TurnContext, callback: Callable[[str], None]) -> bool:
    """Ask for the id Teams gives the activity the turn sent last, which is held: `callback` gets
    it once the replies are sent. False (and no callback) when nothing is held."""
    held = context.turn_state.get(HELD_KEY)
    if not isinstance(held, list) or not held:
        return False
    context.turn_state.setdefault(WANTED_KEY, []).append((len(held) - 1, callback))
    return True


async def release(context: TurnContext) -> None:
    """Send what the turn held, in order, and stop holding; each `when_sent` callback is given
    its activity's id."""
    held = context.turn_state.pop(HELD_KEY, None)
    wanted = context.turn_state.pop(WANTED_KEY, None) or []
    if not held:
        return
    responses = await context.adapter.send_activities(context, held)
    for index, callback in wanted:
        sent = responses[index] if index < len(responses) else None
        if sent is not None and sent.id:
            callback(sent.id)


def drop(context: TurnContext) -> None:
    """Forget what the turn held (it failed) and stop holding, so the apology goes out."""
    context.turn_state.pop(HELD_KEY, None)
    context.turn_state.pop(WANTED_KEY, None)
