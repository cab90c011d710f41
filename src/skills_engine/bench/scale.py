"""How the cost of the corpus steps grows with the corpus, on each engine.

``bench_scale`` takes a base sample of real adverts with text, builds corpora of 1x, 4x and 16x
it and runs the corpus steps (boilerplate, title normalisation, skill extraction, training pairs,
counts by region, occupation or skill, source and employer) with each engine, each run in a
fresh process so its driver peak memory is its own. Replicas get new ids and a reference line of
their own ("Ref 3-17.": three words, too short to be boilerplate), so no replica's text, and no
replica's extraction, is a cache hit; the extraction results cache is bypassed (a fresh one per
run) and the regional cache is not used. Titles repeat across replicas, and both engines match
each distinct title once per batch. The skill extractor's ESCO embeddings are read from their
cache: they are the model, not the corpus.

The driver peak memory is the peak resident memory of the driver's Python process
(:func:`~skills_engine.bench.memory.peak_memory_mb`); on Spark the JVM and the executors' Python
workers are other processes.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import config, intervals
from skills_engine.bench.memory import peak_memory_mb

MULTIPLES = (1, 4, 16)
ENGINES = ("pandas", "spark")
COLUMNS = ["advert_id", "source", "title", "description", "employer", "region", "salary_annual_gbp"]
#: Outputs compared between the engines (sorted, floats to 1e-9) for ``identical``.
OUTPUTS = ("advert_skills", "advert_occupations", "training", "occupation_counts", "skill_counts", "cluster_totals")


def replicate(base: pd.DataFrame, multiple: int) -> pd.DataFrame:
    """``multiple`` copies of ``base``, each advert with a new id and its own reference line."""
    copies = [
        base.assign(
            advert_id=base["advert_id"] + f"~{k}",
            description=base["description"]
            + pd.Series([f"\nRef {k}-{i}." for i in range(len(base))], index=base.index),
        )
        for k in range(multiple)
    ]
    return pd.concat(copies, ignore_index=True)


def base_sample(n_adverts: int) -> pd.DataFrame:
    """``n_adverts`` real adverts with text (fixed seed), from the processed adverts table."""
    from skills_engine import getters

    adverts = getters.read_adverts(columns=COLUMNS)
    with_text = adverts.loc[adverts["description"].notna() & (adverts["description"].str.len() > 0)]
    return (
        with_text.sample(min(n_adverts, len(with_text)), random_state=config.RANDOM_STATE)
        .astype({c: object for c in COLUMNS if c != "salary_annual_gbp"})
        .reset_index(drop=True)
    )


def _counts(steps, adverts, occupations, skills) -> dict[str, pd.DataFrame]:
    from skills_engine.extraction.advert_skills import TITLE_DERIVED

    labelled = adverts.merge(
        occupations[["advert_id", "occupation_uri", "occupation_label", "confidence"]], on="advert_id"
    )
    labelled = labelled.loc[lambda d: d["confidence"] >= 0.6].dropna(subset=["occupation_uri"])
    from_text = skills.loc[lambda d: d["method"] != TITLE_DERIVED]
    text_adverts = adverts.loc[adverts["advert_id"].isin(from_text["advert_id"])]
    return {
        "occupation_counts": steps.item_region_counts(labelled, adverts, "occupation_uri", "occupation_label")[0],
        "skill_counts": steps.item_region_counts(from_text, text_adverts, "skill_uri", "skill_label")[0],
        "cluster_totals": steps.cluster_totals(adverts),
    }


def run_pandas(input_path: Path, output: Path) -> None:
    """The corpus steps on pandas, outputs written to ``output``."""
    from skills_engine.extraction import corpus_cache
    from skills_engine.scale import engines

    corpus_cache.cache_path = lambda extractor: output / "fresh-extraction-cache.parquet"  # bypass the cache
    steps = engines.corpus_steps("pandas")
    adverts = pd.read_parquet(input_path)
    occupations = steps.advert_occupations(adverts)
    texts, _ = steps.corpus_texts(adverts)
    skills = steps.build_advert_skills(adverts, occupations, texts=texts)
    tables = {"advert_occupations": occupations, "advert_skills": skills}
    tables["training"] = steps.build_training(skills, occupations)
    tables |= _counts(steps, adverts, occupations, skills)
    for name, frame in tables.items():
        frame.to_parquet(output / f"{name}.parquet", index=False)


def run_spark(input_path: Path, output: Path, master: str | None = None) -> None:
    """The corpus steps as the Spark job runs them (:func:`skills_engine.scale.job.run_corpus`):
    row-level tables written by the executors, never collected; only aggregates reach the driver."""
    from skills_engine.scale import job, session

    job.run_corpus(session.get_session(master), str(input_path), str(output))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("_")])
    columns = sorted(frame.columns)
    numeric = [c for c in columns if frame[c].dtype.kind in "fiu"]
    frame = frame[columns].assign(
        **{c: frame[c].astype(object).where(frame[c].notna(), None) for c in columns if c not in numeric}
    )
    frame = frame.astype({c: "float64" for c in numeric})
    return frame.sort_values(columns).reset_index(drop=True)


def same_outputs(left: Path, right: Path) -> bool:
    """Whether two runs wrote the same tables (sorted; floats within 1e-9)."""
    for name in OUTPUTS:
        a = pd.read_parquet(left / (name if (left / name).is_dir() else f"{name}.parquet"))
        b = pd.read_parquet(right / (name if (right / name).is_dir() else f"{name}.parquet"))
        try:
            pd.testing.assert_frame_equal(_sorted(a), _sorted(b), check_dtype=False, rtol=0, atol=1e-9)
        except AssertionError:
            return False
    return True


def _one_run(engine: str, input_path: Path, output: Path, master: str | None) -> dict:
    command = [sys.executable, "-m", "skills_engine.bench.scale", engine, str(input_path), str(output)]
    command += [master] if master else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_scale(base: int = 5000, multiples=MULTIPLES, engines=ENGINES, master: str | None = None) -> dict:
    """Seconds, adverts per second and driver peak memory per engine and corpus size.

    Returns
    -------
    dict
        ``runs`` (one dict per engine and multiple: ``engine, multiple, adverts, seconds,
        adverts_per_second, peak_memory_mb``), ``identical`` (every size's outputs equal across
        the engines), ``slope_seconds_per_1000_adverts`` and ``cost_ratio_16x`` (seconds at the
        largest multiple over seconds at 1x, per engine), ``base`` and ``master``.
    """
    from skills_engine.scale.session import master_url

    sample = base_sample(base)
    runs, identical = [], True
    with tempfile.TemporaryDirectory(prefix="skills-engine-scale-") as folder:
        folder = Path(folder)
        for multiple in multiples:
            corpus = replicate(sample, multiple)
            input_path = folder / f"adverts-{multiple}.parquet"
            corpus.to_parquet(input_path, index=False)
            outputs = {}
            for engine in engines:
                outputs[engine] = folder / f"{engine}-{multiple}"
                outputs[engine].mkdir()
                figures = _one_run(engine, input_path, outputs[engine], master)
                runs.append(
                    {
                        "engine": engine,
                        "multiple": multiple,
                        "adverts": len(corpus),
                        "seconds": round(figures["seconds"], 2),
                        "adverts_per_second": round(len(corpus) / figures["seconds"], 1),
                        "peak_memory_mb": figures["peak_memory_mb"],
                    }
                )
            if len(outputs) > 1:
                first, *others = outputs.values()
                identical = identical and all(same_outputs(first, other) for other in others)
    slopes, ratios = {}, {}
    for engine in engines:
        mine = [r for r in runs if r["engine"] == engine]
        x, y = np.array([r["adverts"] for r in mine], float), np.array([r["seconds"] for r in mine], float)
        slopes[engine] = round(float(np.polyfit(x, y, 1)[0]) * 1000, 3) if len(mine) > 1 else None
        ratios[engine] = round(mine[-1]["seconds"] / mine[0]["seconds"], 2)
    return {
        "runs": runs,
        "identical": identical if len(engines) > 1 else None,
        "slope_seconds_per_1000_adverts": slopes,
        "cost_ratio_largest_to_1x": ratios,
        "base": len(sample),
        "master": master_url(master),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
    }


def main(argv: list[str]) -> None:
    """One timed run in this process: ``ENGINE INPUT OUTPUT [MASTER]``; prints one JSON line."""
    engine, input_path, output = argv[0], Path(argv[1]), Path(argv[2])
    master = argv[3] if len(argv) > 3 else None
    if engine == "spark":
        from skills_engine.scale import session

        session.get_session(master)  # start-up (JVM) is not part of the corpus steps' cost
    started = time.perf_counter()
    (run_spark(input_path, output, master) if engine == "spark" else run_pandas(input_path, output))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_memory_mb": peak_memory_mb()}))


def figures_path() -> Path:
    """Where the last benchmark's figures are kept for the site (aggregates only)."""
    from skills_engine import paths

    return paths.reports_dir() / "scale_benchmark.json"


