"""The forum tests' partnership (tests/domain/forum), with the SENCO known to Teams; and for the
booking cards, the referral tests' partnership with everyone in Teams and the real app on a
manual clock (`casework`, from tests/dialogs/referrals), set to today."""

from __future__ import annotations

from tests.dialogs.referrals.partnership_world import casework  # noqa: F401  (the fixture)
from tests.domain.forum.conftest import world  # noqa: F401  (the fixtures)
from tests.domain.referrals.conftest import world as referral_world  # noqa: F401
