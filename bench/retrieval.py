"""Retrieval latency: p50/p99 per question over the eval questions, repeated to about 5,000 queries.

    python bench/retrieval.py [--queries 5000]

"cold" clears the analyser's caches before every query (a question never seen before: text-speak,
rules, typo correction, BM25); "warm" is a repeated question. `reply` adds scope detection and the
policy on top of the search.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from knowledge import KnowledgeBase  # noqa: E402 - after the path set-up above

SHARED_DIR = Path(os.environ.get("LNCIP_SHARED_DIR", REPO_ROOT.parent / "shared"))
EVAL_FILES = (SHARED_DIR / "eval" / "qa_public.yaml", REPO_ROOT / "tests" / "knowledge" / "qa_extra.yaml")


def questions() -> list[str]:
    found: list[str] = []
    for path in EVAL_FILES:
        if path.exists():
            found += [item["question"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    if not found:
        raise SystemExit("no eval questions found")
    return found


def percentiles(
    run: Callable[[str], object], asked: list[str], total: int, before: Callable[[], None]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(p50, p99) in ms of wall time and of this thread's CPU time (which other load on the machine
    does not inflate)."""
    wall: list[float] = []
    cpu: list[float] = []
    while len(wall) < total:
        for question in asked:
            before()
            start, start_cpu = time.perf_counter(), time.thread_time()
            run(question)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    return _p50_p99(wall), _p50_p99(cpu)


def _p50_p99(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return timings[len(timings) // 2] * 1e3, timings[int(len(timings) * 0.99)] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=5000)
    args = parser.parse_args()
    start = time.perf_counter()
    kb = KnowledgeBase.load()
    print(f"load: {(time.perf_counter() - start) * 1e3:.0f} ms, {len(kb.entries)} entries")
    asked = questions()

    def clear() -> None:
        kb.analyzer.analyse.cache_clear()
        kb.analyzer.correct.cache_clear()

    for name, run, before in (
        ("search, cold", kb.search, clear),
        ("search, warm", kb.search, lambda: None),
        ("reply, cold", kb.reply, clear),
    ):
        (p50, p99), (cpu50, cpu99) = percentiles(run, asked, args.queries, before)
        print(
            f"{name:13} wall p50 {p50:.3f} ms  p99 {p99:.3f} ms | cpu p50 {cpu50:.3f} ms  p99 {cpu99:.3f} ms"
            f"  ({args.queries} queries, {len(asked)} questions)"
        )


if __name__ == "__main__":
    main()
