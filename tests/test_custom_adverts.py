"""Bring your own adverts: hand-written CSV, Parquet, JSON Lines and a folder, mapped onto the schema."""

from __future__ import annotations

import pandas as pd
import pytest

from skills_engine.data import adverts as ad
from skills_engine.data import custom_adverts as ca
from skills_engine.data.advert_mapping import CustomAdvertsError, load_mapping, parse_mapping, shipped_mappings
from skills_engine.data.places import RegionLookups


@pytest.fixture
def lookups(tests_data) -> RegionLookups:
    districts = pd.read_csv(tests_data / "postcode_districts_small.csv", dtype=str, keep_default_na=False)
    return RegionLookups.from_sources(districts)


@pytest.fixture
def own(tests_data):
    return tests_data / "custom_adverts"


def test_plain_csv_is_normalised_placed_and_priced_like_the_pinned_sources(own, lookups):
    result = ca.process_custom(ca.read_custom_raw(own / "plain.csv", "plain"), lookups)
    table = result.adverts.set_index("advert_id")
    assert list(table.index) == ["custom-plain-1", "custom-plain-2", "custom-plain-3", "custom-plain-6"]
    nurse = table.loc["custom-plain-1"]
    assert nurse["description"] == "Join our ward team."  # HTML stripped by the one cleaner
    assert nurse["region"] == "North East" and nurse["salary_annual_gbp"] == pytest.approx((28407 + 34581) / 2)
    assert table.loc["custom-plain-2", "salary_period"] == "hour"
    assert table.loc["custom-plain-3", "salary_failure"] == "no_amount"  # kept, with why it has no salary
    assert table.loc["custom-plain-6", "region_failure"] == "place not recognised"
    assert result.counts() == {"no title or description": 1, ca.REPOST: 1}
    assert result.rejected.to_dict("records") == [
        {"file": "plain.csv", "row": 4, "reason": "no title or description"},
        {"file": "plain.csv", "row": 5, "reason": ca.REPOST},
    ]
    assert list(result.adverts.columns) == list(ad.COLUMNS)


def test_jsonl_feed_with_ids_postcodes_min_max_period_and_dates(own, lookups):
    adverts, counts = ca.read_custom_adverts(own / "feed.jsonl", own / "feed_mapping.yaml", lookups)
    table = adverts.set_index("advert_id")
    assert list(table.index) == ["my_feed-11", "my_feed-12"]
    assert table.loc["my_feed-11", "region_method"] == "postcode"
    assert table.loc["my_feed-11", "posted_date"] == pd.Timestamp("2024-03-02")  # 02/03/2024, day first
    assert table.loc["my_feed-11", "salary_annual_gbp"] == 32500
    assert table.loc["my_feed-12", "region"] == "Wales" and table.loc["my_feed-12", "salary_period"] == "hour"
    # every bad row counted by its reason, none dropped silently: 7 rows read, 2 kept, 5 rejected
    assert counts == {
        "salary min not a number": 1,
        ca.BAD_PERIOD: 1,
        ca.BAD_DATE: 1,
        ca.DUPLICATE_ID: 1,
        ca.MIN_ABOVE_MAX: 1,
    }


def test_parquet_gives_the_same_adverts_as_the_csv(own, lookups, tmp_path):
    pd.read_csv(own / "plain.csv", dtype=str, keep_default_na=False).to_parquet(tmp_path / "plain.parquet")
    from_csv, csv_counts = ca.read_custom_adverts(own / "plain.csv", "plain", lookups)
    from_parquet, parquet_counts = ca.read_custom_adverts(tmp_path / "plain.parquet", "plain", lookups)
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert csv_counts == parquet_counts


def test_a_folder_reads_every_supported_file_with_ids_per_file(own, lookups):
    raw = ca.read_custom_raw(own / "folder", "plain")  # headers Title, Description...: matched ignoring case
    assert raw.files == ("part1.csv", "part2.jsonl")  # notes.txt is not an adverts file
    result = ca.process_custom(raw, lookups)
    assert result.adverts["advert_id"].tolist() == [
        "custom-part1-1",
        "custom-part1-2",
        "custom-part2-1",
        "custom-part2-2",
    ]
    assert result.adverts["region"].tolist() == ["North East", "Wales", "London", "Wales"]
    assert result.counts() == {}


def test_a_missing_column_fails_at_once_naming_column_field_and_file(own, tmp_path):
    mapping = parse_mapping({"source": "x", "columns": {"title": "title", "salary": "pay"}}, "mine.yaml")
    with pytest.raises(CustomAdvertsError) as error:
        ca.check_input(own / "folder", mapping)
    message = str(error.value)
    assert "'pay'" in message and "'salary'" in message and "mine.yaml" in message and "part1.csv" in message


