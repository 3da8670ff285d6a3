"""The digest benchmark runs end to end on small numbers: every digest delivered once, through
the stand-in that enforces Teams' limits (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.digests import measure_digests


async def test_a_days_digests_reach_every_recipient_once(tmp_path: Path) -> None:
    figures = await measure_digests(60, tmp_path)
    assert (figures.messages, figures.lost, figures.duplicated) == (120, 0, 0)
    assert figures.bound_seconds == 2.0 and figures.seconds > 0
