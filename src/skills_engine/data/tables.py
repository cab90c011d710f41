"""The data step: fetch every source, then build the tidy tables, skipping work already done."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from pathlib import Path

from skills_engine import __version__, getters, paths
from skills_engine.data import adverts, reference, sourcing

log = logging.getLogger(__name__)

#: Tables the data step writes; if any is missing the step rebuilds.
PROCESSED_TABLES = (
    "adverts",
    "esco_skills",
    "esco_occupations",
    "esco_occupation_skills",
    "esco_skill_hierarchy",
    "isco_soc_crosswalk",
    "occupation_earnings",
    "indeed_regional",
    "indeed_national",
    "indeed_sector",
    "indeed_sector_titles",
)


def report_path() -> Path:
    return paths.sourcing_report()


def _inputs_digest(adzuna_path: Path | None, custom: str = "") -> str:
    """What the processed tables depend on: pinned checksums, package version, Adzuna file,
    and the fingerprint of the user's own adverts (``custom``), if any."""
    parts = [__version__] + [row["sha256"] for row in sourcing.data_log()] + ([custom] if custom else [])
    if adzuna_path is not None:
        stat = Path(adzuna_path).stat()
        parts.append(f"{Path(adzuna_path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def read_report() -> dict | None:
    path = report_path()
    return json.loads(path.read_text()) if path.is_file() else None


def build_data(
    adzuna_path: Path | None = None,
    force: bool = False,
    verify: bool = False,
    custom_adverts: Path | None = None,
    mapping: str | Path | None = None,
    adverts_only: bool = False,
) -> dict:
    """Fetch and verify every source, then build every processed table.

    With ``custom_adverts`` (a file or folder, read with ``mapping``; see
    :mod:`skills_engine.data.custom_adverts`) the user's adverts join the adverts table as
    their own source, or replace the pinned source of the same name; with ``adverts_only``
    they are the only adverts. Their columns are checked before anything is fetched.

    A second call with the same inputs does no work: it finds the report's input digest
    unchanged and every table present, and returns the stored report. With ``verify`` (and
    always with ``force``) every raw file already on disk is hashed again first, and a file
    that changed since it was verified stops the build with
    :class:`~skills_engine.data.sourcing.RawFileChangedError` naming it and both checksums.
    """
    if verify or force:
        changed = sourcing.verify_raw()
        if changed:
            raise sourcing.RawFileChangedError(changed)
    from skills_engine.data import custom_adverts as own

    # the user's mapping and columns are checked before anything is fetched or read
    checked = own.check_input(custom_adverts, mapping) if custom_adverts is not None else None
    digest = _inputs_digest(adzuna_path, own.fingerprint(custom_adverts, checked, adverts_only) if checked else "")
    previous = read_report()
    tables_present = all(getters.processed_path(name).is_file() for name in PROCESSED_TABLES)
    if not force and previous and previous.get("inputs_digest") == digest and tables_present:
        log.info("data is up to date (%s)", report_path())
        return previous | {"skipped": True}

    started = time.perf_counter()
    fetched = sourcing.fetch_all()
    fetch_seconds = time.perf_counter() - started
    table_rows = reference.build_taxonomy_tables()
    if checked is None:
        advert_table, advert_report = adverts.build_adverts(adzuna_path)
        paths.rejected_adverts().unlink(missing_ok=True)  # no stale list from an earlier --adverts build
    else:
        custom = own.read_custom_raw(custom_adverts, checked)
        advert_table, advert_report, result = own.build_adverts(custom, adzuna_path, adverts_only)
        own.write_rejected(result.rejected)
    adverts.write_adverts(advert_table)
    table_rows["adverts"] = len(advert_table)
    report = {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "inputs_digest": digest,
        "origin": "mirror" if paths.mirror_dir() else "download",
        "adzuna_file": Path(adzuna_path).name if adzuna_path else "pinned 2,499-row sample",  # no local path
        "datasets": fetched,
        "fetch_seconds": round(fetch_seconds, 2),
        "build_seconds": round(time.perf_counter() - started - fetch_seconds, 2),
        "tables": table_rows,
        "adverts": advert_report,
    }
    getters.atomic_write_json(report_path(), report)
    return report | {"skipped": False}
