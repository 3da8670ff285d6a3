"""A SENCO refers a pupil in Teams, over HTTP through the real app: the whole named referral,
an anonymous forum case, the first sentence's facts, and who may refer. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.texts import text
from db.models.proactive import Notification
from db.models.referrals import Referral as ReferralRow
from tests.dialogs.referrals.conftest import TEACHER_AAD, World, seen

SUMMARY = text("referrals_summary_title")


async def rows(world: World) -> list[ReferralRow]:
    async with world.database.session() as session:
        return list(await session.scalars(select(ReferralRow).order_by(ReferralRow.id)))


async def test_a_named_referral_from_the_first_sentence_to_its_reference(world: World) -> None:
    chat = world.chat()
    reply = seen(await chat.say("refer Jack Smith in year 9, attendance 62%, 3 suspensions this year"))
    assert "What would you like to do?" in reply
    await chat.press(text("referrals_kind_partnership_referral"))
    picked = seen(await chat.press("Jack Smith (year 9)"))
    assert "Jacqueline" not in picked  # the pupil chosen; asked only what the roll doesn't know
    assert "Date of birth" not in picked and "UPN" not in picked
    await chat.answer_until(SUMMARY)
    _, summary = chat.live()
    shown = seen(
        [
            type(
                "S",
                (),
                {
                    "activity": {
                        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": summary}]
                    }
                },
            )()
        ]
    )
    assert "Jack Smith, year 9" in shown and "Sam Senco" in shown and "Dee Dsl" in shown
    assert "62" in shown and "Suspensions this year" in shown
    sent = seen(await chat.press(text("referrals_submit")))
    assert "R-2026-0001" in sent
    (row,) = await rows(world)
    assert row.status == "submitted" and row.reference == "R-2026-0001"
    assert row.pupil_id == world.pupils["Jack Smith"]
    assert row.details["attendance_percent"] == 62.0 and row.details["suspensions_count"] == 3
    async with world.database.session() as session:
        kinds = [n.kind for n in await session.scalars(select(Notification).order_by(Notification.id))]
    assert kinds == ["referrals.submitted", "referrals.new"]  # the Partnership SENCO is told
    mine = seen(await chat.say("my referrals"))
    assert "R-2026-0001" in mine and "Submitted since" in mine


async def test_each_answered_card_is_replaced_by_its_answer(world: World) -> None:
    chat = world.chat()
    await chat.say("refer")
    question_id, _ = chat.live()
    await chat.press(text("referrals_kind_forum_case"))
    answered = chat.card(question_id)
    assert not answered.get("actions") and "A case for the Inclusion Forum" in str(answered)


def _buttons(card: dict[str, object]) -> list[object]:
    return [a for a in str(card).split("'type': ") if a.startswith("'Action.")]


async def test_a_typed_answer_puts_the_answer_on_the_card_on_screen(world: World) -> None:
    chat = world.chat()
    await chat.say("refer")
    kind_card, _ = chat.live()
    turn = await chat.say("a referral to the partnership")  # typed while the buttons are on screen
    [update] = [s for s in turn if s.is_update]
    assert update.id == kind_card  # a PUT of that very message
    assert "A Referral to the Partnership" in str(update.cards[0]) and _buttons(update.cards[0]) == []
    pupil_card, _ = chat.live()
    assert pupil_card != kind_card and "Which pupil?" in seen(turn)

    turn = await chat.say("Jack Smith")  # the pupil question answered by typing too
    [update] = [s for s in turn if s.is_update]
    assert update.id == pupil_card and "Jack Smith" in str(update.cards[0])
    await chat.press("Jack Smith (year 9)")
    question_card, question = chat.live()
    assert question["body"][1]["text"] == text("referrals_ask_gender")
    turn = await chat.say("male")
    [update] = [s for s in turn if s.is_update]
    assert update.id == question_card and "Male" in seen([update]) and _buttons(update.cards[0]) == []

    # A question in the middle: the card it interrupted loses its buttons, the step is asked again below.
    asked_card, _ = chat.live()
    turn = await chat.say("what does AWPU mean?")
    [update] = [s for s in turn if s.is_update]
    assert update.id == asked_card and _buttons(update.cards[0]) == []
    assert text("referrals_moved_on") in seen([update]) and _buttons(chat.live()[1]) != []


async def test_an_anonymous_forum_case_keeps_nothing_identifying(world: World) -> None:
    chat = world.chat()
    await chat.say("refer a forum case")
    await chat.press(text("referrals_anonymous"))
    await chat.answer_until(SUMMARY)
    assert "R-2026-0001" in seen(await chat.press(text("referrals_submit")))
    (row,) = await rows(world)
    assert row.anonymous and row.pupil_id is None and row.kind == "forum_case"
    kept = {**row.details, **row.special_details}
    assert not {"first_name", "last_name", "date_of_birth", "upn", "consent_given_by"} & set(kept)


async def test_a_teacher_is_told_who_can_refer(world: World) -> None:
    reply = seen(await world.chat(TEACHER_AAD).say("I want to refer a year 9"))
    assert "Only your school's SENCO or a head of year can refer a pupil." in reply
    assert await rows(world) == []


async def test_the_answer_about_referring_offers_to_start_one_only_to_those_who_may(world: World) -> None:
    senco = seen(await world.chat().say("How do I make a referral?"))
    assert text("start_referral") in senco
    teacher = seen(await world.chat(TEACHER_AAD).say("How do I make a referral?"))
    assert text("start_referral") not in teacher
    chat = world.chat()
    await chat.say("How do I make a referral?")
    assert "What would you like to do?" in seen(await chat.press(text("start_referral")))
