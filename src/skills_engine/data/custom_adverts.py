"""Bring your own adverts: CSV, Parquet or JSON Lines files mapped onto the adverts schema.

A mapping (:mod:`skills_engine.data.advert_mapping`) names the source and says which column of
the files holds each advert field.
:func:`read_custom_raw` turns the files into rows of the same shape as the pinned sources'
``normalise_*`` functions; :func:`process_custom` then runs them through the same code as the
pinned sources: :func:`~skills_engine.data.adverts.map_regions`,
:func:`~skills_engine.data.adverts.add_salaries`, the duplicate rule,
:func:`~skills_engine.data.adverts.finalise` and the pandera schema.

How they combine with the pinned sources (:func:`build_adverts`): the adverts are a source of
their own, named by the mapping's ``source``. A name that is a pinned source (``nhs_jobs``,
``reed``, ``adzuna``) replaces that source: the full Kaggle Adzuna file read with the shipped
``adzuna_train_rev1`` mapping replaces the 2,499-row sample. Any other name is added beside the
three. ``adverts_only`` drops the pinned adverts altogether.

Nothing is dropped silently. A row that cannot be an advert is rejected with a reason (no title
or description, a number or date that is not one, a duplicate id, a re-post under the duplicate
rule, a schema check it fails), counted by reason in the data build report and listed by file and
row in ``data/interim/rejected_adverts.csv``. A problem with the input itself stops at once with
an error naming the file: a mapping naming a column a file lacks (before any row is read), an
empty, binary or malformed file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from skills_engine import getters
from skills_engine.data import adverts, schema
from skills_engine.data.advert_mapping import ID_PREFIX, CustomAdvertsError, Mapping, load_mapping
from skills_engine.data.places import RegionLookups
from skills_engine.data.salary_patterns import HINTS
from skills_engine.data.text import html_to_text

#: Why a row was rejected (besides "<field> not a number" and "failed schema check: ...").
NO_TEXT = "no title or description"
NO_ID = "no advert id"
DUPLICATE_ID = "duplicate advert id"
REPOST = "re-post of another advert (duplicate rule)"
BAD_DATE = "posted date not a date"
BAD_PERIOD = "salary period not one of hour, day, week, month, year"
MIN_ABOVE_MAX = "salary minimum above maximum"


# --- reading the files ----------------------------------------------------------------------


def input_files(path: Path) -> list[Path]:
    """The file itself, or every supported file under a folder (sorted, hidden files skipped)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"adverts not found: {path}")
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and getters.advert_file_format(p)
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise CustomAdvertsError(f"{path}: no CSV, Parquet or JSON Lines files in the folder")
    return files


def _resolve_columns(mapping: Mapping, available: list[str], file: Path) -> dict[str, str]:
    """Mapping column name -> the file's column: exact, else the one equal ignoring case and spaces."""
    folded: dict[str, list[str]] = {}
    for column in available:
        folded.setdefault(column.strip().lower(), []).append(column)
    resolved = {}
    for name, column in mapping.named_columns():
        if column in available:
            resolved[column] = column
        elif len(folded.get(column.strip().lower(), [])) == 1:
            resolved[column] = folded[column.strip().lower()][0]
        else:
            shown = [c for c in available if c != "_row"]
            raise CustomAdvertsError(
                f"{mapping.origin}: field {name!r} names column {column!r}, which {file} does not have "
                f"(its columns: {shown})"
            )
    return resolved


def _read(file: Path, mapping: Mapping, header_only: bool = False) -> pd.DataFrame:
    return getters.read_advert_file(
        file, delimiter=mapping.delimiter, encoding=mapping.encoding, header_only=header_only
    )


def _text(values: pd.Series) -> pd.Series:
    """Any column as stripped text, ``None`` where missing or blank (integral floats lose ``.0``)."""

    def one(value: object) -> str | None:
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    return values.map(one).astype(object)


def _numbers(text: pd.Series) -> pd.Series:
    """Numbers from text, tolerating ``£`` and thousands commas; NaN where not a number."""
    cleaned = text.str.replace(r"[£,\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce")


def _money(amount: float) -> str:
    return f"£{amount:.0f}" if float(amount).is_integer() else f"£{amount:.2f}"


