"""The bot SIGKILLed 50 times at random moments while concerns are raised (on SQLite, then
PostgreSQL): after the last restart every alert has arrived, every ladder is at its top rung,
each rung was reached once, and any duplicate is counted (`kills.py` says how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.engine import Database
from tests.bot.safeguarding.kills import recording_connector, run
from tests.fixtures.bot_server import make_settings

KILLS = 50


async def test_fifty_kills_lose_no_alert_and_every_ladder_reaches_its_end(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, database_url=database.url)
    async with recording_connector() as connector:
        figures = await run(settings, connector, KILLS)
    with capsys.disabled():
        print(f"\n[kills, {database.url.split(':')[0]}] {figures.line()}")
    assert figures.kills == KILLS
    assert figures.concerns >= 10, "too few concerns were raised for the run to show anything"
    assert figures.alerts_delivered == figures.alerts_expected, "an alert was lost"
    assert figures.notices_sent == figures.notices, figures.unsettled
    assert figures.not_at_last_rung == 0 and figures.rungs_not_once == 0
    # At least once, never silently doubled: a message arrives twice only if its post was cut
    # off by a kill or got no answer (each recorded as an attempt), and its row says so.
    assert figures.duplicates <= figures.cut_off + figures.timeouts
    assert figures.unsaid == 0 and figures.alert_duplicates <= figures.duplicates
