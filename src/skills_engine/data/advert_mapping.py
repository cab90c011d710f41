"""Mappings for ``skills-engine data --adverts``: which column of the user's files holds each field.

A mapping is a small YAML file (the shipped ones are in ``resources/mappings/``; the format is in
the README, "Bring your own adverts")::

    source: my_feed            # the source's name in the adverts table, prefix of every advert id
    id: job_id                 # optional id column; default the row number within each file
    columns:                   # advert field -> column (or a list of columns joined by a space,
      title: Job Title         #   or {column: NAME, remove: REGEX})
      salary: Pay
    values:                    # optional constants for fields the files lack
      salary_period: year

Column names match exactly, else ignoring case and surrounding spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from skills_engine import getters

#: Advert fields a mapping may fill, with what each holds.
FIELDS = {
    "title": "job title",
    "description": "advert text (HTML is stripped as for the pinned sources)",
    "employer": "employer name",
    "location": "location as written, e.g. 'Durham, County Durham'",
    "postcode": "a UK postcode: the most reliable way to a region",
    "town": "town or city name",
    "county": "county or region name",
    "latitude": "decimal degrees",
    "longitude": "decimal degrees",
    "salary": "salary as text, e.g. '£25,000 - £30,000 per annum'",
    "salary_min": "lowest pay, a number (used where there is no salary text)",
    "salary_max": "highest pay, a number",
    "salary_period": "hour, day, week, month or year: the period of the salary text or min/max",
    "salary_annual": "an annual figure the source computed itself, used where the salary does not parse",
    "posted_date": "date the advert was posted",
    "category": "the source's job category",
    "contract_type": "e.g. permanent, full-time",
}
#: Top-level keys of a mapping.
MAPPING_KEYS = {"source", "id", "columns", "values", "delimiter", "encoding", "dayfirst"}
#: What a source may be called: it prefixes every advert id as ``<source>-<id>``.
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Advert id prefix of each pinned source that differs from its name.
ID_PREFIX = {"nhs_jobs": "nhs"}
#: Mapping used when none is given.
DEFAULT_MAPPING = "plain"


class CustomAdvertsError(ValueError):
    """The user's adverts or mapping cannot be read; the message names the file (and field)."""


@dataclass(frozen=True)
class FieldSpec:
    """Where one field comes from: one column, or several joined with ``join``, minus ``remove``."""

    columns: tuple[str, ...]
    join: str = " "
    remove: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (see the module docstring and the README)."""

    source: str
    columns: dict[str, FieldSpec]
    id_column: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    dayfirst: bool = True
    origin: str = "mapping"
    text: str = ""

    @property
    def label(self) -> str:
        """The mapping's file name (no folders: the label goes into the published data report)."""
        return Path(self.origin).name

    @property
    def id_prefix(self) -> str:
        return ID_PREFIX.get(self.source, self.source)

    def named_columns(self) -> list[tuple[str, str]]:
        """``(field, column)`` for every column the mapping names, the id column first."""
        named = [("id", self.id_column)] if self.id_column else []
        return named + [(name, column) for name, spec in self.columns.items() for column in spec.columns]


def shipped_mappings() -> list[str]:
    """Names of the mappings in ``resources/mappings/`` (usable as ``--mapping NAME``)."""
    folder = getters.resource_file("mappings")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_mapping(mapping: str | Path | None = None) -> Mapping:
    """A mapping from a YAML file, or the name of a shipped one (default :data:`DEFAULT_MAPPING`)."""
    mapping = DEFAULT_MAPPING if mapping is None else mapping
    path = Path(mapping)
    if path.is_file():
        text, origin = path.read_text(encoding="utf-8"), str(path)
    elif str(mapping) in shipped_mappings():
        text = (getters.resource_file("mappings") / f"{mapping}.yaml").read_text(encoding="utf-8")
        origin = f"{mapping}.yaml (shipped)"
    else:
        raise CustomAdvertsError(f"mapping not found: {mapping} (not a file, nor one of {shipped_mappings()})")
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CustomAdvertsError(f"{origin}: not valid YAML ({error})") from None
    return parse_mapping(spec, origin, text)


def parse_mapping(spec: object, origin: str = "mapping", text: str = "") -> Mapping:
    """Check a loaded mapping and build a :class:`Mapping`; errors name the key and ``origin``."""
    if not isinstance(spec, dict):
        raise CustomAdvertsError(f"{origin}: a mapping is a YAML object with `source` and `columns`")
    unknown = set(spec) - MAPPING_KEYS
    if unknown:
        raise CustomAdvertsError(f"{origin}: unknown key(s) {sorted(unknown)}; a mapping has {sorted(MAPPING_KEYS)}")
    source = spec.get("source")
    if not isinstance(source, str) or not SOURCE_NAME.match(source) or source == "nhs":
        raise CustomAdvertsError(
            f"{origin}: `source` must be a lower-case name of letters, digits and _ (not 'nhs'), got {source!r}"
        )
    raw_columns = spec.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise CustomAdvertsError(f"{origin}: `columns` must map advert fields to column names")
    values = {str(k): str(v) for k, v in (spec.get("values") or {}).items()}
    for name in [*raw_columns, *values]:
        if name not in FIELDS:
            raise CustomAdvertsError(f"{origin}: unknown field {name!r}; the fields are {list(FIELDS)}")
    columns = {name: _field_spec(name, value, origin) for name, value in raw_columns.items()}
    if "title" not in columns and "description" not in columns:
        raise CustomAdvertsError(f"{origin}: map at least `title` or `description`")
    id_column = spec.get("id")
    if id_column is not None and not isinstance(id_column, str):
        raise CustomAdvertsError(f"{origin}: `id` is one column name, got {id_column!r}")
    return Mapping(
        source=source,
        columns=columns,
        id_column=id_column,
        values=values,
        delimiter=spec.get("delimiter"),
        encoding=spec.get("encoding", "utf-8-sig"),
        dayfirst=bool(spec.get("dayfirst", True)),
        origin=origin,
        text=text,
    )


def _field_spec(name: str, value: object, origin: str) -> FieldSpec:
    if isinstance(value, str):
        return FieldSpec((value,))
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return FieldSpec(tuple(value))
    if isinstance(value, dict) and set(value) <= {"column", "columns", "join", "remove"}:
        columns = value.get("columns") or ([value["column"]] if "column" in value else [])
        remove = value.get("remove")
        if remove is not None:
            try:
                re.compile(remove)
            except re.error as error:
                raise CustomAdvertsError(
                    f"{origin}: field {name!r}: `remove` is not a regular expression ({error})"
                ) from None
        if columns and all(isinstance(c, str) for c in columns):
            return FieldSpec(tuple(columns), str(value.get("join", " ")), remove)
    raise CustomAdvertsError(
        f"{origin}: field {name!r} must be a column name, a list of columns, or "
        f"{{column: NAME, remove: REGEX}}; got {value!r}"
    )
