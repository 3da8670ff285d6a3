"""What can be done to the directory, each as one transaction that asks the access policy,
writes the audit entry and queues any notice: save a person (the people form in Teams, and the
person saved hears of it), import a CSV file of
schools, people or pupils (the command line, demo data), export one, erase a pupil's personal
data (the command line; the mechanics are `domain.erasure`'s).

The people form and a CSV file's people rows are saved by the same function
(`_save_person`), so a person changed either way is checked by the same rules and audited
the same way. A refusal raises `NotAllowed` carrying the policy's reason, after the refused
attempt has been audited.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from domain.access import Action, NotAllowed
from domain.audit import AuditAction, record_audit
from domain.directory import csv_files, writes
from domain.directory.csv_files import ImportReport, Kind
from domain.directory.model import Outcome, PersonChange, PersonRecord, PupilRecord
from domain.directory.notices import person_saved
from domain.directory.queries import get_pupil_by_upn
from domain.erasure import Erased, ErasureReason, ErasureRefused, erase
from domain.notifier import queue_notice
from domain.requester import Requester, authorise

_CHANGE_ACTIONS: dict[Outcome, AuditAction] = {"added": AuditAction.CREATED, "changed": AuditAction.CHANGED}


async def save_person(
    database: Database, requester: Requester, change: PersonChange, clock: Clock = SystemClock()
) -> tuple[PersonRecord, Outcome]:
    """Add or change one person (Partnership admin). Raises `NotAllowed`, or `DirectoryError`
    naming every problem with the change (nothing is then saved)."""
    now = clock.now()
    async with database.session() as session:
        decision = await authorise(
            session, requester, Action.MANAGE_PEOPLE, None, record_type="person", record_id="new"
        )
        if decision.allowed:
            person, outcome = await _save_person(session, requester, change, now)
            if outcome != "unchanged":  # the person hears of it in their own chat
                await queue_notice(
                    session, person_saved(person.id, requester.person_id, outcome, now), to_person=person.id, now=now
                )
            return person, outcome
    raise NotAllowed(decision)


async def import_directory(
    database: Database,
    requester: Requester,
    kind: Kind,
    data: bytes | str,
    clock: Clock = SystemClock(),
) -> ImportReport:
    """Check a CSV file and apply all of it or none; the import is audited with who, which
    file (its digest) and how many rows, and each person it changes as that change."""
    now = clock.now()
    async with database.session() as session:
        decision = await authorise(
            session, requester, Action.IMPORT_DIRECTORY, None, record_type="directory", record_id=kind
        )
    if not decision.allowed:
        raise NotAllowed(decision)
    raw = data.encode() if isinstance(data, str) else data

    async def save(session: AsyncSession, change: PersonChange) -> tuple[PersonRecord, Outcome]:
        return await _save_person(session, requester, change, now)

    async def audit_import(session: AsyncSession, report: ImportReport) -> None:
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.IMPORTED,
            record_type="directory",
            record_id=kind,
            detail={
                "count": report.added + report.changed + report.unchanged,
                "file_digest": "sha256:" + hashlib.sha256(raw).hexdigest()[:32],
                **requester.audit_detail,
            },
        )

    return await csv_files.import_csv(database, kind, raw, save_person=save, on_accepted=audit_import)


async def export_directory(database: Database, requester: Requester, kind: Kind) -> str:
    """The directory as CSV text; the export is audited with who and how many rows."""
    async with database.session() as session:
        decision = await authorise(
            session, requester, Action.EXPORT_DIRECTORY, None, record_type="directory", record_id=kind
        )
        if decision.allowed:
            text, rows = await csv_files.export_csv(session, kind)
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.EXPORTED,
                record_type="directory",
                record_id=kind,
                detail={"count": rows, **requester.audit_detail},
            )
            return text
    raise NotAllowed(decision)


async def erase_pupil(
    database: Database, requester: Requester, upn: str, reason: ErasureReason | str, clock: Clock = SystemClock()
) -> PupilRecord:
    """Erase the personal data of the pupil with this UPN (the Partnership Director), leaving an
    anonymous tombstone; audited with who, how (the command line and its operating-system user)
    and why. Raises `NotAllowed`, or `ErasureRefused` when no pupil has the UPN or their records
    must be kept (that refusal is audited too). Afterwards SQLite's write-ahead log is
    checkpointed, so the erased values are gone from the database files as well."""
    reason = ErasureReason(reason)  # a code word, never free text: refused before anything
    now = clock.now()
    async with database.session() as session:
        pupil = await get_pupil_by_upn(session, upn)
        if pupil is None:
            raise ErasureRefused("no pupil has that UPN")
        decision = await authorise(
            session, requester, Action.ERASE_PUPIL_DATA, pupil.target, record_type="pupil", record_id=str(pupil.id)
        )
        if decision.allowed:
            outcome = await _erase_audited(session, requester, pupil.id, reason, now)
    if not decision.allowed:
        raise NotAllowed(decision)
    if isinstance(outcome, ErasureRefused):
        raise outcome
    await database.checkpoint_wal()
    return outcome.pupil


async def _erase_audited(
    session: AsyncSession, requester: Requester, pupil_id: int, reason: ErasureReason, now: datetime
) -> Erased | ErasureRefused:
    """The erasure and its audit entry, in the caller's transaction; a pupil whose records must
    be kept is left as they are, and the refusal is audited (and returned, for the caller to
    raise after committing that entry)."""
    try:
        erased = await erase(session, pupil_id, now)
    except ErasureRefused as held:  # raised before anything changed
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.REFUSED,
            record_type="pupil",
            record_id=str(pupil_id),
            detail={"kind": Action.ERASE_PUPIL_DATA.value, "reason": "retention_hold", **requester.audit_detail},
        )
        return held
    if erased.changed:  # an erasure that raced this one did it already: not audited twice
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.ERASED,
            record_type="pupil",
            record_id=str(pupil_id),
            detail={"reason": reason.value, **requester.audit_detail},
        )
    return erased


async def _save_person(
    session: AsyncSession, requester: Requester, change: PersonChange, now: datetime
) -> tuple[PersonRecord, Outcome]:
    """Save a person in the caller's transaction and audit what changed (nothing for
    'unchanged'). The caller has asked the policy."""
    person, outcome = await writes.save_person(
        session,
        email=change.email,
        display_name=change.display_name,
        roles=change.roles,
        school_id=change.school_id,
        aad_object_id=change.aad_object_id,
        active=change.active,
    )
    if outcome != "unchanged":
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=_CHANGE_ACTIONS[outcome],
            record_type="person",
            record_id=str(person.id),
            detail={"roles": sorted(r.value for r in person.roles), **requester.audit_detail},
        )
    return person, outcome
