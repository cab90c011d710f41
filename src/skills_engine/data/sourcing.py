"""Sourcing: the catalogue of public sources, and fetching them with checksums.

Every file is pinned to a commit and a sha256 in ``resources/sources.yaml``. Files are
downloaded with :mod:`pooch` (progress bar, retries, sha256 check, atomic move into place)
or, when ``SKILLS_ENGINE_MIRROR`` points at a mirror folder, copied from it and checked the
same way. Either way the result lands in ``data/raw/<dataset>/`` and a second run does no
work. A file whose checksum does not match is refused and never left behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import shutil
import tarfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import resources
from pathlib import Path

import yaml

from skills_engine import paths
from skills_engine.atomic import atomic_path

log = logging.getLogger(__name__)

#: Download attempts before giving up on a file; GitHub's raw host drops the odd request.
DOWNLOAD_RETRIES = 3
#: Chunk size (bytes) for streaming copies and hashing: large enough to be fast, small
#: enough that a 4 MB file never sits whole in memory twice.
CHUNK_BYTES = 1 << 20
#: Name of the stamp written once a folder source is complete and verified.
COMPLETE_STAMP = ".complete"


class SourcingError(RuntimeError):
    """A source could not be obtained or did not verify."""


class ChecksumMismatchError(SourcingError):
    """The bytes obtained are not the bytes the catalogue pins."""

    def __init__(self, name: str, expected: str, actual: str, origin: str):
        self.name, self.expected, self.actual, self.origin = name, expected, actual, origin
        super().__init__(
            f"checksum mismatch for {name!r} (from {origin}): expected sha256 {expected}, "
            f"got {actual}. The file was refused and nothing was kept."
        )


class MissingSourceError(SourcingError):
    """The mirror lacks a file the catalogue lists."""


class RawFileChangedError(SourcingError):
    """A file under ``data/raw/`` changed after it was verified (raw data is immutable)."""

    def __init__(self, changed: list[tuple[Path, str, str]]):
        self.changed = changed
        lines = [f"  {path}: expected sha256 {expected}, found {actual}" for path, expected, actual in changed[:10]]
        more = f"\n  … and {len(changed) - 10:,} more" if len(changed) > 10 else ""
        super().__init__(
            f"{len(changed):,} raw file(s) changed after they were verified (raw data is immutable):\n"
            + "\n".join(lines)
            + more
            + "\nDelete the changed file(s) and run `skills-engine data` again to fetch verified copies."
        )


@dataclass(frozen=True)
class SourceFile:
    """One pinned public file."""

    dataset: str
    key: str
    url: str
    sha256: str
    bytes: int

    @property
    def filename(self) -> str:
        return urllib.parse.unquote(self.url.rsplit("/", 1)[1])

    @property
    def mirror_relpath(self) -> str:
        """Path inside a mirror: ``github/<owner>/<repo>/<commit>/<path>``."""
        return mirror_relpath(self.url)


@dataclass(frozen=True)
class FolderSource:
    """Many small files fetched as one archive and verified file by file."""

    archive_url: str
    archive_member_prefix: str
    file_url_template: str
    manifest: tuple[tuple[str, str, int], ...] = field(repr=False)

    def file_url(self, name: str) -> str:
        return self.file_url_template.format(file=name)


@dataclass(frozen=True)
class Dataset:
    """A dataset of the catalogue, with licence and citation for the data log."""

    key: str
    title: str
    licence: str
    citation: str
    description: str
    files: tuple[SourceFile, ...] = ()
    folder: FolderSource | None = None

    def file(self, key: str) -> SourceFile:
        for source_file in self.files:
            if source_file.key == key:
                return source_file
        raise KeyError(f"dataset {self.key!r} has no file {key!r}; it has {[f.key for f in self.files]}")

    @property
    def n_files(self) -> int:
        return len(self.folder.manifest) if self.folder else len(self.files)

    @property
    def n_bytes(self) -> int:
        if self.folder:
            return sum(size for _, _, size in self.folder.manifest)
        return sum(f.bytes for f in self.files)


def mirror_relpath(url: str) -> str:
    """Where a raw GitHub URL lives in the mirror.

    >>> mirror_relpath("https://raw.githubusercontent.com/o/r/abc/d/x%20y.csv")
    'github/o/r/abc/d/x y.csv'
    """
    prefix = "https://raw.githubusercontent.com/"
    if not url.startswith(prefix):
        raise SourcingError(f"no mirror layout known for {url}")
    return "github/" + urllib.parse.unquote(url[len(prefix) :])


def _read_manifest(name: str) -> tuple[tuple[str, str, int], ...]:
    text = resources.files("skills_engine.resources").joinpath(name).read_text()
    return tuple(
        (row["file"], row["sha256"], int(row["bytes"])) for row in csv.DictReader(io.StringIO(text), delimiter="\t")
    )


@lru_cache(maxsize=1)
def catalogue() -> tuple[Dataset, ...]:
    """Every dataset the project reads, from ``resources/sources.yaml``.

    >>> [d.key for d in catalogue()][:3]
    ['esco', 'reed', 'adzuna']
    """
    spec = yaml.safe_load(resources.files("skills_engine.resources").joinpath("sources.yaml").read_text())
    datasets = []
    for entry in spec["datasets"]:
        folder = None
        if "folder" in entry:
            folder_spec = entry["folder"]
            folder = FolderSource(
                archive_url=folder_spec["archive_url"],
                archive_member_prefix=folder_spec["archive_member_prefix"],
                file_url_template=folder_spec["file_url_template"],
                manifest=_read_manifest(folder_spec["manifest"]),
            )
        files = tuple(
            SourceFile(entry["key"], f["key"], f["url"], f["sha256"], int(f["bytes"])) for f in entry.get("files", [])
        )
        datasets.append(
            Dataset(
                entry["key"], entry["title"], entry["licence"], entry["citation"], entry["description"], files, folder
            )
        )
    return tuple(datasets)


def dataset(key: str) -> Dataset:
    for candidate in catalogue():
        if candidate.key == key:
            return candidate
    raise KeyError(f"no dataset {key!r} in the catalogue; known: {[d.key for d in catalogue()]}")


# --- hashing and atomic copies --------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_write(chunks: Iterable[bytes], destination: Path, expected_sha256: str, origin: str) -> Path:
    """Write ``chunks`` to a temporary file beside ``destination``, verify, then rename.

    A failure at any point (an exception while reading, a checksum mismatch) removes the
    temporary file, so ``destination`` is either absent or complete and correct.
    """
    digest = hashlib.sha256()
    with atomic_path(destination) as part:
        with open(part, "wb") as handle:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise ChecksumMismatchError(destination.name, expected_sha256, actual, origin)
    return destination


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(CHUNK_BYTES), b"")


def _is_cached(path: Path, expected_sha256: str, expected_bytes: int | None = None) -> bool:
    if not path.is_file():
        return False
    if expected_bytes is not None and path.stat().st_size != expected_bytes:
        return False
    return sha256_of(path) == expected_sha256


# --- single files -----------------------------------------------------------------------


def local_path(source_file: SourceFile, raw_dir: Path | None = None) -> Path:
    return (raw_dir or paths.raw_dir()) / source_file.dataset / source_file.filename


def fetch_file(source_file: SourceFile, raw_dir: Path | None = None, mirror: Path | None = None) -> Path:
    """Return the verified local copy of ``source_file``, obtaining it if needed.

    Parameters
    ----------
    source_file
        A file of the catalogue.
    raw_dir
        Cache folder (default ``data/raw``).
    mirror
        Mirror folder; default from ``SKILLS_ENGINE_MIRROR``. When ``None`` the file is
        downloaded from its URL.
    """
    mirror = mirror if mirror is not None else paths.mirror_dir()
    destination = local_path(source_file, raw_dir)
    if _is_cached(destination, source_file.sha256, source_file.bytes):
        return destination
    if mirror is not None:
        origin = Path(mirror) / source_file.mirror_relpath
        if not origin.is_file():
            raise MissingSourceError(
                f"{source_file.dataset}/{source_file.key}: not in the mirror at {origin} "
                f"(upstream URL {source_file.url})"
            )
        return _verified_write(_file_chunks(origin), destination, source_file.sha256, str(origin))
    return _download(source_file.url, destination, source_file.sha256)


def _download(url: str, destination: Path, expected_sha256: str | None) -> Path:
    """Download with pooch: progress bar, retries, checksum and an atomic move into place."""
    import pooch

    quoted = urllib.parse.quote(url, safe=":/%")
    fetcher = pooch.create(
        path=destination.parent,
        base_url="",
        registry={destination.name: f"sha256:{expected_sha256}" if expected_sha256 else None},
        urls={destination.name: quoted},
        retry_if_failed=DOWNLOAD_RETRIES,
    )
    try:
        return Path(fetcher.fetch(destination.name, progressbar=_progress_enabled()))
    except ValueError as error:
        # pooch signals a hash mismatch with ValueError and has already removed the download.
        if "hash" in str(error).lower():
            raise ChecksumMismatchError(destination.name, expected_sha256 or "", _hash_in(str(error)), url) from error
        raise SourcingError(f"could not download {url}: {error}") from error
    except Exception as error:  # network errors come in many classes; name the URL
        for leftover in destination.parent.glob(f"*{destination.name}*"):
            if leftover != destination:
                leftover.unlink(missing_ok=True)
        raise SourcingError(f"could not download {url} to {destination}: {error}") from error


def _hash_in(message: str) -> str:
    import re

    found = re.findall(r"[0-9a-f]{64}", message)
    return found[-1] if found else "unknown"


def _progress_enabled() -> bool:
    return os.environ.get("CI") is None and os.isatty(2)


# --- folder sources (many small files) ----------------------------------------------


def folder_path(ds: Dataset, raw_dir: Path | None = None) -> Path:
    return (raw_dir or paths.raw_dir()) / ds.key


def _manifest_digest(folder: FolderSource) -> str:
    return hashlib.sha256("".join(f"{n}{h}" for n, h, _ in folder.manifest).encode()).hexdigest()


def fetch_folder(ds: Dataset, raw_dir: Path | None = None, mirror: Path | None = None) -> Path:
    """Obtain every file of a folder source; resumes where an interrupted run stopped."""
    from tqdm.auto import tqdm

    assert ds.folder is not None, f"{ds.key} is not a folder source"
    mirror = mirror if mirror is not None else paths.mirror_dir()
    target = folder_path(ds, raw_dir)
    stamp = target / COMPLETE_STAMP
    digest = _manifest_digest(ds.folder)
    if stamp.is_file() and stamp.read_text().strip() == digest:
        # A cheap look (one stat per file) that nothing went missing since the stamp was written;
        # the full checksum pass is :func:`verify_raw` (``data --verify`` and ``--force``).
        if not _missing_or_resized(target, ds.folder.manifest):
            return target
        stamp.unlink()
    target.mkdir(parents=True, exist_ok=True)
    # Files already in place from an interrupted run are trusted only if their size matches;
    # their hashes are checked below, so a corrupted leftover is fetched again.
    todo = [
        entry
        for entry in tqdm(ds.folder.manifest, desc=f"checking {ds.key}", disable=not _progress_enabled())
        if not _is_cached(target / entry[0], entry[1], entry[2])
    ]
    if todo and mirror is None:
        todo = _fetch_folder_archive(ds, target, todo)
    for name, expected, _ in tqdm(todo, desc=f"fetching {ds.key}", disable=not _progress_enabled()):
        if mirror is not None:
            origin = Path(mirror) / mirror_relpath(ds.folder.file_url(name))
            if not origin.is_file():
                raise MissingSourceError(
                    f"{ds.key}/{name}: not in the mirror at {origin} (upstream URL {ds.folder.file_url(name)})"
                )
            _verified_write(_file_chunks(origin), target / name, expected, str(origin))
        else:
            _download(ds.folder.file_url(name), target / name, expected)
    with atomic_path(stamp) as part:
        part.write_text(digest)
    return target


def _missing_or_resized(target: Path, manifest: Iterable[tuple[str, str, int]]) -> list[str]:
    return [
        name for name, _, size in manifest if not (target / name).is_file() or (target / name).stat().st_size != size
    ]


def verify_raw(raw_dir: Path | None = None) -> list[tuple[Path, str, str]]:
    """Re-hash every raw file already fetched against the catalogue.

    Returns ``(path, expected sha256, actual sha256)`` for each file present whose bytes
    changed; absent files are not listed (the next fetch obtains them).
    """
    changed = []
    for ds in catalogue():
        if ds.folder is not None:
            target = folder_path(ds, raw_dir)
            entries = [(target / name, expected) for name, expected, _ in ds.folder.manifest]
        else:
            entries = [(local_path(f, raw_dir), f.sha256) for f in ds.files]
        for path, expected in entries:
            if path.is_file() and (actual := sha256_of(path)) != expected:
                changed.append((path, expected, actual))
    return changed


def _fetch_folder_archive(ds: Dataset, target: Path, todo: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Download the repository archive once and extract the wanted files, verifying each.

    Returns the entries the archive did not provide, to be fetched one by one.
    """
    assert ds.folder is not None
    wanted = {name: sha for name, sha, _ in todo}
    archive = target.parent / f".{ds.key}-archive.tar.gz"
    try:
        _download(ds.folder.archive_url, archive, None)
    except SourcingError as error:
        log.warning("archive download failed (%s); fetching %d files one by one", error, len(todo))
        return todo
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isfile() or not member.name.startswith(ds.folder.archive_member_prefix):
                    continue
                name = member.name[len(ds.folder.archive_member_prefix) :]
                if name in wanted:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    _verified_write(
                        iter(partial(extracted.read, CHUNK_BYTES), b""),
                        target / name,
                        wanted.pop(name),
                        ds.folder.archive_url,
                    )
    finally:
        archive.unlink(missing_ok=True)
    return [entry for entry in todo if entry[0] in wanted]