def _range_text(low: float, high: float) -> str | None:
    """Salary text from min/max columns, read by the same parser as every advert's salary text."""
    if np.isnan(low) and np.isnan(high):
        return None
    if np.isnan(high):
        return f"from {_money(low)}"
    if np.isnan(low):
        return f"up to {_money(high)}"
    return f"{_money(low)} - {_money(high)}"


def normalise_custom(raw: pd.DataFrame, mapping: Mapping, file_key: str) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of one file to advert rows (the shape of ``adverts.normalise_*``) and a rejection reason
    per row (``None`` where the row is kept); ``raw`` has the file's columns and ``_row``.
    """
    index = raw.index
    none = pd.Series(None, index=index, dtype=object)

    def get(name: str) -> pd.Series:
        spec = mapping.columns.get(name)
        if spec is None:
            return pd.Series(mapping.values[name], index=index, dtype=object) if name in mapping.values else none
        parts = pd.concat([_text(raw[column]) for column in spec.columns], axis=1)
        joined = (
            parts.iloc[:, 0] if len(spec.columns) == 1 else parts.apply(lambda r: spec.join.join(r.dropna()), axis=1)
        )
        if spec.remove:
            joined = joined.str.replace(spec.remove, "", regex=True).str.strip()
        return joined.where(joined.notna() & (joined != ""), None).astype(object)

    checks: list[tuple[pd.Series, str]] = []
    title, description = get("title"), get("description").map(html_to_text)
    checks.append((title.isna() & description.isna(), NO_TEXT))
    if mapping.id_column:
        ids = _text(raw[mapping.id_column])
        checks.append((ids.isna(), NO_ID))
    else:
        ids = file_key + "-" + raw["_row"].astype(str)
    numeric = {}
    for name in ("salary_min", "salary_max", "salary_annual", "latitude", "longitude"):
        text = get(name)
        numeric[name] = _numbers(text.astype("string")).astype(float)
        checks.append((text.notna() & numeric[name].isna(), f"{name.replace('_', ' ')} not a number"))
    checks.append((numeric["salary_min"] > numeric["salary_max"], MIN_ABOVE_MAX))
    period = get("salary_period")
    checks.append((period.notna() & ~period.str.strip().str.lower().isin(list(HINTS)).fillna(False), BAD_PERIOD))
    date_text = get("posted_date")
    dates = pd.to_datetime(date_text, format="mixed", dayfirst=mapping.dayfirst, errors="coerce", utc=True)
    checks.append((date_text.notna() & dates.isna(), BAD_DATE))

    ranges = pd.Series(
        [_range_text(lo, hi) for lo, hi in zip(numeric["salary_min"], numeric["salary_max"])], index=index, dtype=object
    )
    town, county, postcode, location = get("town"), get("county"), get("postcode"), get("location")
    place_parts = pd.concat([town, county, postcode], axis=1)
    rows = pd.DataFrame(
        {
            "advert_id": mapping.id_prefix + "-" + ids.fillna("").str.replace(r"\s+", "_", regex=True),
            "source": mapping.source,
            "title": title,
            "description": description,
            # ISO text, so that finalise reads the date exactly as parsed here (day first or not)
            "posted_date": dates.dt.strftime("%Y-%m-%d").where(dates.notna(), None),
            "employer": get("employer"),
            "location_raw": location.where(
                location.notna(), place_parts.apply(lambda r: ", ".join(r.dropna()) or None, axis=1)
            ),
            "salary_raw": get("salary").where(lambda s: s.notna(), ranges),
            "salary_unit_hint": period,
            "category": get("category"),
            "contract_type": get("contract_type"),
            "postcode": postcode,
            "locality": town,
            "county": county,
            "latitude": numeric["latitude"],
            "longitude": numeric["longitude"],
            "salary_normalised_source": numeric["salary_annual"],
        },
        index=index,
    )
    reason = none.copy()
    for failed, label in checks:
        reason = reason.mask(reason.isna() & failed.fillna(False).astype(bool), label)
    return rows, reason


@dataclass
class CustomRaw:
    """The user's adverts normalised but not yet placed, priced or validated."""

    mapping: Mapping
    rows: pd.DataFrame  # kept rows, shape of adverts.normalise_*; index = origin index
    origin: pd.DataFrame  # file, row for every row read (same index as rows, plus rejected)
    reasons: pd.Series  # rejection reason per row read, None where kept
    files: tuple[str, ...]


def _file_key(file: Path, root: Path) -> str:
    relative = file.relative_to(root) if file != root else Path(file.name)
    stem = str(relative).removesuffix(".gz").rsplit(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_.]+", "_", stem)


