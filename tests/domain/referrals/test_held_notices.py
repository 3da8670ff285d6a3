"""A new referral's notice that found the Partnership SENCO with no chat with the bot waits for
one: when they open it, the notice of each referral still waiting to be received is due again,
and those of referrals already received stay where they are."""

from __future__ import annotations

from sqlalchemy import select

from db.models.proactive import Notification
from domain.conversations import remember
from domain.outbox import NO_CONVERSATION, NotificationStatus
from domain.referrals import casework, notices
from tests.domain.referrals.conftest import World
from tests.domain.referrals.helpers import submitted
from tests.fixtures.conversations import personal


async def _new_referral_notices(world: World) -> dict[int, tuple[NotificationStatus, str | None]]:
    """Referral id -> the status and last error of its new-referral notice to the Partnership SENCO."""
    async with world.db.session() as session:
        rows = await session.scalars(
            select(Notification).where(
                Notification.kind == notices.NEW, Notification.person_id == world.people["psenco"].id
            )
        )
        return {int(row.payload["referral_id"]): (NotificationStatus(row.status), row.last_error) for row in rows}


async def test_the_partnership_senco_gets_new_referrals_still_to_receive_when_their_chat_opens(world: World) -> None:
    waiting = await submitted(world, "Jack Smith")
    received = await submitted(world, "Oliver Brown")
    held = (NotificationStatus.UNDELIVERABLE, NO_CONVERSATION)
    assert await _new_referral_notices(world) == {waiting: held, received: held}
    await casework.receive(world.db, world.as_("psenco"), received, clock=world.clock)

    await remember(world.db, personal("a:psenco", "29:psenco"), world.people["psenco"].id, world.clock.now())

    assert await _new_referral_notices(world) == {waiting: (NotificationStatus.PENDING, None), received: held}
