"""The forum benchmark runs end to end on a small number of rounds: the agenda holds every case
in both views and every reminder is delivered once (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.forum import measure_forum


async def test_the_agenda_and_the_reminders_of_a_forum_with_twelve_cases(tmp_path: Path) -> None:
    figures = await measure_forum(12, 2, tmp_path)
    assert (figures.cases, figures.reminders, figures.lost, figures.duplicated) == (12, 12, 0, 0)
    assert figures.agenda_named_cpu_ms > 0 and figures.reminders_cpu_ms > 0
