"""Headline findings computed by the notebooks, saved for the website's home page.

Each notebook records its own findings under its name and run; a re-run replaces them, so
the home page always shows numbers from the latest executed reports, never typed by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from skills_engine import disclosure, getters, paths
from skills_engine.regional.overview import REGION_ROW_KEYS


def record(notebook: str, run: str, items: list[dict], path: Path | None = None) -> Path:
    """Replace the findings of ``(notebook, run)`` with ``items`` (each ``text``, ``value``, ``source``).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "findings.json"
    >>> _ = record("01_x", "north-east", [{"text": "adverts", "value": 3, "source": "s"}], target)
    >>> _ = record("01_x", "north-east", [{"text": "adverts", "value": 4, "source": "s"}], target)
    >>> [f["value"] for f in json.loads(target.read_text())["findings"]]
    [4]
    """
    path = Path(path or paths.findings_file())
    existing = json.loads(path.read_text())["findings"] if path.is_file() else []
    for item in items:
        missing = {"text", "value", "source"} - set(item)
        if missing:
            raise ValueError(f"finding {item!r} lacks {sorted(missing)}")
    kept = [f for f in existing if (f.get("notebook"), f.get("run")) != (notebook, run)]
    stamped = [item | {"notebook": notebook, "run": run} for item in items]
    payload = {"updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "findings": kept + stamped}
    return getters.atomic_write_text(path, json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")


def record_regions(rows: list[dict], source: str, path: Path | None = None) -> Path:
    """Write the all-regions table for the website's Regions page (``reports/regions.json``).

    Each row carries exactly :data:`REGION_ROW_KEYS` (``None`` where a figure is suppressed or
    fails a publication rule); the file states both rules so the page can say why a cell is blank.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "regions.json"
    >>> row = dict.fromkeys(REGION_ROW_KEYS) | {"region": "Wales", "slug": "wales", "adverts": 1328}
    >>> payload = json.loads(record_regions([row], "reports/national/05_all_regions.ipynb", target).read_text())
    >>> payload["min_published_count"], payload["min_published_employers"], payload["regions"][0]["adverts"]
    (10, 5, 1328)
    """
    for row in rows:
        if set(row) != set(REGION_ROW_KEYS):
            raise ValueError(
                f"region row {row.get('region')!r}: missing {sorted(set(REGION_ROW_KEYS) - set(row))}, "
                f"unexpected {sorted(set(row) - set(REGION_ROW_KEYS))}"
            )
    payload = {
        "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
        "min_published_count": disclosure.MIN_PUBLISHED_COUNT,
        "min_published_employers": disclosure.MIN_PUBLISHED_EMPLOYERS,
        "regions": [{key: row[key] for key in REGION_ROW_KEYS} for row in rows],
    }
    path = Path(path or paths.regions_file())
    return getters.atomic_write_text(path, json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")


def record_evaluation(evaluation: dict, source: str, path: Path | None = None) -> Path:
    """Save the recommender's evaluation (:func:`skills_engine.recommender.evaluation.evaluation_json`) for the model card."""
    path = Path(path or paths.model_evaluation_file())
    payload = evaluation | {"source": source, "evaluated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return getters.atomic_write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def record_extraction(evaluation: dict, source: str, path: Path | None = None) -> Path:
    """Save the skill extractor's figures (benchmark rows, encoder, set-level operating point) for the model card.

    ``evaluation`` holds aggregates only: ``benchmark`` (rows ``file, method, n_sentences,
    rp@5, mrr``), ``encoder`` (the sidecar's training figures, or ``None``) and ``set_level``
    (the operating point and the curve on SkillSkape dev).
    """
    path = Path(path or paths.extraction_evaluation_file())
    payload = evaluation | {"source": source, "evaluated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return getters.atomic_write_text(path, json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
