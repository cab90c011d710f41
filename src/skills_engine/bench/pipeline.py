"""Benchmark of the whole pipeline: seconds per notebook for `run --all-regions`, then the site."""

from __future__ import annotations

import time
from pathlib import Path

from skills_engine.bench.memory import peak_memory_mb


def bench_pipeline(params_file: Path | None = None) -> dict:
    """Seconds per notebook and in total for ``run --all-regions`` plus ``site``.

    Notebook 04 runs once per region; its line gives the total over regions and the mean.
    """
    from skills_engine import paths, runner
    from skills_engine.publish import render

    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    started_all = time.perf_counter()
    for plan in runner.plan_all_regions(params_file):
        for notebook in plan.notebooks:
            single = runner.RunPlan(plan.run_name, plan.parameters, (notebook,), plan.output_dir)
            started = time.perf_counter()
            runner.execute(single)
            timings[notebook.stem] = timings.get(notebook.stem, 0.0) + time.perf_counter() - started
            counts[notebook.stem] = counts.get(notebook.stem, 0) + 1
    started = time.perf_counter()
    render.build_site(paths.PROJECT_ROOT)
    site_seconds = time.perf_counter() - started
    figures = {f"{stem}_seconds": round(seconds, 1) for stem, seconds in timings.items()}
    figures |= {f"{stem}_runs": n for stem, n in counts.items() if n > 1}
    figures |= {
        "site_seconds": round(site_seconds, 1),
        "total_seconds": round(time.perf_counter() - started_all, 1),
        "peak_memory_mb": peak_memory_mb(),
    }
    return figures