@pytest.mark.parametrize(
    "name, body, expected",
    [
        ("empty.csv", b"", "the file is empty"),
        ("binary.csv", b"PK\x03\x04\x00\x00binary", "looks binary"),
        ("fake.parquet", b"title\nnot parquet", "not a Parquet file"),
        ("bad.jsonl", b'{"title": "A"}\n{"title": \n', "line 2: not valid JSON"),
        ("list.jsonl", b"[1, 2]\n", "line 1: a JSON object expected"),
        ("latin.csv", "title\ncaf\xe9\n".encode("latin-1"), "not utf-8-sig text"),
        ("ragged.csv", b'title,description\n"unclosed,x\n', "malformed CSV"),
    ],
)
def test_bad_files_give_a_message_with_the_file_name(tmp_path, name, body, expected):
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ValueError) as error:
        ca.read_custom_raw(path, parse_mapping({"source": "x", "columns": {"title": "title"}}))
    assert str(path) in str(error.value) and expected in str(error.value)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"source": "Bad Name", "columns": {"title": "t"}}, "`source` must be"),
        ({"source": "nhs", "columns": {"title": "t"}}, "`source` must be"),
        ({"source": "x", "columns": {"job": "t"}}, "unknown field 'job'"),
        ({"source": "x", "columns": {"employer": "e"}}, "map at least `title` or `description`"),
        ({"source": "x", "columns": {"title": "t"}, "sheet": 1}, "unknown key(s) ['sheet']"),
        ({"source": "x", "columns": {"title": {"column": "t", "remove": "("}}}, "not a regular expression"),
    ],
)
def test_a_bad_mapping_names_the_key(spec, expected):
    with pytest.raises(CustomAdvertsError, match="mine.yaml") as error:
        parse_mapping(spec, "mine.yaml")
    assert expected in str(error.value)


def test_shipped_mappings_load_and_an_unknown_one_is_named():
    assert {"plain", "adzuna_train_rev1"} <= set(shipped_mappings())
    assert load_mapping("adzuna_train_rev1").source == "adzuna"
    with pytest.raises(CustomAdvertsError, match="no_such_mapping"):
        load_mapping("no_such_mapping")


def test_schema_failures_reject_the_row_with_column_and_check(tmp_path, lookups):
    path = tmp_path / "pay.csv"
    path.write_text("title,annual\nAnalyst,30000\nAstronaut,99000000\n")
    mapping = parse_mapping({"source": "x", "columns": {"title": "title", "salary_annual": "annual"}})
    result = ca.process_custom(ca.read_custom_raw(path, mapping), lookups)
    assert result.adverts["title"].tolist() == ["Analyst"]
    assert result.rejected[["file", "row"]].to_dict("records") == [{"file": "pay.csv", "row": 2}]
    assert result.rejected["reason"].str.startswith("failed schema check: salary_annual_gbp in_range").all()


@pytest.mark.mirror
def test_adzuna_mapping_on_the_mirror_gives_the_pinned_adzuna_rows(real_mirror):
    from skills_engine import getters

    lookups = ca.default_lookups()
    pinned_raw = getters.read_adzuna_raw()
    pinned, n_duplicates = ad.deduplicate(
        ad.normalise_adzuna(pinned_raw).pipe(ad.map_regions, lookups).pipe(ad.add_salaries)
    )
    pinned = ad.finalise(pinned)
    path = getters.raw_file("adzuna", "adverts_csv")
    result = ca.process_custom(ca.read_custom_raw(path, "adzuna_train_rev1"), lookups)
    assert len(pinned_raw) == 2499 and len(result.adverts) + len(result.rejected) == 2499
    assert len(result.adverts) == len(pinned)
    assert result.counts() == ({ca.REPOST: n_duplicates} if n_duplicates else {})
    mine, theirs = (
        frame.set_index("advert_id").sort_index().replace("", pd.NA).astype({"posted_date": "datetime64[ns]"})
        for frame in (result.adverts, pinned)
    )
    pd.testing.assert_frame_equal(mine, theirs)


@pytest.mark.mirror
def test_data_command_with_own_adverts_only_reports_counts_and_then_does_no_work(
    real_mirror, own, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from skills_engine import getters, paths
    from skills_engine.cli import app

    monkeypatch.setenv("SKILLS_ENGINE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    missing = tmp_path / "missing.yaml"
    missing.write_text("source: mine\ncolumns:\n  title: title\n  salary: pay\n")
    failed = runner.invoke(app, ["data", "--adverts", str(own / "plain.csv"), "--mapping", str(missing)])
    assert failed.exit_code == 1 and "'pay'" in failed.output and "plain.csv" in failed.output
    assert not (tmp_path / "data" / "raw").exists()  # failed before fetching anything

    args = ["data", "--adverts", str(own / "plain.csv"), "--mapping", "plain", "--adverts-only"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 rows read from 1 file(s), 4 kept, 2 rejected" in result.output
    assert "no title or description (first: plain.csv row 4)" in result.output
    table = getters.read_adverts()
    assert table["source"].unique().tolist() == ["custom"] and len(table) == 4
    report = getters.read_json(paths.sourcing_report())["adverts"]
    assert report["rows_read"] == {"custom": 6} and report["custom_adverts"]["rejected_by_reason"] == {
        "no title or description": 1,
        ca.REPOST: 1,
    }
    assert pd.read_csv(paths.rejected_adverts())["row"].tolist() == [4, 5]
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "nothing to do" in again.output
