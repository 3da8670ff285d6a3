"""The forum tests' partnership (tests/domain/forum), with the SENCO known to Teams."""

from __future__ import annotations

from tests.domain.forum.conftest import world  # noqa: F401  (the fixtures)
from tests.domain.referrals.conftest import world as referral_world  # noqa: F401