def write_figures(result: dict) -> Path:
    """Keep ``result`` as the figures the site shows (``reports/scale_benchmark.json``)."""
    from skills_engine import getters

    return getters.atomic_write_json(figures_path(), result)


def read_figures(path: Path | None = None) -> dict | None:
    """The figures of the last ``skills-engine bench scale`` (``None`` when it was never run).

    Without ``path``: the reports folder in use, else the project's own ``reports/`` (where the
    figures measured for this repository are committed), so a run into another reports folder
    still shows them.
    """
    from skills_engine import getters, paths

    candidates = [Path(path)] if path else [figures_path(), paths.PROJECT_ROOT / paths.REPORTS / figures_path().name]
    found = next((candidate for candidate in candidates if candidate.is_file()), None)
    return getters.read_json(found) if found else None


def runs_table(result: dict) -> pd.DataFrame:
    """One row per engine and corpus size, with the time per advert and the cost against 1x.

    >>> result = {"runs": [
    ...     {"engine": "pandas", "multiple": 1, "adverts": 10, "seconds": 2.0, "adverts_per_second": 5.0, "peak_memory_mb": 100},
    ...     {"engine": "pandas", "multiple": 4, "adverts": 40, "seconds": 7.0, "adverts_per_second": 5.7, "peak_memory_mb": 130}]}
    >>> runs_table(result)["cost_vs_1x"].tolist()
    [1.0, 3.5]
    """
    return (
        pd.DataFrame(result["runs"])
        .sort_values(["engine", "multiple"])
        .assign(
            cost_vs_1x=lambda t: t["seconds"] / t.groupby("engine")["seconds"].transform("first"),
            ms_per_advert=lambda t: 1000 * t["seconds"] / t["adverts"],
        )
        .reset_index(drop=True)
    )


