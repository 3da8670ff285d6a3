"""Finding whom a concern is about while it is being reported: the pupils placed with the
Partnership whose name is like what was typed (typo tolerant), and the schools for a concern
about an adult. Only someone the policy lets raise a concern may search; a refusal is audited."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select

from db.engine import Database
from db.models.directory import PROGRAMMES, Pupil
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.directory.model import SchoolRecord
from domain.directory.queries import list_schools
from domain.requester import Requester, authorise

MATCH_CUTOFF = 70
RECORD = "safeguarding_concern"


@dataclass(frozen=True)
class PupilMatch:
    id: int
    name: str
    school: str
    year_group: int
    score: float


async def match_placed_pupils(
    database: Database, requester: Requester, typed: str, *, limit: int = 5
) -> list[PupilMatch]:
    """Placed pupils whose name is like `typed`, best first (at most `limit`)."""
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.RAISE_SAFEGUARDING_CONCERN,
            Target(RecordKind.SAFEGUARDING_CONCERN),
            record_type=RECORD,
            record_id="new",
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        rows = list(
            await session.scalars(
                select(Pupil)
                .where(Pupil.provision.in_(PROGRAMMES), Pupil.erased_at.is_(None))
                .order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
            )
        )
    schools = {s.id: s.name for s in await list_schools(database)}
    names = [f"{p.first_name} {p.last_name}" for p in rows]
    found = process.extract(
        typed, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=MATCH_CUTOFF
    )
    return [
        PupilMatch(rows[i].id, names[i], schools.get(rows[i].school_id, ""), rows[i].year_group, score)
        for _, score, i in found
    ]


async def match_schools(database: Database, typed: str, *, limit: int = 5) -> list[SchoolRecord]:
    """Schools whose name is like `typed`, best first."""
    schools = await list_schools(database)
    found = process.extract(
        typed,
        [s.name for s in schools],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=MATCH_CUTOFF,
    )
    return [schools[i] for _, _, i in found]
