"""Scenario 6: a proactive message (the notifier) reaching a chat in the Playground."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.acceptance


@pytest.mark.skip(
    reason="nothing in the UI queues a notice (domain.notifier.queue_notice) yet, and the bot "
    "gets no test-only endpoint for it; add this scenario with the first feature that notifies"
)
def test_proactive_message_reaches_the_personal_chat() -> None:
    raise AssertionError("not written yet")
