"""The alert benchmark runs end to end on small numbers: every concern reported over HTTP reaches
its DSL as an alert card, and every digest goes out (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.alerts import measure_alerts


async def test_every_concern_reported_reaches_its_dsl_while_the_digests_go_out(tmp_path: Path) -> None:
    figures = await measure_alerts(schools=20, concerns=4, reporters=2, folder=tmp_path, pause=0.0)
    assert (figures.concerns, figures.lost, figures.digests) == (4, 0, 40)
    assert len(figures.latencies_ms) == 4 and figures.p99_ms >= figures.p50_ms > 0
    assert figures.echo_p50_ms > 0
