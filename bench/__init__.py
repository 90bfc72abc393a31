"""Benchmarks: `make bench` prints each figure beside a bare baseline measured in the same run.

HEADEND_BENCH_SMALL=1 (CI) runs the large inputs at a tenth of their size: it proves every benchmark
still runs, quickly; the figures an issue's goal is judged by come from a full `make bench`.
"""

import os

SMALL = os.environ.get("HEADEND_BENCH_SMALL", "") not in ("", "0")


def size(full: int) -> int:
    """The number of rows or lines a benchmark uses: the full figure, or a tenth of it in a small run."""
    return max(1, full // 10) if SMALL else full


def goal(met: bool) -> str:
    """How a goal reads: met or missed at full size; a small run does not judge it."""
    if SMALL:
        return "not judged (small run)"
    return "met" if met else "missed"
