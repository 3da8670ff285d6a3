"""Alternative providers: adding one, placing a pupil with it, and its API keys.

A key is `lncip_<key id>_<secret>`. Only the sha256 of the secret is stored, with the key id
to find it by; the whole key is returned once, when issued, and cannot be shown again. A
presented key is checked by comparing hashes in constant time (`hmac.compare_digest`), and a
revoked key, or one for an inactive provider, is refused. Issue and revoke are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.attendance import AttendanceProvider, ProviderApiKey, ProviderPlacement
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.attendance.queries import ProviderRecord, provider_record
from domain.audit import AuditAction, record_audit
from domain.requester import Requester, authorise

KEY_PREFIX = "lncip"
_PROVIDERS = Target(RecordKind.PROVIDER)


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    provider_id: int
    secret: str  # the whole key, shown once


class ProviderError(LookupError):
    """No such provider or key."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _allowed(session: AsyncSession, requester: Requester, record_id: str, now: datetime) -> None:
    decision = await authorise(
        session, requester, Action.MANAGE_PROVIDERS, _PROVIDERS, record_type="provider", record_id=record_id
    )
    if not decision.allowed:
        raise NotAllowed(decision)


async def add_provider(
    database: Database,
    requester: Requester,
    name: str,
    *,
    registered_school: bool = False,
    clock: Clock = SystemClock(),
) -> ProviderRecord:
    """Add a provider, or return the one of that name as it is."""
    now = clock.now()
    clean = " ".join(name.split())
    if not 0 < len(clean) <= 200:
        raise ValueError("a provider's name is 1 to 200 characters")
    async with database.session() as session:
        existing = await session.scalar(select(AttendanceProvider).where(AttendanceProvider.name == clean))
        if existing is not None:
            return provider_record(existing)
        await _allowed(session, requester, "new", now)
        row = AttendanceProvider(name=clean, registered_school=registered_school, active=True, created_at=now)
        session.add(row)
        await session.flush()
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CREATED,
            record_type="provider",
            record_id=str(row.id),
            detail={"kind": "provider", **requester.audit_detail},
        )
        return provider_record(row)


async def place_pupil(
    database: Database, requester: Requester, provider_id: int, pupil_id: int, clock: Clock = SystemClock()
) -> bool:
    """Place a pupil with a provider (its files may then report them); False if already placed."""
    now = clock.now()
    async with database.session() as session:
        await _allowed(session, requester, str(provider_id), now)
        placed = await session.get(ProviderPlacement, (provider_id, pupil_id)) is None
        if placed:
            session.add(ProviderPlacement(provider_id=provider_id, pupil_id=pupil_id))
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.CHANGED,
                record_type="provider",
                record_id=str(provider_id),
                detail={"kind": "placement", "pupil_id": pupil_id, **requester.audit_detail},
            )
        return placed


async def issue_key(
    database: Database, requester: Requester, provider_id: int, clock: Clock = SystemClock()
) -> IssuedKey:
    """A new key for the provider; the returned `secret` is the only time it is shown."""
    now = clock.now()
    async with database.session() as session:
        await _allowed(session, requester, str(provider_id), now)
        if await session.get(AttendanceProvider, provider_id) is None:
            raise ProviderError(f"there is no provider {provider_id}")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        session.add(
            ProviderApiKey(
                provider_id=provider_id,
                key_id=key_id,
                secret_hash=_hash(secret),
                issued_at=now,
                issued_by=requester.person_id,
            )
        )
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CREATED,
            record_type="provider",
            record_id=str(provider_id),
            detail={"kind": "api_key", **requester.audit_detail},
        )
        return IssuedKey(key_id, provider_id, f"{KEY_PREFIX}_{key_id}_{secret}")


async def revoke_key(database: Database, requester: Requester, key_id: str, clock: Clock = SystemClock()) -> bool:
    """Revoke a key by its id (the part after `lncip_`); False if it was already revoked."""
    now = clock.now()
    async with database.session() as session:
        row = await session.scalar(select(ProviderApiKey).where(ProviderApiKey.key_id == key_id))
        if row is None:
            raise ProviderError("there is no such key")
        await _allowed(session, requester, str(row.provider_id), now)
        if row.revoked_at is not None:
            return False
        row.revoked_at = now
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CHANGED,
            record_type="provider",
            record_id=str(row.provider_id),
            detail={"kind": "api_key", "status": "revoked", **requester.audit_detail},
        )
        return True


async def verify_key(database: Database, presented: str) -> int | None:
    """The provider id a presented key belongs to, or None (unknown, wrong, revoked, inactive)."""
    prefix, _, rest = presented.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret:
        return None
    async with database.session() as session:
        row = await session.scalar(select(ProviderApiKey).where(ProviderApiKey.key_id == key_id))
        # Compared even for an unknown key id, so the answer takes as long either way.
        stored = row.secret_hash if row is not None else _hash("")
        matches = hmac.compare_digest(stored, _hash(secret))
        if row is None or not matches or row.revoked_at is not None:
            return None
        provider = await session.get(AttendanceProvider, row.provider_id)
        return row.provider_id if provider is not None and provider.active else None
