"""Where a benchmark's time goes: `HEADEND_BENCH_PROFILE=1 make bench` (or one module,
`python -m bench.cpq`) profiles each block wrapped in `profiled(name)` with pyinstrument and writes
the call tree as text to var/profiles/<name>.txt; without the variable the block runs bare."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENABLED = os.environ.get("HEADEND_BENCH_PROFILE", "") not in ("", "0")


@contextmanager
def profiled(name: str) -> Iterator[None]:
    if not ENABLED:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        folder = ROOT / "var" / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"  profile: {path.relative_to(ROOT)}")