#: Linear growth: the largest corpus (16x) may cost at most this many times the 1x time.
LINEAR_LIMIT = 18.0
#: Spark on ``local[2]`` should stay within this multiple of pandas' time at the largest size.
SPARK_TIME_LIMIT = 2.0


def targets(result: dict) -> pd.DataFrame:
    """The issue's targets, each with the measured figure and whether it is met.

    Linear cost per engine (largest size over 1x against ``LINEAR_LIMIT`` times the size ratio
    over 16), Spark's driver memory flat while pandas' grows, and Spark's time within
    ``SPARK_TIME_LIMIT`` of pandas' at the largest size.
    """
    table = runs_table(result)
    rows = []
    for engine, mine in table.groupby("engine", sort=True):
        size_ratio = mine["adverts"].iloc[-1] / mine["adverts"].iloc[0]
        limit = LINEAR_LIMIT * size_ratio / 16
        cost = mine["cost_vs_1x"].iloc[-1]
        rows.append(
            (
                f"{engine}: linear ({size_ratio:.0f}x the adverts cost ≤ {limit:.1f}x the time)",
                f"{cost:.1f}x",
                cost <= limit,
            )
        )
        growth = mine["peak_memory_mb"].iloc[-1] - mine["peak_memory_mb"].iloc[0]
        rows.append(
            (
                f"{engine}: driver peak memory from smallest to largest corpus",
                f"{intervals.format_signed(growth, '.0f')} MB",
                None,
            )
        )
    largest = table.loc[table["multiple"] == table["multiple"].max()].set_index("engine")["seconds"]
    if {"pandas", "spark"} <= set(largest.index):
        ratio = largest["spark"] / largest["pandas"]
        rows.append(
            (
                f"spark time within {SPARK_TIME_LIMIT:.0f}x of pandas at the largest size",
                f"{ratio:.2f}x",
                ratio <= SPARK_TIME_LIMIT,
            )
        )
    return pd.DataFrame(rows, columns=["target", "measured", "met"])


def plot_scale(result: dict, axes=None):
    """Seconds and driver peak memory against adverts, one line per engine (two panels)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    table = runs_table(result)
    for engine, mine in table.groupby("engine", sort=True):
        axes[0].plot(mine["adverts"], mine["seconds"], marker="o", label=engine)
        axes[1].plot(mine["adverts"], mine["peak_memory_mb"], marker="o", label=engine)
    axes[0].set(xlabel="adverts in the corpus", ylabel="seconds (corpus steps)", title="Time grows with the corpus")
    axes[1].set(xlabel="adverts in the corpus", ylabel="MB (driver peak resident)", title="Driver memory")
    # On log-log axes a linear cost is a line of slope 1, whatever its constant.
    axes[0].set_yscale("log")
    for ax in axes:
        ax.set_xscale("log")
        ax.legend(title="engine")
    return axes


if __name__ == "__main__":
    main(sys.argv[1:])
