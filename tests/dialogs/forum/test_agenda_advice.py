"""The meeting side of the forum in Teams, over HTTP on both databases: the Partnership SENCO
records a case's advice from the agenda card (the form, its checks, a forged press refused, the
agenda showing "Advice recorded", the school's notice queued and the discussion on record for a
referral); and the agenda's page for the shared screen, served only through a signed link to a
person the policy still allows, never cached, and with no pupil name in the anonymised view or
in the bot's logs; and a Core Group agenda opening each referral, whose card records the decision."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.features import FeatureServices
from core.signed_links import SignedLinks, link_secret
from dialogs.forum import feature
from dialogs.forum.page import agenda_page_url
from domain.directory.service import import_directory
from domain.forum import queries, service
from domain.forum.model import MeetingKind, Sharing
from domain.notices import Notice
from domain.referrals import casework
from domain.referrals import service as referrals
from domain.referrals import store as referral_store
from domain.requester import Requester
from tests.dialogs.forum.test_forum_teams import PSENCO_AAD, SENCO_AAD, known_to_teams, texts_of
from tests.domain.forum.conftest import a_forum, case_values, forum_case
from tests.domain.referrals.conftest import World
from tests.domain.referrals.helpers import audited, queued, ready_draft
from tests.fixtures.bot_server import BotClient, make_settings, running_bot
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.logs import JsonLines


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action of a card, in its body's action sets and at its foot."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def cards_in(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for r in replies for a in r.get("attachments") or []]


async def a_booked_case(world: World, *, sharing: Sharing = Sharing.NAMED) -> tuple[int, int]:
    """A forum in ten days with Jack Smith's case booked on it: (meeting id, booking id)."""
    world.clock._now = datetime.now(UTC).replace(microsecond=0)  # the app runs on the real clock
    forum = await a_forum(world, world.clock.now().date() + timedelta(days=10), slots=3)
    result = await service.book_case(
        world.db,
        world.as_("senco"),
        forum.id,
        await forum_case(world),
        sharing=sharing,
        question="How do we keep him in lessons after break?",
        clock=world.clock,
    )
    assert result.booking is not None
    return forum.id, result.booking.id


async def since(connector: ConnectorStandIn, before: int) -> list[dict[str, Any]]:
    return [s.activity for s in connector.sent[before:]]


async def press(chat: Any, connector: ConnectorStandIn, value: dict[str, Any]) -> list[dict[str, Any]]:
    before = len(connector.sent)
    assert await chat.submit(value) in (200, 201)
    return await since(connector, before)


async def test_the_partnership_records_advice_from_the_agenda_card(
    world: World, tmp_path: Path, connector: ConnectorStandIn
) -> None:
    await known_to_teams(world.db)
    meeting_id, booking_id = await a_booked_case(world)
    settings = make_settings(tmp_path, database_url=world.db.url)
    async with running_bot(settings, connector) as bot:
        lead = bot.conversation(aad_object_id=PSENCO_AAD)
        [agenda] = cards_in(await lead.ask("agenda"))
        shown = json.dumps(agenda)
        assert "Jack Smith" in shown and "How do we keep him in lessons after break?" in shown
        buttons = {a["title"]: a for a in actions_of(agenda)}
        assert buttons["Record advice"]["data"] == {"verb": "forum.advice.open", "id": booking_id, "view": "named"}
        assert urlsplit(buttons["Open the agenda page"]["url"]).path == f"/forum/agenda/{meeting_id}"

        [form] = cards_in(await press(lead, connector, buttons["Record advice"]["data"]))
        inputs = {item["id"] for item in form["body"] if str(item.get("type", "")).startswith("Input.")}
        assert inputs == {"advice", "services", "other_services", "next_step"}
        save = next(a for a in actions_of(form) if a["title"] == "Save the advice")
        filled = {
            **save["data"],
            "advice": "A key adult at break; the EP to observe in class.",
            "services": "LCC Educational Psychologist,NHS Care Navigator",
            "other_services": "School nurse; Early Help",
        }

        back = next(a for a in actions_of(form) if a["title"] == "Back to the agenda")
        assert "Record advice" in json.dumps(cards_in(await press(lead, connector, back["data"])))
        no_step = texts_of(await press(lead, connector, filled))
        assert "choose the next step" in no_step
        school = bot.conversation(aad_object_id=SENCO_AAD)  # the school's SENCO, forging the press
        refused = texts_of(await press(school, connector, {**filled, "next_step": "no_further_action"}))
        assert "Only the Partnership SENCO or Director" in refused
        assert await queries.advice_given(world.db, booking_id) is None

        replies = await press(lead, connector, {**filled, "next_step": "referral_to_partnership"})
        assert "now on record for a Referral to the Partnership" in texts_of(replies)
        [updated] = cards_in(replies)
        assert "Advice recorded" in json.dumps(updated)
        assert not [a for a in actions_of(updated) if a["title"] == "Record advice"]

        again = texts_of(await press(lead, connector, {**filled, "next_step": "no_further_action"}))
        assert "Advice is recorded once" in again
    given = await queries.advice_given(world.db, booking_id)
    assert given is not None and given.next_step.value == "referral_to_partnership"
    assert given.services == ["LCC Educational Psychologist", "NHS Care Navigator", "School nurse", "Early Help"]
    async with world.db.session() as session:
        assert await referral_store.forum_discussed(session, world.pupils["Jack Smith"])
    [(person, payload)] = [(person, payload) for kind, person, payload in await queued(world) if kind == "forum.advice"]
    assert person == world.people["senco"].id
    render = feature(FeatureServices(world.db, settings, world.clock)).notice_renderers["forum.advice"]
    card = await render(Notice("forum.advice", payload, f"forum-advice:{booking_id}"))
    assert card is not None  # what the school gets: the advice, the services, the next step
    for shown in (
        "A key adult at break",
        "School nurse",
        "Go ahead with a Referral to the Partnership",
        "now on record",
    ):
        assert shown in card.text


