"""What the booking cards read: the school's forum cases still to book (the policy's own school
and own records, a held-back referral's pupil), the confirm card's facts (the sharing the
parents' consent allows, a full forum's waiting list), and the Partnership's meetings."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access import NotAllowed
from domain.forum import queries, service
from domain.forum.model import Sharing
from domain.forum.service import ForumError
from domain.referrals import service as referrals
from domain.referrals.model import ReferralKind
from tests.domain.forum.conftest import a_forum, forum_case
from tests.domain.referrals.conftest import World

NOV_7 = date(2024, 11, 7)


async def test_the_cases_to_book_are_the_schools_sent_forum_cases_not_yet_booked(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=1)
    named = await forum_case(world)
    anonymous = await forum_case(world, anonymous=True)
    await forum_case(world, "Jack Smithson", "senco_b")  # another school's
    found = await queries.cases_to_book(world.db, world.as_("senco"))
    assert [c.referral_id for c in found] == [anonymous, named]  # newest first
    assert [(c.anonymous, c.consent) for c in found] == [(True, False), (False, True)]
    await service.book_case(
        world.db, world.as_("senco"), forum.id, named, sharing=Sharing.NAMED, question="Q", clock=world.clock
    )
    assert [c.referral_id for c in await queries.cases_to_book(world.db, world.as_("senco"))] == [anonymous]
    assert await queries.cases_to_book(world.db, world.as_("hoy")) == []  # a head of year: their own only
    with pytest.raises(NotAllowed):
        await queries.cases_to_book(world.db, world.as_("teacher"))


async def test_a_held_back_referral_finds_its_pupils_forum_case(world: World) -> None:
    case = await forum_case(world)  # Jack Smith
    held = await referrals.start_draft(
        world.db, world.as_("senco"), ReferralKind.PARTNERSHIP_REFERRAL, pupil_id=world.pupils["Jack Smith"]
    )
    other = await referrals.start_draft(
        world.db, world.as_("senco"), ReferralKind.PARTNERSHIP_REFERRAL, pupil_id=world.pupils["Oliver Brown"]
    )
    found = await queries.cases_to_book(world.db, world.as_("senco"), for_referral=held.id)
    assert [c.referral_id for c in found] == [case]
    assert await queries.cases_to_book(world.db, world.as_("senco"), for_referral=other.id) == []
    assert await queries.cases_to_book(world.db, world.as_("senco_b"), for_referral=held.id) == []


async def test_the_preview_offers_what_the_consent_allows_and_a_full_forums_waiting_list(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=1)
    named = await forum_case(world)
    anonymous = await forum_case(world, anonymous=True)
    preview = await queries.preview_booking(world.db, world.as_("senco"), forum.id, named)
    assert preview.sharing == (Sharing.NAMED, Sharing.PARTNERSHIP_ONLY, Sharing.ANONYMOUS)
    assert preview.school == "Charnwood Vale Academy" and not preview.full
    await service.book_case(
        world.db, world.as_("senco"), forum.id, named, sharing=Sharing.NAMED, question="Q", clock=world.clock
    )
    preview = await queries.preview_booking(world.db, world.as_("senco"), forum.id, anonymous)
    assert preview.sharing == (Sharing.ANONYMOUS,) and preview.full and preview.waiting == 0
    with pytest.raises(ForumError, match="already booked"):
        await queries.preview_booking(world.db, world.as_("senco"), forum.id, named)
    with pytest.raises(NotAllowed):
        await queries.preview_booking(world.db, world.as_("senco_b"), forum.id, anonymous)


async def test_only_the_partnership_senco_or_director_manage_meetings(world: World) -> None:
    forum = await a_forum(world, NOV_7)
    await forum_case(world)
    [line] = await queries.meetings_to_manage(world.db, world.as_("psenco"), world.clock)
    assert line.meeting.id == forum.id and line.cases == 0
    assert len(await queries.meetings_to_manage(world.db, world.as_("director"), world.clock)) == 1
    for who in ("senco", "coordinator"):
        with pytest.raises(NotAllowed):
            await queries.meetings_to_manage(world.db, world.as_(who), world.clock)
    with pytest.raises(NotAllowed):
        await queries.may_book(world.db, world.as_("teacher"))
    await queries.may_book(world.db, world.as_("senco"))
