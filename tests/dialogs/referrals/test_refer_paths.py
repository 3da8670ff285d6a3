"""The referral conversation's other paths, over HTTP: the offer's rules with their ways forward,
back, change, cancel, carry on later and my drafts, a question in the middle, bad input, an old
card pressed, and a crafted press naming another school's draft. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.texts import text
from db.models.audit import AuditLogRow
from db.models.referrals import Referral as ReferralRow
from tests.dialogs.referrals.conftest import ANSWERS, SENCO_B_AAD, World, button_data, card_text, seen

SUMMARY = text("referrals_summary_title")
RP = text("referrals_kind_partnership_referral")


async def drafts(world: World) -> list[ReferralRow]:
    async with world.database.session() as session:
        return list(await session.scalars(select(ReferralRow).order_by(ReferralRow.id)))


async def start(world: World, sentence: str = "refer Jack Smith in year 9", pupil: str = "Jack Smith (year 9)"):  # type: ignore[no-untyped-def]
    chat = world.chat()
    await chat.say(sentence)
    await chat.press(RP)
    await chat.press(pupil)
    return chat


async def test_forum_first_is_refused_with_a_button_to_start_the_forum_case(world: World) -> None:
    chat = await start(world, "refer Oliver Brown", "Oliver Brown (year 10)")  # never at the Forum
    await chat.answer_until(SUMMARY, {"requested_support": "in_school_support"})
    refused = seen(await chat.press(text("referrals_submit")))
    assert "bring a pupil to the Inclusion Forum first" in refused
    assert "Start a forum case instead" in refused
    await chat.press(text("referrals_forum_instead"))
    await chat.answer_until(SUMMARY)
    assert "R-2026-0001" in seen(await chat.press(text("referrals_submit")))
    kinds = [(r.kind, r.status) for r in await drafts(world)]
    assert kinds == [("partnership_referral", "draft"), ("forum_case", "submitted")]


async def test_plan_do_review_and_programme_funding_are_refused_in_plain_words(world: World) -> None:
    chat = await start(world)
    programme = {
        "requested_support": "ks3_out_of_school",
        "programme_time": "part_time",
        "po_number": "PO-12345",
        "po_start": "2026-12-01",
        "po_end": "2027-07-31",  # short of 31 August
        "funding_lines": "awpu,pp",
        "iv_review": "",
    }
    await chat.answer_until(SUMMARY, programme | {"iv_ended_on": ""})
    refused = seen(await chat.press(text("referrals_submit")))
    assert "Plan-Do-Review" in refused and "31 August 2027" in refused
    assert "What to do:" in refused


async def test_the_ehcp_funding_line_needs_an_ehcp(world: World) -> None:
    chat = await start(world)
    answers = {
        "requested_support": "ks3_out_of_school",
        "programme_time": "full_time",
        "po_number": "PO-1",
        "po_start": "2026-12-01",
        "po_end": "2027-08-31",
        "funding_lines": "awpu,pp,ehcp",
    }
    try:
        await chat.answer_until(SUMMARY, answers, limit=25)
    except AssertionError:
        pass
    assert "There can't be an EHCP line: the pupil has no EHCP." in card_text(chat.live()[1])


async def test_bad_input_is_named_and_nothing_given_is_lost(world: World) -> None:
    chat = await start(world)
    for value in ("male", "yes", "no", "none"):  # gender, pupil premium, looked after, SEN status
        _, card = chat.live()
        (button,) = [a for a in card["actions"] if a["data"].get("answer") == value]
        await chat.press(button["title"])
    message_id, card = chat.live()
    inputs = {"attendance_percent": "62", "attendance_last_year_percent": "140", "suspension_days": "😀"}
    await chat.press(text("referrals_next"), inputs)
    again = chat.card(message_id)  # the same card, in place, with the problems and what was typed
    shown = card_text(again)
    assert "Attendance last year is a percentage from 0 to 100." in shown
    assert "Days of suspension this year is a number of days" in shown
    assert {e["id"]: e["value"] for e in again["body"] if e["type"].startswith("Input.")}["suspension_days"] == "😀"
    (row,) = await drafts(world)
    assert row.details["attendance_percent"] == 62.0  # the good value of the same card is kept
    await chat.press(text("referrals_next"), {"attendance_last_year_percent": "81", "suspension_days": ""})
    assert "Days of suspension this year is needed." in card_text(chat.card(message_id))
    await chat.press(text("referrals_next"), {"attendance_last_year_percent": "81", "suspension_days": "x" * 5000})
    assert "Days of suspension this year is a number of days" in card_text(chat.card(message_id))
    (row,) = await drafts(world)
    assert row.details["attendance_last_year_percent"] == 81.0 and row.details["attendance_percent"] == 62.0
    await chat.press(text("referrals_next"), {"suspension_days": "2", "suspensions_count": "3"})
    assert text("referrals_ask_part_time_timetable") in card_text(chat.live()[1])


async def test_back_change_and_cancel(world: World) -> None:
    chat = await start(world)
    await chat.press(button_title(chat, "male"))
    asked = seen(await chat.say("back"))
    assert text("referrals_ask_gender") in asked
    await chat.press(button_title(chat, "female"))
    await chat.say("change the attendance")
    inputs = [e["id"] for e in chat.live()[1]["body"] if e["type"].startswith("Input.")]
    assert "attendance_percent" in inputs and "suspensions_count" in inputs
    confirm = seen(await chat.say("cancel"))
    assert text("referrals_confirm_cancel") in confirm
    await chat.press(text("referrals_cancel_no"))
    (row,) = await drafts(world)
    assert row.details["gender"] == "female"
    await chat.say("cancel")
    assert text("referrals_discarded") in seen(await chat.press(text("referrals_cancel_yes")))
    assert await drafts(world) == []


async def test_a_question_in_the_middle_is_answered_then_asked_again(world: World) -> None:
    chat = await start(world)
    reply = await chat.say("what does AWPU mean?")
    assert "AWPU" in seen(reply)
    assert text("referrals_ask_gender") in seen(reply[-1:])  # and then the step again


async def test_carry_on_later_then_my_drafts(world: World) -> None:
    chat = await start(world)
    assert text("referrals_kept") in seen(await chat.say("carry on later"))
    listed = seen(await chat.say("my drafts"))
    assert "Referral to the Partnership" in listed
    resumed = seen(await chat.press(text("referrals_carry_on")))
    assert text("referrals_ask_gender") in resumed


async def test_an_old_card_changes_nothing(world: World) -> None:
    chat = await start(world)
    old_id, old = chat.live()
    await chat.press(button_title(chat, "male"))
    data = button_data(old, "Female")
    assert await chat.conversation.submit(data, reply_to_id=old_id) in (200, 201)
    (row,) = await drafts(world)
    assert row.details["gender"] == "male"
    assert text("referrals_stale") in chat.sent[-1].text


async def test_a_crafted_press_for_another_schools_draft_is_refused_and_audited(world: World) -> None:
    chat = await start(world)
    (theirs,) = await drafts(world)
    other = world.chat(SENCO_B_AAD)
    await other.say("refer")
    for value in ({"verb": "referrals.step", "draft": theirs.id, "n": 1, "answer": "female"},):
        assert await other.conversation.submit(value) in (200, 201)
    assert "another school" in other.sent[-1].text
    await other.say("cancel")
    await other.press(text("referrals_cancel_yes"))
    assert await other.conversation.submit({"verb": "referrals.step", "draft": theirs.id, "n": 2}) in (200, 201)
    assert "another school" in other.sent[-1].text
    (row, *_) = await drafts(world)
    assert "gender" not in row.details
    async with world.database.session() as session:
        refusals = list(await session.scalars(select(AuditLogRow).where(AuditLogRow.action == "refused")))
    assert [r.record_id for r in refusals] == [str(theirs.id), str(theirs.id)]
    del chat


def button_title(chat, value: str) -> str:  # type: ignore[no-untyped-def]
    _, card = chat.live()
    (button,) = [a for a in card["actions"] if a["data"].get("answer") == value]
    return str(button["title"])


async def test_more_than_one_intervention_is_recorded_from_the_summary(world: World) -> None:
    chat = await start(world)
    await chat.answer_until(SUMMARY)
    await chat.say("change the interventions")
    inputs = [e["id"] for e in chat.live()[1]["body"] if e["type"].startswith("Input.")]
    assert inputs[:5] == ["iv_what", "iv_started_on", "iv_ended_on", "iv_review", "iv_impact"]
    assert inputs[5:] == ["iv2_what", "iv2_started_on", "iv2_ended_on", "iv2_review", "iv2_impact"]  # another
    first = {name: ANSWERS[name] for name in inputs[:5]}
    second = {
        "iv2_what": "Reduced timetable with a key worker",
        "iv2_started_on": "2026-10-01",
        "iv2_ended_on": "2026-11-15",
        "iv2_review": "Reviewed at the pastoral meeting.",
        "iv2_impact": "Calmer mornings.",
    }
    await chat.press(text("referrals_save"), first | second)
    (row,) = await drafts(world)
    assert [item["what"] for item in row.details["interventions"]] == [
        "Mentoring twice a week",
        "Reduced timetable with a key worker",
    ]
    await chat.say("change the interventions")
    again = [e["id"] for e in chat.live()[1]["body"] if e["type"].startswith("Input.")]
    assert len(again) == 15  # both, and room for a third
    # An empty extra block adds nothing; a half-filled one is named and nothing is lost.
    await chat.press(text("referrals_save"), first | second | {"iv3_what": "Counselling"})
    (row,) = await drafts(world)
    assert len(row.details["interventions"]) == 2
    shown = chat.live()[1]
    assert "Intervention 3: say what was tried and when it started." in card_text(shown)
    kept = {e["id"]: e.get("value") for e in shown["body"] if e["type"].startswith("Input.")}
    assert kept["iv3_what"] == "Counselling" and kept["iv2_what"] == second["iv2_what"]
