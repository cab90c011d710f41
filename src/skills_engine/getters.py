"""Every read and write of data goes through here (notebooks never call ``pd.read_*``).

Raw readers return the source as published (fetched and verified on first use); processed
readers return the tidy parquet tables under ``data/processed``; curated readers return the
hand-written tables shipped in ``skills_engine/resources`` (see its README.md). Writes are
atomic: a temporary file beside the target, then a rename, so a crash never leaves half a table.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from skills_engine import paths
from skills_engine.atomic import atomic_path
from skills_engine.data import sourcing

# --- atomic writes --------------------------------------------------------------------


def atomic_write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` as parquet, atomically."""
    with atomic_path(path) as part:
        frame.to_parquet(part, index=False)
    return Path(path)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write text atomically (JSON findings, YAML, HTML)."""
    with atomic_path(path) as part:
        part.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_json(path: Path, payload: object) -> Path:
    return atomic_write_text(path, json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")


def read_json(path: Path) -> object:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# --- processed tables -------------------------------------------------------------------


def processed_path(name: str) -> Path:
    return paths.processed_table(name)


def write_processed(frame: pd.DataFrame, name: str) -> Path:
    return atomic_write_parquet(frame, processed_path(name))


def read_processed(name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a processed table, with a message saying how to build it when it is missing."""
    path = processed_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: build it with `skills-engine data` (or `make run`)")
    return pd.read_parquet(path, columns=columns)


def read_adverts(columns: list[str] | None = None) -> pd.DataFrame:
    """The tidy adverts table (``data/processed/adverts.parquet``)."""
    return read_processed("adverts", columns)


# --- raw sources --------------------------------------------------------------------------


def raw_file(dataset: str, key: str) -> Path:
    """Local verified path of one catalogued file, fetched on first use."""
    return sourcing.fetch_file(sourcing.dataset(dataset).file(key))


def _read_zip_csv(zip_path: Path, member: str) -> pd.DataFrame:
    with zipfile.ZipFile(zip_path) as archive, archive.open(member) as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def read_esco_raw(member: str) -> pd.DataFrame:
    """A CSV from the ESCO v1.1.1 zips, e.g. ``skills_en.csv`` or ``occupationSkillRelations.csv``."""
    for key in ("classification_zip", "relations_zip"):
        path = raw_file("esco", key)
        with zipfile.ZipFile(path) as archive:
            if member in archive.namelist():
                return _read_zip_csv(path, member)
    raise KeyError(f"no member {member!r} in the ESCO zips")


def read_reed_raw() -> pd.DataFrame:
    return pd.read_csv(raw_file("reed", "adverts_csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_adzuna_raw(path: Path | None = None) -> pd.DataFrame:
    """Adzuna's Train_rev1.csv: the 2,499-row mirror copy, or the full Kaggle file by path."""
    source = Path(path) if path else raw_file("adzuna", "adverts_csv")
    if not source.is_file():
        raise FileNotFoundError(f"Adzuna file not found: {source}")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    expected = {"Id", "Title", "FullDescription", "LocationRaw", "LocationNormalized", "SalaryRaw", "SalaryNormalized"}
    missing = expected - set(frame.columns)
    if missing:
        raise ValueError(f"{source}: not an Adzuna Train_rev1 file, missing columns {sorted(missing)}")
    return frame


# --- your own adverts (``skills-engine data --adverts``) --------------------------------------

#: File name endings read as each format; anything else in a folder is ignored, and a single
#: file with another ending is refused.
ADVERT_FILE_FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".jsonl.gz": "jsonl",
}


def advert_file_format(path: Path) -> str | None:
    """``csv``, ``parquet`` or ``jsonl`` from the file name, or ``None``."""
    name = Path(path).name.lower()
    return next((kind for ending, kind in ADVERT_FILE_FORMATS.items() if name.endswith(ending)), None)


def read_advert_file(
    path: Path, *, delimiter: str | None = None, encoding: str = "utf-8-sig", header_only: bool = False
) -> pd.DataFrame:
    """One file of the user's adverts: every column as it is, plus ``_row`` (1 = the first advert).

    CSV cells are text (empty is ``""``); Parquet and JSON Lines keep their types. ``_row`` is
    the record number after the header for CSV and Parquet and the line number for JSON Lines.
    With ``header_only`` no rows are read (JSON Lines must still be read whole for its keys).
    An empty, binary or malformed file raises ``ValueError`` naming the file (and the line).
    """
    path = Path(path)
    kind = advert_file_format(path)
    if kind is None:
        raise ValueError(f"{path}: not a CSV, Parquet or JSON Lines file (name ends in {sorted(ADVERT_FILE_FORMATS)})")
    if not path.is_file():
        raise FileNotFoundError(f"adverts file not found: {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    compressed = path.name.lower().endswith(".gz")
    if kind == "parquet" and not head.startswith(b"PAR1"):
        raise ValueError(f"{path}: not a Parquet file (it does not start with the Parquet magic bytes)")
    if kind != "parquet" and not compressed and b"\x00" in head:
        raise ValueError(f"{path}: looks binary (NUL bytes), not {kind.upper()} text")
    try:
        if kind == "csv":
            sep = delimiter or ("\t" if path.name.lower().endswith(".tsv") else ",")
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, sep=sep, encoding=encoding, nrows=0 if header_only else None
            )
        elif kind == "parquet":
            import pyarrow.parquet as pq

            if header_only:
                frame = pd.DataFrame(columns=pq.read_schema(path).names)
            else:
                frame = pd.read_parquet(path)
        else:
            return _read_json_lines(path, encoding)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: no header row (the file holds only blank lines)") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path}: malformed CSV ({error})") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not {encoding} text (byte {error.start}); set `encoding` in the mapping") from None
    except (OSError, ValueError) as error:  # pyarrow raises ArrowInvalid (a ValueError) or an OSError
        raise ValueError(f"{path}: could not be read as {kind} ({error})") from None
    return frame.assign(_row=range(1, len(frame) + 1))


