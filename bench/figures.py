"""The benchmark's results as plain data: what `bench.report` prints and `--json` writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StartFigures:
    target: str
    startup_s: float  # process start -> first successful readiness answer
    rss_mb: float | None  # when first ready
    # CPU while nobody talks to it (its timers: the notifier's poll), over the idle phase.
    idle_cpu_ms_per_s: float | None = None


@dataclass
class LevelFigures:
    target: str
    scenario: str
    level: int  # concurrent virtual users, each in its own conversation
    turns: int  # turns that got their reply (dialog: openings included)
    measured: int  # turns in the latency figures (dialog: steps only)
    errors: int
    seconds: float
    turns_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    cpu_ms_per_turn: float | None  # the target's utime + stime over the phase / turns
    load_cpu_ms_per_turn: float | None  # the benchmark process's own CPU, for reading the raw figures
    rss_mb: float | None  # after the phase
    first_error: str | None = None
    # Dialogs only: CPU of an opening alone, and of a step alone (the phase's CPU less its openings').
    cpu_ms_per_opening: float | None = None
    cpu_ms_per_step: float | None = None


@dataclass
class ConversationFigures:
    target: str
    scenario: str
    conversations: int  # new conversations that got their reply (one turn each)
    errors: int
    seconds: float
    turns_per_s: float
    cpu_ms_per_turn: float | None
    rss_before_mb: float | None
    rss_after_mb: float | None

    @property
    def growth_mb(self) -> float | None:
        if self.rss_before_mb is None or self.rss_after_mb is None:
            return None
        return self.rss_after_mb - self.rss_before_mb

    @property
    def growth_kb_per_conversation(self) -> float | None:
        growth = self.growth_mb
        return growth * 1024 / self.conversations if growth is not None and self.conversations else None


@dataclass
class Ratios:
    """A bot row against the baselines at the same level (None where a figure is missing)."""

    target: str
    scenario: str
    level: int
    turns_per_s_vs_raw: float | None
    turns_per_s_vs_echo: float | None
    cpu_vs_raw: float | None
    cpu_vs_echo: float | None
    p50_vs_echo: float | None


@dataclass
class Results:
    machine: dict[str, Any]
    options: dict[str, Any]
    starts: list[StartFigures] = field(default_factory=list)
    levels: list[LevelFigures] = field(default_factory=list)
    conversations: list[ConversationFigures] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a scenario not available yet
    failures: list[str] = field(default_factory=list)  # a target that did not start or died

    def ratios(self) -> list[Ratios]:
        baseline = {(f.target, f.level): f for f in self.levels if f.target in ("raw", "echo")}
        rows = []
        for f in self.levels:
            if f.target in ("raw", "echo"):
                continue
            raw, echo = baseline.get(("raw", f.level)), baseline.get(("echo", f.level))
            rows.append(
                Ratios(
                    f.target,
                    f.scenario,
                    f.level,
                    _ratio(f, raw, "turns_per_s"),
                    _ratio(f, echo, "turns_per_s"),
                    _ratio(f, raw, "cpu_ms_per_turn"),
                    _ratio(f, echo, "cpu_ms_per_turn"),
                    _ratio(f, echo, "p50_ms"),
                )
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        conversations = [
            {**asdict(c), "growth_mb": c.growth_mb, "growth_kb_per_conversation": c.growth_kb_per_conversation}
            for c in self.conversations
        ]
        return {
            "machine": self.machine,
            "options": self.options,
            "starts": [asdict(s) for s in self.starts],
            "levels": [asdict(f) for f in self.levels],
            "ratios": [asdict(r) for r in self.ratios()],
            "conversations": conversations,
            "notes": self.notes,
            "failures": self.failures,
        }


def _ratio(row: LevelFigures, base: LevelFigures | None, figure: str) -> float | None:
    value, base_value = getattr(row, figure), getattr(base, figure, None)
    return float(value / base_value) if value is not None and base_value else None
