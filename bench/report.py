"""Prints the benchmark's figures as compact aligned tables."""

from __future__ import annotations

from collections.abc import Sequence

from bench.figures import Results


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first columns of text, right-aligned numbers."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    left = {i for i, h in enumerate(headers) if h in ("target", "scenario")}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def _n(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def render(results: Results) -> str:
    m = results.machine
    packages = " ".join(f"{k}={v}" for k, v in m["packages"].items() if v)
    parts = [f"# {m['cpus']} cpus, Python {m['python']}, {packages}"]
    if results.levels:
        parts.append(
            table(
                (
                    "target",
                    "scenario",
                    "users",
                    "turns",
                    "err",
                    "turns/s",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "cpu ms/turn",
                    "load cpu ms/turn",
                    "rss MB",
                ),
                [
                    (
                        f.target,
                        f.scenario,
                        str(f.level),
                        str(f.turns),
                        str(f.errors),
                        _n(f.turns_per_s, 1),
                        _n(f.p50_ms),
                        _n(f.p95_ms),
                        _n(f.p99_ms),
                        _n(f.cpu_ms_per_turn),
                        _n(f.load_cpu_ms_per_turn),
                        _n(f.rss_mb, 1),
                    )
                    for f in results.levels
                ],
            )
        )
    dialogs = [f for f in results.levels if f.cpu_ms_per_step is not None or f.cpu_ms_per_opening is not None]
    if dialogs:
        parts.append(
            table(
                ("target", "scenario", "users", "steps", "cpu ms/turn", "cpu ms/opening", "cpu ms/step"),
                [
                    (
                        f.target,
                        f.scenario,
                        str(f.level),
                        str(f.measured),
                        _n(f.cpu_ms_per_turn),
                        _n(f.cpu_ms_per_opening),
                        _n(f.cpu_ms_per_step),
                    )
                    for f in dialogs
                ],
            )
        )
    ratios = results.ratios()
    if any(r.turns_per_s_vs_raw or r.turns_per_s_vs_echo for r in ratios):
        parts.append(
            table(
                ("target", "scenario", "users", "turns/s ÷raw", "turns/s ÷echo", "cpu ÷raw", "cpu ÷echo", "p50 ÷echo"),
                [
                    (
                        r.target,
                        r.scenario,
                        str(r.level),
                        _n(r.turns_per_s_vs_raw, 3),
                        _n(r.turns_per_s_vs_echo, 2),
                        _n(r.cpu_vs_raw, 1),
                        _n(r.cpu_vs_echo, 2),
                        _n(r.p50_vs_echo, 2),
                    )
                    for r in ratios
                ],
            )
        )
    if results.starts:
        parts.append(
            table(
                ("target", "start-up s", "rss MB at ready", "idle cpu ms/s"),
                [(s.target, _n(s.startup_s), _n(s.rss_mb, 1), _n(s.idle_cpu_ms_per_s)) for s in results.starts],
            )
        )
    if results.conversations:
        parts.append(
            table(
                (
                    "target",
                    "scenario",
                    "new convs",
                    "err",
                    "turns/s",
                    "cpu ms/turn",
                    "rss before MB",
                    "rss after MB",
                    "growth MB",
                    "KB/conv",
                ),
                [
                    (
                        c.target,
                        c.scenario,
                        str(c.conversations),
                        str(c.errors),
                        _n(c.turns_per_s, 1),
                        _n(c.cpu_ms_per_turn),
                        _n(c.rss_before_mb, 1),
                        _n(c.rss_after_mb, 1),
                        _n(c.growth_mb, 1),
                        _n(c.growth_kb_per_conversation, 2),
                    )
                    for c in results.conversations
                ],
            )
        )
    lines = [f"note: {n}" for n in results.notes] + [f"FAILED: {f}" for f in results.failures]
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