def _read_json_lines(path: Path, encoding: str) -> pd.DataFrame:
    """JSON Lines, one object per line (blank lines skipped); an error names the line."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    records, rows = [], []
    with opener(path, "rt", encoding=encoding) as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path} line {number}: not valid JSON ({error.msg})") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{path} line {number}: a JSON object expected, got {type(record).__name__}")
                records.append(record)
                rows.append(number)
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not {encoding} text (byte {error.start})") from None
    if not records:
        raise ValueError(f"{path}: no JSON objects (only blank lines)")
    return pd.DataFrame.from_records(records).assign(_row=rows)


def read_location_tree() -> pd.DataFrame:
    """Adzuna's location tree, one row per location with its path split into levels."""
    lines = raw_file("adzuna", "location_tree_csv").read_text(encoding="utf-8").splitlines()
    paths = [line.strip().strip('"').split("~") for line in lines if line.strip()]
    return pd.DataFrame({"path": paths}).assign(
        country=lambda d: d["path"].str[0],
        region_raw=lambda d: d["path"].str[1],
        leaf=lambda d: d["path"].str[-1],
        depth=lambda d: d["path"].str.len(),
    )


def read_postcode_districts() -> pd.DataFrame:
    return pd.read_csv(raw_file("postcodes", "districts_csv"), dtype=str, keep_default_na=False)


def nhs_folder() -> Path:
    return sourcing.fetch_folder(sourcing.dataset("nhs_jobs"))


def iter_nhs_postings(limit: int | None = None) -> Iterator[tuple[str, dict]]:
    """Yield ``(file name, JobPosting dict)`` for every NHS Jobs advert, in manifest order.

    A file that is not valid JSON raises ``ValueError`` naming the file.
    """
    folder = nhs_folder()
    manifest = sourcing.dataset("nhs_jobs").folder.manifest
    for name, _, _ in manifest[:limit] if limit else manifest:
        path = folder / name
        try:
            yield name, json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from error


def read_indeed_raw(key: str) -> pd.DataFrame:
    """One Indeed Hiring Lab CSV: ``regional_csv``, ``national_csv``, ``sector_csv``, ``city_csv``, ``sector_titles_csv``."""
    return pd.read_csv(raw_file("indeed", key))


def read_career_causeways_occupations() -> pd.DataFrame:
    return pd.read_csv(raw_file("career_causeways", "occupations_csv"))


def read_isco_soc_crosswalk_raw() -> pd.DataFrame:
    """The ISCO-08 to SOC 2010 sheet; the header sits on the sheet's seventh row."""
    return pd.read_excel(
        raw_file("career_causeways", "isco_soc_xls"), sheet_name="ISCO-08 to 2010 SOC", header=6, dtype=str
    )


def read_skill_benchmark(key: str) -> pd.DataFrame:
    """A skill-extraction benchmark file: ``tech_test_csv``, ``tech_validation_csv``, ``house_validation_csv``."""
    return pd.read_csv(raw_file("skill_benchmark", key), dtype=str, keep_default_na=False)


def read_skillspan(key: str = "dev_json") -> list[dict]:
    """SkillSpan records (one JSON object per line)."""
    text = raw_file("skillspan", key).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def read_skillskape(key: str = "dev_csv") -> pd.DataFrame:
    """SkillSkape sentences (``train_csv`` or ``dev_csv``): ``sentence`` and ``skills`` (list of ESCO
    preferred labels; the source's ``UNK``, "no ESCO skill", becomes an empty list)."""
    import ast

    frame = pd.read_csv(raw_file("skillskape", key), dtype=str, keep_default_na=False)
    return frame.assign(
        skills=lambda d: d["skills"].map(lambda v: [s for s in ast.literal_eval(v) if s != "UNK"] if v else [])
    )[["sentence", "skills"]]


