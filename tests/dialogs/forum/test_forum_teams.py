"""The forum in Teams, over HTTP on both databases: dates answered from the records (and left to
the Q&A when there are none), a school's bookings with a working cancel button, the agenda card,
and the reminder card showing UK local time after the October clock change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.features import FeatureServices
from core.clock import ManualClock
from core.settings import Settings
from db.engine import Database
from dialogs.forum import feature
from dialogs.forum.dates import kind_asked
from domain.directory.service import import_directory
from domain.forum import service
from domain.forum.model import MeetingKind, Sharing
from domain.forum.notices import reminder
from domain.notices import Notice
from domain.requester import Requester
from tests.domain.forum.conftest import a_forum, forum_case
from tests.domain.referrals.conftest import World
from tests.fixtures.bot_server import make_settings, running_bot
from tests.fixtures.connector import ConnectorStandIn

SENCO_AAD = "0a0a0a0a-0000-4000-8000-00000000f001"
PSENCO_AAD = "0a0a0a0a-0000-4000-8000-00000000f002"


async def known_to_teams(database: Database) -> None:
    people = (
        "email,display_name,school_urn,roles,aad_object_id,active\n"
        f"senco@a.example.org,Sam Senco,100001,senco,{SENCO_AAD},yes\n"
        f"psenco@lncip.example.org,Pat Psenco,,partnership_senco,{PSENCO_AAD},yes\n"
    )
    assert (await import_directory(database, Requester.system(), "people", people)).accepted


def texts_of(replies: list[dict[str, object]]) -> str:
    found: list[str] = []
    for activity in replies:
        found.append(str(activity.get("text") or ""))
        for attachment in activity.get("attachments") or []:  # type: ignore[attr-defined]
            found.append(str(attachment.get("content", {}).get("fallbackText", "")))
    return "\n".join(found)


def test_date_questions_are_recognised() -> None:
    assert kind_asked("When is the next forum?") is MeetingKind.FORUM
    assert kind_asked("forum dates this term") is MeetingKind.FORUM
    assert kind_asked("core group dates") is MeetingKind.CORE_GROUP
    assert kind_asked("what is the inclusion forum for") is None
    assert kind_asked("book a case at the forum") is None
    assert kind_asked("How often does the Inclusion Forum meet?") is None  # the offer answers that
    assert kind_asked("who is at the forum, and when is the next one?") is None


async def test_dates_bookings_and_cancel_over_http(world: World, tmp_path: object, connector: ConnectorStandIn) -> None:
    await known_to_teams(world.db)
    world.clock._now = datetime.now(UTC).replace(microsecond=0)  # the app runs on the real clock
    settings = make_settings(tmp_path, database_url=world.db.url)  # type: ignore[arg-type]
    async with running_bot(settings, connector) as bot:
        chat = bot.conversation(aad_object_id=SENCO_AAD)
        before = texts_of(await chat.ask("when is the next forum?"))
        assert "Upcoming Inclusion Forums" not in before  # nothing on record: the Q&A answers
        forum = await a_forum(world, world.clock.now().date() + timedelta(days=21), slots=3)
        result = await service.book_case(
            world.db,
            world.as_("senco"),
            forum.id,
            await forum_case(world),
            sharing=Sharing.NAMED,
            question="What next?",
            clock=world.clock,
        )
        assert result.booking is not None
        dates = texts_of(await chat.ask("when is the next forum?"))
        assert "Upcoming Inclusion Forums" in dates and "2 of 3" in dates
        mine = await chat.ask("bookings")
        assert "Cancel booking" in str(mine)
        sent = len(connector.sent)
        await chat.submit({"verb": "forum.booking.cancel", "id": result.booking.id})
        assert "Cancelled" in texts_of([s.activity for s in connector.sent[sent:]])
        assert "2 of 3" not in texts_of(await chat.ask("forum dates this term"))  # the slot is free again
        lead = bot.conversation(aad_object_id=PSENCO_AAD)
        assert "no upcoming forum" in texts_of(await lead.ask("agenda")).lower()


async def test_the_reminder_card_shows_uk_time_after_the_october_change(world: World) -> None:
    forum = await a_forum(world, datetime(2024, 10, 28).date())
    result = await service.book_case(
        world.db,
        world.as_("senco"),
        forum.id,
        await forum_case(world),
        sharing=Sharing.NAMED,
        question="Q?",
        clock=world.clock,
    )
    assert result.booking is not None
    services = FeatureServices(world.db, Settings(), ManualClock(world.clock.now()))
    render = feature(services).notice_renderers["forum.reminder"]
    card = await render(Notice(**{k: getattr(reminder(result.booking, forum), k) for k in ("kind", "payload", "key")}))
    assert card is not None
    assert "Monday 28 October 2024, 09:30 to 11:30" in card.text


async def test_with_no_dates_on_record_each_kind_points_at_its_own_dates_page(
    world: World, tmp_path: object, connector: ConnectorStandIn
) -> None:
    await known_to_teams(world.db)
    settings = make_settings(tmp_path, database_url=world.db.url)  # type: ignore[arg-type]
    async with running_bot(settings, connector) as bot:
        chat = bot.conversation(aad_object_id=SENCO_AAD)
        forums = texts_of(await chat.ask("forum"))
        assert "No Inclusion Forum dates" in forums and "https://www.leicsseips.org/inclusion-forums" in forums
        assert "meeting-dates" not in forums
        core = texts_of(await chat.ask("forum core group"))
        assert "No Core Group dates" in core and "https://www.leicsseips.org/meeting-dates" in core
        booking = texts_of(await chat.ask("book"))
        assert "https://www.leicsseips.org/inclusion-forums" in booking and "meeting-dates" not in booking
