"""Two schools with staff who use Teams, pupils on each roll, the Partnership SENCO, and the real
app running on them (SQLite, then PostgreSQL); a chat that reads and presses the referral cards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.card_text import visible_text
from bot.texts import text
from db.engine import Database
from domain.directory.queries import get_person_by_email, pupils_for_school
from domain.directory.service import import_directory
from domain.referrals import casework
from domain.referrals.fields import FIELDS
from domain.requester import Requester
from tests.domain.referrals.conftest import PUPILS, SCHOOLS
from tests.fixtures.bot_server import BotClient, Conversation, make_settings, running_bot
from tests.fixtures.connector import ConnectorStandIn, Sent

SENCO_AAD = "0a0a0a0a-0000-4000-8000-00000000c001"
HOY_AAD = "0a0a0a0a-0000-4000-8000-00000000c002"
TEACHER_AAD = "0a0a0a0a-0000-4000-8000-00000000c003"
SENCO_B_AAD = "0a0a0a0a-0000-4000-8000-00000000c004"
PSENCO_AAD = "0a0a0a0a-0000-4000-8000-00000000c005"
PEOPLE = f"""email,display_name,school_urn,roles,aad_object_id,active
senco@a.example.org,Sam Senco,100001,senco,{SENCO_AAD},yes
hoy@a.example.org,Hal Year,100001,head_of_year,{HOY_AAD},yes
teacher@a.example.org,Tam Teacher,100001,teacher,{TEACHER_AAD},yes
dsl@a.example.org,Dee Dsl,100001,dsl,,yes
senco@b.example.org,Bea Senco,100002,senco,{SENCO_B_AAD},yes
psenco@lncip.example.org,Pat Psenco,,partnership_senco,{PSENCO_AAD},yes
"""
# What a SENCO answers, by field (and by intervention part): all valid on 7 December 2026.
ANSWERS: dict[str, Any] = {
    "gender": "male",
    "pupil_premium": "yes",
    "looked_after": "no",
    "sen_status": "sen_support",
    "primary_need": "semh",
    "year_group": "9",
    "attendance_percent": "62",
    "attendance_last_year_percent": "81",
    "part_time_timetable": "no",
    "suspensions_count": "3",
    "suspension_days": "4.5",
    "permanent_exclusion_before": "no",
    "reason": "At risk of permanent exclusion after repeated incidents.",
    "behaviour": "Leaves lessons, refuses instructions.",
    "semh_needs": "Anxiety, low mood.",
    "child_protection_plan": "no",
    "child_in_need": "unknown",
    "early_help": "yes",
    "agencies": "CAMHS, school nurse",
    "known_risks": "Has left the site twice when upset.",
    "ehcp_details": "Issued March 2025, reviewed March 2026, caseworker at SENA.",
    "part_time_details": "From 1 December, 15 hours a week, review on 12 January.",
    "iv_what": "Mentoring twice a week",
    "iv_started_on": "2026-09-15",
    "iv_ended_on": "2026-11-20",
    "iv_review": "Reviewed with parents in November.",
    "iv_impact": "Fewer removals from lessons.",
    "requested_support": "in_school_support",
    "parental_consent": "yes",
    "consent_given_by": "Mother",
    "consent_date": "2026-11-25",
    "parent_carer": "Jane Smith, mother, 07700 900123",
    "senior_leader_agreement": "Mrs Patel, deputy head",
    "parent_views": "Worried, wants help.",
    "pupil_voice": "I want to stay in school.",
}


def _question_fields() -> dict[str, str]:
    found: dict[str, str] = {}
    for form_field in FIELDS:
        try:
            found[text(f"referrals_ask_{form_field.name}")] = form_field.name
        except KeyError:
            continue
    return found


@dataclass
class World:
    client: BotClient
    database: Database
    pupils: dict[str, int]

    def chat(self, aad: str = SENCO_AAD) -> Chat:
        return Chat(self.client.conversation(aad_object_id=aad, user_id=f"29:{aad[-4:]}"))


@dataclass
class Chat:
    conversation: Conversation

    @property
    def sent(self) -> list[Sent]:
        return [s for s in self.conversation.client.connector.sent if s.conversation_id == self.conversation.id]

    async def say(self, words: str) -> list[Sent]:
        before = len(self.sent)
        assert await self.conversation.say(words) in (200, 201)
        return self.sent[before:]

    def live(self) -> tuple[str, dict[str, Any]]:
        """The newest card sent (as it is now, after any replacement): its message id and content."""
        posted = [s for s in self.sent if not s.is_update and s.cards]
        message = posted[-1]
        replaced = [s for s in self.sent if s.is_update and s.id == message.id]
        return message.id, (replaced[-1] if replaced else message).cards[0]

    async def press(self, title: str, inputs: dict[str, Any] | None = None, *, card: str | None = None) -> list[Sent]:
        """Press the button `title` on the newest card (or the card with message id `card`)."""
        message_id, content = self.live() if card is None else (card, self.card(card))
        data = button_data(content, title)
        before = len(self.sent)
        assert await self.conversation.submit(data | (inputs or {}), reply_to_id=message_id) in (200, 201)
        return self.sent[before:]

    def card(self, message_id: str) -> dict[str, Any]:
        versions = [s for s in self.sent if s.id == message_id and s.cards]
        return versions[-1].cards[0]

    async def answer_until(self, title: str, answers: dict[str, Any] | None = None, limit: int = 40) -> None:
        """Answer each question and card from `ANSWERS` until a card titled `title` is on screen."""
        answers = ANSWERS | (answers or {})
        questions = _question_fields()
        for _ in range(limit):
            _, content = self.live()
            if content["body"][0]["text"] == title:
                return
            inputs = [e["id"] for e in content["body"] if e["type"].startswith("Input.")]
            if inputs:
                await self.press(text("referrals_next"), {name: answers[name] for name in inputs})
                continue
            asked = content["body"][1]["text"]
            wanted = answers[questions[asked]]
            (button,) = [a for a in content["actions"] if a["data"].get("answer") == wanted]
            await self.press(button["title"])
        raise AssertionError(f"never reached {title!r}")


def button_data(content: dict[str, Any], title: str) -> dict[str, Any]:
    actions = list(content.get("actions") or [])
    for element in content["body"]:
        actions += element.get("actions") or []
    matching = [a for a in actions if a["title"] == title]
    assert matching, f"no button {title!r} in {[a['title'] for a in actions]}"
    return dict(matching[0]["data"])


def card_text(content: dict[str, Any]) -> str:
    return visible_text(
        [{"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": content}]}]
    )


def seen(sent: list[Sent]) -> str:
    return visible_text([s.activity for s in sent])


async def seed(database: Database) -> dict[str, int]:
    for kind, rows in (("schools", SCHOOLS), ("people", PEOPLE), ("pupils", PUPILS)):
        assert (await import_directory(database, Requester.system(), kind, rows)).accepted  # type: ignore[arg-type]
    pupils = {}
    senco = await get_person_by_email(database, "senco@a.example.org")
    psenco = await get_person_by_email(database, "psenco@lncip.example.org")
    assert senco is not None and psenco is not None and senco.school_id is not None
    for pupil in await pupils_for_school(database, senco.school_id):
        pupils[f"{pupil.first_name} {pupil.last_name}"] = pupil.id
    # Jack Smith was discussed at the Inclusion Forum; Oliver Brown was not.
    await casework.record_forum_discussion(
        database, Requester.in_teams(psenco), pupils["Jack Smith"], date(2026, 10, 20)
    )
    return pupils


@pytest.fixture
async def world(database: Database, tmp_path: Path, connector: ConnectorStandIn) -> AsyncIterator[World]:
    pupils = await seed(database)
    async with running_bot(make_settings(tmp_path, database_url=database.url), connector) as client:
        yield World(client, database, pupils)
