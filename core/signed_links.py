"""Links that prove who they were made for: an HMAC-SHA256 over the link's fields and its
expiry, with a secret only the bot holds. Used for the forum agenda's page for the shared
screen (`bot/agenda_page.py`): the link names the person, the meeting and the view, and the
page is served only while the signature holds, the link has not expired and the policy still
lets that person see it.

The secret is `AGENDA_PAGE_SECRET` (at least 32 characters); when it is not set and the bot is
in local mode, one is made on first start in `DATA_DIR/agenda_page_secret` (readable by its
owner only; `data/` is never committed). Outside local mode without the setting there is no
secret, and no page: several instances must share one secret, so none of them makes its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from datetime import datetime

from core.settings import Settings

SECRET_FILE = "agenda_page_secret"
_SEPARATOR = "\x1f"  # no field holds it: fields are ids and words


class SignedLinks:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("a link secret needs at least 32 bytes")
        self._secret = secret

    def signature(self, fields: Sequence[str], expires: int) -> str:
        message = _SEPARATOR.join([*fields, str(expires)]).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def valid(self, fields: Sequence[str], expires: int, signature: str, now: datetime) -> bool:
        """The signature is ours for these fields and expiry, and the expiry is still to come."""
        expected = self.signature(fields, expires)
        return hmac.compare_digest(expected, signature) and now.timestamp() < expires


def link_secret(settings: Settings) -> bytes | None:
    """The configured secret; in local mode, the one in the data folder (made on first call)."""
    if settings.agenda_page_secret:
        return settings.agenda_page_secret.encode()
    if not settings.local_mode:
        return None
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_hex(32))
    secret = path.read_text(encoding="ascii").strip()
    return secret.encode() if len(secret) >= 32 else None


def signed_links(settings: Settings) -> SignedLinks | None:
    secret = link_secret(settings)
    return SignedLinks(secret) if secret is not None else None