def the_secret(tmp_path: Path) -> SignedLinks:
    secret = link_secret(make_settings(tmp_path))
    assert secret is not None  # made in the data folder at the bot's start (local mode)
    return SignedLinks(secret)


async def fetch(bot: BotClient, url: str) -> tuple[int, str, dict[str, str]]:
    parts = urlsplit(url)
    async with bot.session.get(f"{bot.url}{parts.path}?{parts.query}") as response:
        return response.status, await response.text(), dict(response.headers)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


async def test_the_agenda_page_is_served_only_through_a_valid_link_to_someone_still_allowed(
    world: World, tmp_path: Path, connector: ConnectorStandIn, logged: JsonLines
) -> None:
    await known_to_teams(world.db)
    meeting_id, _ = await a_booked_case(world, sharing=Sharing.PARTNERSHIP_ONLY)
    other = await a_forum(world, world.clock.now().date() + timedelta(days=40))
    settings = make_settings(tmp_path, database_url=world.db.url)
    lead = world.people["psenco"]
    async with running_bot(settings, connector) as bot:
        links, now = the_secret(tmp_path), datetime.now(UTC)
        named = agenda_page_url(links, "", lead.id, meeting_id, "named", now)
        status, page, headers = await fetch(bot, named)
        assert status == 200
        assert "Jack Smith" in page and "How do we keep him in lessons after break?" in page
        assert headers["Cache-Control"] == "no-store" and "noindex" in headers["X-Robots-Tag"]
        assert "http" not in page.lower().replace('lang="en-gb"', "")  # nothing loaded from elsewhere

        status, page, _ = await fetch(bot, agenda_page_url(links, "", lead.id, meeting_id, "anonymised", now))
        assert status == 200 and "Anonymous case" in page and "Jack" not in page and "Smith" not in page

        tampered = with_query(named, view="anonymised")  # the signature was for the named view
        forged = with_query(named, sig="0" * 64)
        expired = agenda_page_url(links, "", lead.id, meeting_id, "named", now - timedelta(hours=13))
        elsewhere = named.replace(f"/forum/agenda/{meeting_id}?", f"/forum/agenda/{other.id}?")
        someone_else = with_query(named, person=str(world.people["senco"].id))
        for bad in (tampered, forged, expired, elsewhere, someone_else, f"/forum/agenda/{meeting_id}"):
            status, page, headers = await fetch(bot, bad)
            assert status == 403, bad
            assert "Jack" not in page and "Type agenda" in page and headers["Cache-Control"] == "no-store"

        school_link = agenda_page_url(links, "", world.people["senco"].id, meeting_id, "named", now)
        assert (await fetch(bot, school_link))[0] == 403  # signed, but a school SENCO may not see the agenda

        ended = (
            "email,display_name,school_urn,roles,aad_object_id,active\n"
            f"psenco@lncip.example.org,Pat Psenco,,partnership_senco,{PSENCO_AAD},no\n"
        )
        assert (await import_directory(world.db, Requester.system(), "people", ended)).accepted
        assert (await fetch(bot, named))[0] == 403  # the post has ended: the link no longer opens
    assert not [line for line in logged.written if "Jack" in line or "Smith" in line]
    viewed = [
        (row.actor_id, row.detail.get("status"), row.detail.get("kind")) for row in await audited(world, "viewed")
    ]
    assert viewed.count((lead.id, "page", "partnership")) == 1 and (lead.id, "page", "external") in viewed
    refused = [(row.actor_id, row.record_id) for row in await audited(world, "refused")]
    assert (lead.id, f"meeting:{meeting_id}") in refused  # the ended post's attempt is on record
    kinds = [json.loads(line).get("outcome") for line in logged.written if '"agenda_page"' in line]
    assert kinds.count("shown") == 2 and kinds.count("refused") == 2


async def test_a_core_group_agenda_opens_each_referral_whose_card_records_the_decision(
    world: World, tmp_path: Path, connector: ConnectorStandIn
) -> None:
    await known_to_teams(world.db)
    world.clock._now = datetime.now(UTC).replace(microsecond=0)
    day = world.clock.now().date() + timedelta(days=12)
    await a_forum(world, day, kind=MeetingKind.CORE_GROUP)
    await casework.record_forum_discussion(
        world.db, world.as_("psenco"), world.pupils["Jack Smith"], day - timedelta(days=60), clock=world.clock
    )
    consented = (world.clock.now().date() - timedelta(days=20)).isoformat()
    referral_id = await ready_draft(world, consent_date=consented, interventions=case_values()["interventions"])
    await referrals.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    await casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, day, clock=world.clock)
    settings = make_settings(tmp_path, database_url=world.db.url)
    async with running_bot(settings, connector) as bot:
        lead = bot.conversation(aad_object_id=PSENCO_AAD)
        [agenda] = cards_in(await lead.ask("agenda"))
        assert "Core Group agenda" in json.dumps(agenda) and "Jack Smith" in json.dumps(agenda)
        titles = {a["title"]: a for a in actions_of(agenda)}
        assert "Record advice" not in titles
        assert titles["Open the referral"]["data"] == {"verb": "referrals.open", "id": referral_id}
        opened = await press(lead, connector, titles["Open the referral"]["data"])
        assert "Record the decision" in json.dumps(cards_in(opened))
