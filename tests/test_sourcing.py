"""Sourcing: checksums, missing files, interruptions and cache hits, from a mirror and over HTTP."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest

from skills_engine.data import sourcing
from skills_engine.data.sourcing import ChecksumMismatchError, Dataset, FolderSource, MissingSourceError, SourceFile

BASE = "https://raw.githubusercontent.com/owner/repo/abc123"
PAYLOAD = b"region,count\nNorth East,12\nLondon,40\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    (root / "github/owner/repo/abc123/data").mkdir(parents=True)
    (root / "github/owner/repo/abc123/data/table one.csv").write_bytes(PAYLOAD)
    return root


def table_file(sha256: str = sha(PAYLOAD)) -> SourceFile:
    return SourceFile("demo", "table", f"{BASE}/data/table%20one.csv", sha256, len(PAYLOAD))


def test_mirror_copy_is_verified_and_cached(mirror: Path, tmp_path: Path, monkeypatch):
    raw = tmp_path / "raw"
    path = sourcing.fetch_file(table_file(), raw, mirror)
    assert path == raw / "demo" / "table one.csv"
    assert path.read_bytes() == PAYLOAD

    # A second run finds the verified copy and copies nothing.
    def no_copy(*args, **kwargs):
        raise AssertionError("cache miss: the file was copied again")

    monkeypatch.setattr(sourcing, "_verified_write", no_copy)
    assert sourcing.fetch_file(table_file(), raw, mirror) == path


def test_checksum_mismatch_names_file_and_both_checksums_and_keeps_nothing(mirror: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    wrong = "0" * 64
    with pytest.raises(ChecksumMismatchError) as caught:
        sourcing.fetch_file(table_file(wrong), raw, mirror)
    message = str(caught.value)
    assert "table one.csv" in message and wrong in message and sha(PAYLOAD) in message
    assert leftovers(raw) == []


def test_corrupted_cached_copy_is_replaced(mirror: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    (raw / "demo").mkdir(parents=True)
    (raw / "demo" / "table one.csv").write_bytes(b"truncated")
    assert sourcing.fetch_file(table_file(), raw, mirror).read_bytes() == PAYLOAD


def test_missing_mirror_file_names_url_and_mirror_path(tmp_path: Path):
    empty_mirror = tmp_path / "empty"
    empty_mirror.mkdir()
    with pytest.raises(MissingSourceError) as caught:
        sourcing.fetch_file(table_file(), tmp_path / "raw", empty_mirror)
    message = str(caught.value)
    assert f"{BASE}/data/table%20one.csv" in message
    assert str(empty_mirror / "github/owner/repo/abc123/data/table one.csv") in message


def test_interrupted_copy_leaves_no_partial_file_and_rerun_completes(mirror: Path, tmp_path: Path, monkeypatch):
    raw = tmp_path / "raw"

    def broken_chunks(path):
        yield PAYLOAD[:5]
        raise OSError("disk unplugged")

    monkeypatch.setattr(sourcing, "_file_chunks", broken_chunks)
    with pytest.raises(OSError, match="disk unplugged"):
        sourcing.fetch_file(table_file(), raw, mirror)
    assert leftovers(raw) == []
    monkeypatch.undo()
    assert sourcing.fetch_file(table_file(), raw, mirror).read_bytes() == PAYLOAD


def test_folder_source_resumes_and_then_does_no_work(tmp_path: Path, monkeypatch):
    files = {"1.json": b'{"title": "Nurse"}', "2.json": b'{"title": "Porter"}', "3.json": b'{"title": "GP"}'}
    mirror = tmp_path / "mirror"
    folder = mirror / "github/owner/repo/abc123/data"
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    ds = _folder_dataset(files)
    raw = tmp_path / "raw"
    # An earlier run stopped after the first file.
    (raw / "jobs").mkdir(parents=True)
    (raw / "jobs" / "1.json").write_bytes(files["1.json"])
    copied = []
    real_write = sourcing._verified_write
    monkeypatch.setattr(
        sourcing, "_verified_write", lambda chunks, dest, *a: copied.append(dest.name) or real_write(chunks, dest, *a)
    )

    target = sourcing.fetch_folder(ds, raw, mirror)
    assert sorted(copied) == ["2.json", "3.json"]
    assert {p.name: p.read_bytes() for p in target.glob("*.json")} == files
    assert (target / sourcing.COMPLETE_STAMP).is_file()

    copied.clear()
    sourcing.fetch_folder(ds, raw, mirror)
    assert copied == []


def test_folder_source_refuses_a_bad_member(tmp_path: Path):
    mirror = tmp_path / "mirror"
    folder = mirror / "github/owner/repo/abc123/data"
    folder.mkdir(parents=True)
    (folder / "1.json").write_bytes(b"{}")
    ds = Dataset(
        "jobs",
        "Jobs",
        "none",
        "none",
        "demo",
        folder=FolderSource("x", "y", f"{BASE}/data/{{file}}", (("1.json", "f" * 64, 2),)),
    )
    with pytest.raises(ChecksumMismatchError, match="1.json"):
        sourcing.fetch_folder(ds, tmp_path / "raw", mirror)
    assert not (tmp_path / "raw" / "jobs" / sourcing.COMPLETE_STAMP).exists()
    assert leftovers(tmp_path / "raw") == []


class _TruncatingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; ``/cut/...`` promises the full length and then drops the connection."""

    def do_GET(self):
        if self.path.startswith("/cut/"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:7])
            self.wfile.flush()
            self.connection.close()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path: Path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "table.csv").write_bytes(PAYLOAD)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_TruncatingHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_over_http_verifies_and_caches(http_root: str, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SKILLS_ENGINE_MIRROR", raising=False)
    monkeypatch.setattr(sourcing, "DOWNLOAD_RETRIES", 0)
    raw = tmp_path / "raw"
    good = SourceFile("web", "table", f"{http_root}/table.csv", sha(PAYLOAD), len(PAYLOAD))
    assert sourcing.fetch_file(good, raw).read_bytes() == PAYLOAD

    bad = SourceFile("web2", "table", f"{http_root}/table.csv", "a" * 64, len(PAYLOAD))
    with pytest.raises(ChecksumMismatchError) as caught:
        sourcing.fetch_file(bad, raw)
    assert "a" * 64 in str(caught.value) and sha(PAYLOAD) in str(caught.value)
    assert leftovers(raw / "web2") == []


def test_interrupted_download_leaves_no_partial_file(http_root: str, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SKILLS_ENGINE_MIRROR", raising=False)
    monkeypatch.setattr(sourcing, "DOWNLOAD_RETRIES", 0)
    raw = tmp_path / "raw"
    cut = SourceFile("web", "table", f"{http_root}/cut/table.csv", sha(PAYLOAD), len(PAYLOAD))
    with pytest.raises(sourcing.SourcingError, match="cut/table.csv"):
        sourcing.fetch_file(cut, raw)
    assert leftovers(raw) == []


def test_catalogue_covers_every_dataset_of_the_mirror_readme():
    keys = {d.key for d in sourcing.catalogue()}
    assert keys == {
        "esco",
        "reed",
        "adzuna",
        "nhs_jobs",
        "indeed",
        "postcodes",
        "career_causeways",
        "skill_benchmark",
        "skillspan",
        "skillskape",
    }
    nhs = sourcing.dataset("nhs_jobs")
    assert nhs.n_files == 14_842
    for ds in sourcing.catalogue():
        assert ds.licence and ds.citation
        for f in ds.files:
            assert len(f.sha256) == 64 and f.url.startswith("https://")


@pytest.mark.mirror
def test_real_mirror_files_verify(real_mirror: Path, tmp_path: Path):
    for key in ("reed", "postcodes"):
        paths = sourcing.fetch_dataset(key, tmp_path / "raw", real_mirror)
        for path in paths.values():
            assert path.stat().st_size > 100_000


def _folder_dataset(files: dict[str, bytes]) -> Dataset:
    return Dataset(
        "jobs",
        "Jobs",
        "none",
        "none",
        "demo",
        folder=FolderSource(
            archive_url="https://example.invalid/archive.tar.gz",
            archive_member_prefix="repo-abc123/data/",
            file_url_template=f"{BASE}/data/{{file}}",
            manifest=tuple((n, sha(b), len(b)) for n, b in files.items()),
        ),
    )


@pytest.fixture
def fetched_folder(tmp_path: Path, monkeypatch) -> tuple[Dataset, Path, Path, dict[str, bytes]]:
    """A folder source fetched from a mirror, with its completion stamp, as the only dataset."""
    files = {"1.json": b'{"title": "Nurse"}', "2.json": b'{"title": "Porter"}'}
    mirror = tmp_path / "mirror"
    (mirror / "github/owner/repo/abc123/data").mkdir(parents=True)
    for name, body in files.items():
        (mirror / "github/owner/repo/abc123/data" / name).write_bytes(body)
    ds = _folder_dataset(files)
    monkeypatch.setattr(sourcing, "catalogue", lambda: (ds,))
    raw = tmp_path / "raw"
    sourcing.fetch_folder(ds, raw, mirror)
    return ds, raw, mirror, files


def test_a_raw_file_deleted_after_the_stamp_is_fetched_again(fetched_folder):
    ds, raw, mirror, files = fetched_folder
    (raw / "jobs" / "2.json").unlink()
    sourcing.fetch_folder(ds, raw, mirror)
    assert (raw / "jobs" / "2.json").read_bytes() == files["2.json"]
    assert (raw / "jobs" / sourcing.COMPLETE_STAMP).is_file()


def test_a_raw_file_edited_after_its_check_is_named_with_both_checksums(fetched_folder):
    ds, raw, mirror, files = fetched_folder
    assert sourcing.verify_raw(raw) == []
    edited = raw / "jobs" / "1.json"
    edited.write_bytes(b'{"title": "Norse"}')  # same size: the cheap stat check cannot see it
    assert sourcing.fetch_folder(ds, raw, mirror) == raw / "jobs"
    changed = sourcing.verify_raw(raw)
    assert changed == [(edited, sha(files["1.json"]), sha(b'{"title": "Norse"}'))]
    message = str(sourcing.RawFileChangedError(changed))
    assert str(edited) in message and sha(files["1.json"]) in message and sha(b'{"title": "Norse"}') in message


def test_data_verify_and_force_stop_before_building_when_a_raw_file_changed(tmp_path: Path, monkeypatch):
    from typer.testing import CliRunner

    from skills_engine.cli import app
    from skills_engine.data import tables

    changed = [(tmp_path / "raw" / "jobs" / "1.json", "a" * 64, "b" * 64)]
    monkeypatch.setattr(sourcing, "verify_raw", lambda raw_dir=None: changed)
    monkeypatch.setattr(sourcing, "fetch_all", lambda *a, **k: pytest.fail("fetched despite a changed raw file"))
    for flags in (["--verify"], ["--force"]):
        result = CliRunner().invoke(app, ["data", *flags])
        assert result.exit_code == 1, result.output
        assert "1.json" in result.output and "a" * 64 in result.output and "b" * 64 in result.output
    with pytest.raises(sourcing.RawFileChangedError):
        tables.build_data(verify=True)
