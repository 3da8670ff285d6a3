"""Benchmarks of the LNCIP assistant; the standing one is `python -m bench.turns` (see bench/README.md)."""