# --- taxonomy tables (processed) ----------------------------------------------------------


def read_esco_skills() -> pd.DataFrame:
    """ESCO skills: ``skill_uri, preferred_label, alt_labels (list), skill_type, reuse_level, description``."""
    return read_processed("esco_skills")


def read_esco_occupations() -> pd.DataFrame:
    """ESCO occupations: ``occupation_uri, preferred_label, alt_labels (list), isco_code, description``."""
    return read_processed("esco_occupations")


def read_occupation_skills() -> pd.DataFrame:
    """ESCO occupation-skill relations: ``occupation_uri, skill_uri, relation_type, skill_type``."""
    return read_processed("esco_occupation_skills")


# --- curated tables (shipped with the package) ----------------------------------------------

#: The package folder of the curated tables and their README.
RESOURCES = "resources"


def resource_file(name: str) -> Traversable:
    """A file in ``skills_engine/resources`` (works from a wheel as well as a checkout)."""
    return resources.files("skills_engine") / RESOURCES / name


@cache
def _resource_csv(name: str) -> pd.DataFrame:
    with resource_file(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def read_resource_csv(name: str) -> pd.DataFrame:
    """A curated CSV as text columns (empty cells are ``""``, codes keep leading zeros); a fresh copy."""
    return _resource_csv(name).copy()


def read_title_synonyms() -> dict[str, str]:
    """UK title term (in ``title_cleaning._key`` form) -> ESCO preferred label, in file order (``uk_title_synonyms.csv``)."""
    table = _resource_csv("uk_title_synonyms.csv")
    return dict(zip(table["uk_title"], table["esco_title"]))


def read_uk_places() -> frozenset[str]:
    """Lower-case UK city and town names stripped from titles when no gazetteer is fitted (``uk_places.csv``)."""
    return frozenset(_resource_csv("uk_places.csv")["place"])


def read_place_aliases() -> dict[str, str]:
    """Region, county and country names (normalised) -> ITL1 region, in file order (``place_aliases.csv``).

    The twelve region names themselves are not in the file: :mod:`skills_engine.data.places`
    adds them from :data:`skills_engine.config.REGIONS`.
    """
    table = _resource_csv("place_aliases.csv")
    return dict(zip(table["place"], table["region"]))


def read_not_a_region() -> frozenset[str]:
    """Place names that are real but outside the twelve regions or too broad (``not_a_region.csv``; includes "")."""
    return frozenset(_resource_csv("not_a_region.csv")["place"])


def read_isco_sectors() -> dict[str, str | None]:
    """ISCO-08 code prefix -> Indeed Hiring Lab sector, ``None`` where no sector fits (``isco_indeed_sectors.csv``)."""
    table = _resource_csv("isco_indeed_sectors.csv")
    return {code: sector or None for code, sector in zip(table["isco_prefix"], table["indeed_sector"])}


def read_title_labels() -> pd.DataFrame:
    """The 200 hand-labelled advert titles (``resources/title_labels.csv``; its .md says how they were labelled)."""
    return read_resource_csv("title_labels.csv")


def read_published_extraction_results() -> pd.DataFrame:
    """Published scores on the ESCO skill-extraction benchmark, with their citations.

    Columns ``method``, ``year`` (int), ``dataset``, ``benchmark_file`` (the key of
    :func:`read_skill_benchmark`), ``rp_at_5`` (percent) and ``mrr`` (0-1), both float and NaN
    where the paper gives none, ``citation`` and ``url``.
    """
    table = read_resource_csv("published_extraction_results.csv")
    numbers = {
        column: pd.to_numeric(table[column].where(table[column] != "")).astype(float) for column in ("rp_at_5", "mrr")
    }
    return table.assign(year=table["year"].astype(int), **numbers)


def read_resource_descriptions() -> dict[str, str]:
    """File name -> its paragraph in ``resources/README.md`` (the ``## `name` `` sections)."""
    text = resource_file("README.md").read_text(encoding="utf-8")
    sections = re.split(r"^## `([^`]+)`\s*$", text, flags=re.MULTILINE)
    return {name: " ".join(body.split()) for name, body in zip(sections[1::2], sections[2::2])}


def curated_tables() -> list[dict]:
    """Every curated CSV in ``resources``: ``file``, ``rows`` and ``description`` (from the README)."""
    descriptions = read_resource_descriptions()
    names = sorted(
        p.name for p in resources.files("skills_engine").joinpath(RESOURCES).iterdir() if p.name.endswith(".csv")
    )
    return [
        {"file": name, "rows": len(_resource_csv(name)), "description": descriptions.get(name, "")} for name in names
    ]