def check_input(path: Path, mapping: Mapping | str | Path | None = None) -> Mapping:
    """Load the mapping and check every file's columns against it without reading any row.

    A missing column fails at once, naming the column, the field, the mapping and the file;
    an empty, binary or unreadable file fails naming the file.
    """
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    for file in input_files(Path(path)):
        _resolve_columns(mapping, list(_read(file, mapping, header_only=True).columns), file)
    return mapping


def read_custom_raw(path: Path, mapping: Mapping | str | Path | None = None) -> CustomRaw:
    """Read every file of ``path`` and normalise its rows (see :func:`normalise_custom`).

    Every file's columns are checked first (:func:`check_input`), so a missing column fails
    before any row is read.
    """
    mapping = check_input(path, mapping)
    path = Path(path)
    files = input_files(path)
    root = path if path.is_dir() else path.parent
    resolved = {
        file: _resolve_columns(mapping, list(_read(file, mapping, header_only=True).columns), file) for file in files
    }
    frames, reasons, origins = [], [], []
    for file in files:
        raw = _read(file, mapping)
        raw = raw.rename(columns={v: k for k, v in resolved[file].items() if k != v})
        label = str(file.relative_to(root))
        rows, reason = normalise_custom(raw.reset_index(drop=True), mapping, _file_key(file, root))
        frames.append(rows)
        reasons.append(reason)
        origins.append(pd.DataFrame({"file": label, "row": raw["_row"].to_numpy()}))
    rows = pd.concat(frames, ignore_index=True)
    reason = pd.concat(reasons, ignore_index=True)
    origin = pd.concat(origins, ignore_index=True)
    # the first kept row with an id keeps it; a rejected row's id does not count
    kept = reason.isna()
    reason = reason.mask(rows["advert_id"].where(kept).duplicated() & kept, DUPLICATE_ID)
    return CustomRaw(mapping, rows.loc[reason.isna()], origin, reason, tuple(str(f.relative_to(root)) for f in files))


# --- through the pinned sources' code ----------------------------------------------------------


def adverts_schema(sources: tuple[str, ...]) -> pa.DataFrameSchema:
    """The adverts schema with these source names allowed besides the pinned three."""
    names = tuple(dict.fromkeys((*schema.SOURCES, *sources)))
    prefixes = sorted({ID_PREFIX.get(name, name) for name in names})
    return schema.ADVERTS_SCHEMA.update_columns(
        {
            "source": {"checks": [pa.Check.isin(names)]},
            "advert_id": {"checks": [pa.Check.str_matches(rf"^({'|'.join(prefixes)})-\S+$")]},
        }
    )


@dataclass
class CustomAdverts:
    """The user's adverts in the published schema, and every rejected row with its reason."""

    source: str
    mapping: str
    files: tuple[str, ...]
    adverts: pd.DataFrame
    rejected: pd.DataFrame  # file, row, reason

    def counts(self) -> dict[str, int]:
        """Rejected rows by reason, most frequent first."""
        return {str(k): int(v) for k, v in self.rejected["reason"].value_counts().items()}

    def report(self) -> dict:
        """For the data build report: counts only, file names without their folders."""
        first = self.rejected.drop_duplicates("reason")
        return {
            "source": self.source,
            "mapping": self.mapping,
            "files": len(self.files),
            "rows_read": len(self.adverts) + len(self.rejected),
            "rows_kept": len(self.adverts),
            "rows_rejected": len(self.rejected),
            "rejected_by_reason": self.counts(),
            "first_rejected": {r: f"{f} row {n}" for r, f, n in zip(first["reason"], first["file"], first["row"])},
        }


