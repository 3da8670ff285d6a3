"""A turn's replies are held until its state is stored: the state a person sees is the state stored.

Without this, a reply (the people form) left before the dialog state that goes with it was
written; a process killed between the two came back one step behind the card on screen. The
handler holds the turn's replies (`hold`), stores the state, then lets them go (`release`); a
turn that fails sends none of them (`drop`), only the apology, as its state was not stored.

Holding is done in the adapter, not in a `TurnContext.on_send_activities` hook: botbuilder 4.17
sends an activity whatever its hooks do. A held activity's reply id is "" (nothing we send
reads it); message updates (a pressed card replaced) are not held.
"""

from __future__ import annotations

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ResourceResponse

HELD_KEY = "lncip.held_replies"


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


async def release(context: TurnContext) -> None:
    """Send what the turn held, in order, and stop holding."""
    held = context.turn_state.pop(HELD_KEY, None)
    if held:
        await context.adapter.send_activities(context, held)


def drop(context: TurnContext) -> None:
    """Forget what the turn held (it failed) and stop holding, so the apology goes out."""
    context.turn_state.pop(HELD_KEY, None)