# --- whole catalogue ------------------------------------------------------------------


def fetch_dataset(key: str, raw_dir: Path | None = None, mirror: Path | None = None) -> dict[str, Path]:
    """Fetch one dataset; returns ``{file key: path}`` (``{"folder": path}`` for folders)."""
    ds = dataset(key)
    if ds.folder is not None:
        return {"folder": fetch_folder(ds, raw_dir, mirror)}
    return {f.key: fetch_file(f, raw_dir, mirror) for f in ds.files}


def fetch_all(keys: Iterable[str] | None = None, raw_dir: Path | None = None, mirror: Path | None = None) -> list[dict]:
    """Fetch every dataset (or those named); returns one row per dataset for the data log."""
    rows = []
    for ds in catalogue():
        if keys is not None and ds.key not in set(keys):
            continue
        started = time.perf_counter()
        fetch_dataset(ds.key, raw_dir, mirror)
        rows.append(
            {
                "dataset": ds.key,
                "title": ds.title,
                "files": ds.n_files,
                "megabytes": round(ds.n_bytes / 1e6, 2),
                "seconds": round(time.perf_counter() - started, 2),
                "origin": "mirror" if (mirror or paths.mirror_dir()) else "download",
            }
        )
    return rows


def data_log() -> list[dict]:
    """Provenance rows (dataset, file, URL, sha256, licence) for the site's data log page."""
    rows = []
    for ds in catalogue():
        if ds.folder is not None:
            rows.append(
                {
                    "dataset": ds.key,
                    "title": ds.title,
                    "file": f"{ds.n_files:,} JSON files (verified one by one against the committed manifest)",
                    "url": ds.folder.archive_url,
                    "sha256": "manifest " + _manifest_digest(ds.folder)[:16] + "…",
                    "bytes": ds.n_bytes,
                    "licence": ds.licence,
                    "citation": ds.citation,
                }
            )
        for f in ds.files:
            rows.append(
                {
                    "dataset": ds.key,
                    "title": ds.title,
                    "file": f.filename,
                    "url": f.url,
                    "sha256": f.sha256,
                    "bytes": f.bytes,
                    "licence": ds.licence,
                    "citation": ds.citation,
                }
            )
    return rows


def remove(path: Path) -> None:
    """Delete a cached file or folder."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