def process_custom(raw: CustomRaw, lookups: RegionLookups) -> CustomAdverts:
    """Regions, salaries, the duplicate rule, types and the schema, as for the pinned sources.

    A row failing a schema check is rejected with the column and check as its reason.
    """
    reasons = raw.reasons.copy()
    by_id = pd.Series(raw.rows.index, index=raw.rows["advert_id"].to_numpy())
    processed = raw.rows.pipe(adverts.map_regions, lookups).pipe(adverts.add_salaries)
    kept, _ = adverts.deduplicate(processed)
    reasons.loc[by_id.drop(kept["advert_id"]).to_numpy()] = REPOST
    table = adverts.finalise(kept)
    try:
        adverts_schema((raw.mapping.source,)).validate(table, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        if cases["index"].isna().any():
            raise schema.AdvertsSchemaError(f"custom adverts broke the schema as a whole:\n{cases}") from None
        failed = cases.assign(index=cases["index"].astype(int)).drop_duplicates("index")
        labels = (
            "failed schema check: " + failed["column"].fillna("table").astype(str) + " " + failed["check"].astype(str)
        )
        reasons.loc[by_id[table["advert_id"].iloc[failed["index"]].to_numpy()].to_numpy()] = labels.to_numpy()
        table = table.drop(index=table.index[failed["index"]]).reset_index(drop=True)
    rejected = raw.origin.assign(reason=reasons).loc[reasons.notna()].reset_index(drop=True)
    return CustomAdverts(raw.mapping.source, raw.mapping.label, raw.files, table, rejected)


def default_lookups() -> RegionLookups:
    return RegionLookups.from_sources(getters.read_postcode_districts(), getters.read_location_tree())


def read_custom_adverts(
    path: Path, mapping: Mapping | str | Path | None = None, lookups: RegionLookups | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The user's adverts in the published schema, and the rejected rows counted by reason.

    Parameters
    ----------
    path
        A CSV, Parquet or JSON Lines file, or a folder of them.
    mapping
        A :class:`Mapping`, a mapping YAML file or a shipped mapping's name (default ``plain``).
    lookups
        Region lookups; default built from the pinned postcode districts and location tree.
    """
    result = process_custom(read_custom_raw(path, mapping), lookups or default_lookups())
    return result.adverts, result.counts()


def build_adverts(
    custom: CustomRaw,
    adzuna_path: Path | None = None,
    adverts_only: bool = False,
    lookups: RegionLookups | None = None,
) -> tuple[pd.DataFrame, dict, CustomAdverts]:
    """:func:`skills_engine.data.adverts.build_adverts` with the user's adverts combined as the
    module docstring says; returns the table, the report and the custom adverts' result."""
    lookups = lookups or default_lookups()
    readers = {
        "nhs_jobs": lambda: adverts.normalise_nhs(getters.iter_nhs_postings()),
        "reed": lambda: adverts.normalise_reed(getters.read_reed_raw()),
        "adzuna": lambda: adverts.normalise_adzuna(getters.read_adzuna_raw(adzuna_path)),
    }
    by_source = {name: read() for name, read in readers.items() if not adverts_only and name != custom.mapping.source}
    n_duplicates, parts = 0, []
    if by_source:
        combined = pd.concat(by_source.values(), ignore_index=True).pipe(adverts.map_regions, lookups)
        deduplicated, n_duplicates = adverts.deduplicate(combined.pipe(adverts.add_salaries))
        parts.append(adverts.finalise(deduplicated))
    result = process_custom(custom, lookups)
    table = pd.concat([*parts, result.adverts], ignore_index=True)
    try:
        table = adverts_schema((custom.mapping.source,)).validate(table, lazy=True)
    except pa.errors.SchemaErrors as errors:
        raise schema.AdvertsSchemaError(f"adverts table failed its schema:\n{errors.failure_cases.head(10)}") from None
    report = {
        "rows_read": {name: len(frame) for name, frame in by_source.items()}
        | {custom.mapping.source: len(custom.origin)},
        "duplicates_removed": n_duplicates + int((result.rejected["reason"] == REPOST).sum()),
        "rows_written": len(table),
        "custom_adverts": result.report()
        | {"combined": "added only (pinned adverts left out)" if adverts_only else _combined(custom.mapping.source)},
    }
    return table, report, result


def _combined(source: str) -> str:
    return f"replaces the pinned {source}" if source in schema.SOURCES else "added beside the pinned sources"


def fingerprint(path: Path, mapping: Mapping, adverts_only: bool) -> str:
    """What the custom adverts contribute to the data step's input digest (names, sizes, times)."""
    path = Path(path)
    parts = [mapping.text or repr(mapping), str(adverts_only)]
    for file in input_files(path):
        stat = file.stat()
        parts.append(f"{file.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def write_rejected(rejected: pd.DataFrame) -> Path:
    """The rejected rows (file, row, reason) as CSV in ``data/interim``."""
    from skills_engine import paths

    return getters.atomic_write_text(paths.rejected_adverts(), rejected.to_csv(index=False))
