"""Drafting and submitting a referral: validation that keeps what was given, the offer's rules,
the anonymous case, notices, and refusals (each audited). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from db.models.directory import Pupil
from db.models.referrals import Referral as ReferralRow
from domain.access import NotAllowed
from domain.directory.queries import get_pupil
from domain.directory.service import erase_pupil
from domain.referrals import service
from domain.referrals.model import ReferralKind, ReferralStatus
from domain.referrals.service import ReferralError, SubmissionRefused
from tests.domain.referrals.conftest import JACK_UPN, World, complete_values, upn
from tests.domain.referrals.helpers import RP, audited, on_forum, queued, ready_draft, submitted

IF = ReferralKind.FORUM_CASE
RUBY_UPN = upn("855410113077")


async def test_a_named_referral_from_draft_to_submitted(world: World) -> None:
    await on_forum(world)
    referral_id = await ready_draft(world)
    referral = await service.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    assert referral.status is ReferralStatus.SUBMITTED and referral.reference == "R-2026-0001"
    assert referral.pupil_id == world.pupils["Jack Smith"] and referral.year_group == 9
    assert referral.submitted_at == world.clock.now()
    senco, psenco = world.people["senco"].id, world.people["psenco"].id
    sent = [(kind, person) for kind, person, _ in await queued(world)]
    assert sent == [("referrals.submitted", senco), ("referrals.new", psenco)]
    payload = (await queued(world))[0][2]
    assert payload == {
        "referral_id": referral_id,
        "reference": "R-2026-0001",
        "kind": "partnership_referral",
        "pupil_id": referral.pupil_id,
        "to_person_id": senco,
    }
    changes = [e for e in await audited(world, "changed") if e.record_id == str(referral_id)]
    assert changes[-1].detail["status"] == "submitted" and changes[-1].detail["from_status"] == "draft"


async def test_a_head_of_years_referral_is_told_to_the_schools_senco_too(world: World) -> None:
    await on_forum(world)
    referral_id = await ready_draft(world, who="hoy")
    await service.submit(world.db, world.as_("hoy"), referral_id, clock=world.clock)
    hoy, senco, psenco = (world.people[p].id for p in ("hoy", "senco", "psenco"))
    sent = [(kind, person) for kind, person, _ in await queued(world)]
    assert sent == [("referrals.submitted", hoy), ("referrals.submitted", senco), ("referrals.new", psenco)]


async def test_bad_values_are_named_and_nothing_given_is_lost(world: World) -> None:
    referral_id = await ready_draft(world)
    senco = world.as_("senco")
    bad = {"attendance_percent": "140%", "reason": "x" * 5000, "agencies": "", "behaviour": "😀 Shouts", "upn": "X"}
    result = await service.set_fields(world.db, senco, referral_id, bad, clock=world.clock)
    assert set(result.problems) == {"attendance_percent", "reason", "agencies", "upn"}
    assert result.problems["attendance_percent"] == "Attendance this year is a percentage from 0 to 100."
    assert result.referral.details["attendance_percent"] == 62.0  # the earlier good value stays
    assert result.referral.details["behaviour"] == "😀 Shouts"
    assert "upn" not in result.referral.details  # the roll already knows the pupil: never asked twice
    again = await service.view_referral(world.db, senco, referral_id, clock=world.clock)
    assert again.values["reason"].startswith("At risk") and again.values["semh_needs"] == "Anxiety, low mood."


async def test_special_category_values_are_kept_apart(world: World) -> None:
    referral_id = await ready_draft(world)
    async with world.db.session() as session:
        row = await session.get(ReferralRow, referral_id)
        assert row is not None
        assert {"semh_needs", "looked_after", "child_protection_plan", "primary_need"} <= set(row.special_details)
        assert not {"semh_needs", "looked_after"} & set(row.details)
    summary = await service.view_referral(world.db, world.as_("dsl"), referral_id, clock=world.clock)
    assert summary.special_details == {} and summary.details["reason"]  # a DSL sees a summary


async def test_an_anonymous_forum_case_stores_nothing_identifying(world: World) -> None:
    senco = world.as_("senco")
    draft = await service.start_draft(world.db, senco, IF, anonymous=True, clock=world.clock)
    values = complete_values(
        parental_consent="no", year_group=9, consent_given_by=None, consent_date=None, parent_carer=None
    )
    named = {"first_name": "Jack", "last_name": "Smith", "date_of_birth": "2012-02-01", "upn": JACK_UPN}
    result = await service.set_fields(world.db, senco, draft.id, {**values, **named}, clock=world.clock)
    assert set(result.problems) == set(named)
    crafted = await service.set_fields(
        world.db, senco, draft.id, {"pupil_id": world.pupils["Jack Smith"]}, clock=world.clock
    )
    assert set(crafted.problems) == {"pupil_id"}
    referral = await service.submit(world.db, senco, draft.id, clock=world.clock)
    assert referral.status is ReferralStatus.SUBMITTED and referral.anonymous
    async with world.db.session() as session:
        row = await session.get(ReferralRow, draft.id)
        assert row is not None and row.pupil_id is None and row.anonymous
        stored = json.dumps([row.details, row.special_details])
        assert not set(named) & (set(row.details) | set(row.special_details))
        for personal in ("Jack", "Smith", "2012-02-01", JACK_UPN, "Mother"):
            assert personal not in stored
        assert (
            await session.scalar(select(Pupil).where(Pupil.first_name == "Jack", Pupil.school_id == world.school_a))
            is not None
        )
    with pytest.raises(ReferralError):
        await service.start_draft(world.db, senco, RP, anonymous=True, clock=world.clock)


async def test_a_pupil_typed_in_joins_the_roll_at_submission(world: World) -> None:
    senco = world.as_("senco")
    draft = await service.start_draft(world.db, senco, IF, clock=world.clock)
    typed = {"first_name": "Ruby", "last_name": "Hart", "year_group": 8, "date_of_birth": "2013-01-10", "upn": RUBY_UPN}
    values = complete_values(**typed)
    assert (await service.set_fields(world.db, senco, draft.id, values, clock=world.clock)).problems == {}
    referral = await service.submit(world.db, senco, draft.id, clock=world.clock)
    assert referral.pupil_id is not None and not {"first_name", "last_name", "date_of_birth"} & set(referral.values)
    async with world.db.session() as session:
        pupil = await session.get(Pupil, referral.pupil_id)
        assert pupil is not None and (pupil.first_name, pupil.school_id, pupil.year_group) == (
            "Ruby",
            world.school_a,
            8,
        )


async def test_inclusion_forum_first_and_the_exception(world: World) -> None:
    referral_id = await ready_draft(world)
    senco = world.as_("senco")
    with pytest.raises(SubmissionRefused) as refused:
        await service.submit(world.db, senco, referral_id, clock=world.clock)
    assert [b.code for b in refused.value.breaches] == ["forum_first"]
    assert "start a forum case instead" in refused.value.breaches[0].way_forward.lower()
    entry = (await audited(world, "refused"))[-1]
    assert entry.record_id == str(referral_id) and entry.detail["reason"] == ["forum_first"]
    with pytest.raises(NotAllowed):
        await service.allow_forum_exception(world.db, senco, referral_id, "Urgent", clock=world.clock)
    await service.allow_forum_exception(
        world.db, world.as_("director"), referral_id, "Urgent: at risk of PEx", clock=world.clock
    )
    referral = await service.submit(world.db, senco, referral_id, clock=world.clock)
    assert referral.status is ReferralStatus.SUBMITTED and referral.forum_exception
    told = [(kind, person) for kind, person, _ in await queued(world)][:3]
    assert told == [  # held back by "forum first" alone: those who may allow it are told, then the referrer
        ("referrals.held_back", world.people["psenco"].id),
        ("referrals.held_back", world.people["director"].id),
        ("referrals.exception_allowed", world.people["senco"].id),
    ]


async def test_each_rule_holds_a_referral_back(world: World) -> None:
    await on_forum(world, "Oliver Brown")
    referral_id = await ready_draft(
        world, "Oliver Brown", requested_support="ks3_out_of_school", programme_time="full_time"
    )
    with pytest.raises(SubmissionRefused) as refused:
        await service.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    assert [b.code for b in refused.value.breaches] == ["incomplete", "key_stage", "no_purchase_order"]
    async with world.db.session() as session:
        row = await session.get(ReferralRow, referral_id)
        assert row is not None and row.status == "draft" and row.reference is None


async def test_a_teacher_cannot_refer_and_the_attempt_is_audited(world: World) -> None:
    with pytest.raises(NotAllowed) as refused:
        await service.start_draft(world.db, world.as_("teacher"), RP, clock=world.clock)
    assert "SENCO or a head of year" in refused.value.decision.reason
    entry = (await audited(world, "refused"))[-1]
    assert entry.actor_id == world.people["teacher"].id and entry.detail["kind"] == "create_referral"


async def test_another_schools_senco_is_refused_and_audited(world: World) -> None:
    referral_id = await submitted(world)
    other = world.as_("senco_b")
    for attempt in (
        service.view_referral(world.db, other, referral_id, clock=world.clock),
        service.set_fields(world.db, other, referral_id, {"reason": "mine now"}, clock=world.clock),
        service.submit(world.db, other, referral_id, clock=world.clock),
        service.discard_draft(world.db, other, referral_id, clock=world.clock),
        service.start_draft(world.db, other, RP, pupil_id=world.pupils["Jack Smith"], clock=world.clock),
    ):
        with pytest.raises(NotAllowed):
            await attempt
    refusals = [e for e in await audited(world, "refused") if e.actor_id == world.people["senco_b"].id]
    assert len(refusals) == 5
    assert {e.record_type for e in refusals} == {"referral", "pupil"}


async def test_a_colleagues_draft_is_theirs(world: World) -> None:
    referral_id = await ready_draft(world, who="hoy")
    with pytest.raises(NotAllowed):
        await service.set_fields(world.db, world.as_("senco"), referral_id, {"reason": "x"}, clock=world.clock)


async def test_discarding_a_draft_deletes_it(world: World) -> None:
    referral_id = await ready_draft(world)
    await service.discard_draft(world.db, world.as_("senco"), referral_id, clock=world.clock)
    with pytest.raises(ReferralError):
        await service.view_referral(world.db, world.as_("senco"), referral_id, clock=world.clock)
    with pytest.raises(ReferralError):
        await service.set_fields(world.db, world.as_("senco"), 999999, {"reason": "x"}, clock=world.clock)


async def test_a_sent_referral_is_not_edited_as_a_draft(world: World) -> None:
    referral_id = await submitted(world)
    with pytest.raises(ReferralError, match="already been sent"):
        await service.set_fields(world.db, world.as_("senco"), referral_id, {"reason": "x"}, clock=world.clock)


async def test_every_view_is_audited(world: World) -> None:
    referral_id = await submitted(world)
    await service.view_referral(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    views = await audited(world, "viewed")
    assert [(v.actor_id, v.record_id) for v in views] == [(world.people["psenco"].id, str(referral_id))]


async def test_references_are_unique_under_concurrent_submits(world: World) -> None:
    pupils = ["Jack Smith", "Jacqueline Smyth", "Oliver Brown"]
    ids = []
    for pupil in pupils:
        await on_forum(world, pupil)
        for _ in range(3):
            ids.append(await ready_draft(world, pupil))
    senco = world.as_("senco")
    results = await asyncio.gather(*(service.submit(world.db, senco, i, clock=world.clock) for i in ids))
    references = sorted(r.reference or "" for r in results)
    assert references == [f"R-2026-{n:04d}" for n in range(1, len(ids) + 1)]


async def test_erasing_a_pupil_reaches_their_referrals(world: World) -> None:
    referral_id = await submitted(world)
    typed = await service.start_draft(world.db, world.as_("senco"), RP, clock=world.clock)
    await service.set_fields(world.db, world.as_("senco"), typed.id, {"upn": JACK_UPN}, clock=world.clock)
    jack = await get_pupil(world.db, world.pupils["Jack Smith"])
    assert jack is not None and jack.upn is not None
    await erase_pupil(world.db, world.as_("director"), jack.upn, "erasure_request", world.clock)
    async with world.db.session() as session:
        row = await session.get(ReferralRow, referral_id)
        assert row is not None and row.details == {} and row.special_details == {} and row.status == "submitted"
        assert await session.get(ReferralRow, typed.id) is None
