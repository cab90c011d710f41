"""The reader-table helper: what a stakeholder sees of every table a notebook shows."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from skills_engine.publish import tables
from skills_engine.publish.tables import reader_table

LONG_FLOAT = re.compile(r"\d+\.\d{4,}")


def _cells(styler) -> tuple[list[str], list[list[str]], HTMLParser]:
    tree = HTMLParser(styler.to_html())
    header = [th.text(strip=True) for th in tree.css("thead th")]
    # a cell's text as a browser shows it: an interval sits in its own span after a space
    rows = [[" ".join(td.text().split()) for td in tr.css("td, th")] for tr in tree.css("tbody tr")]
    return header, rows, tree


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "occupation": ["nurse", "care worker", None],
            "adverts": [12345.0, 10.0, np.nan],
            "share": [0.12345, 0.009, np.nan],
            "change": [0.031, -0.012, None],
            "median_gbp": [28499.6, 21000.0, np.nan],
            "lq": [1.3412, 0.8765, np.nan],
            "lq_low": [1.15, 0.7, np.nan],
            "lq_high": [1.5249, 1.01, np.nan],
            "ratio": [0.123456789, 2.5, np.nan],
            "suppressed": [False, False, True],
        },
        index=[7, 3, 9],
    )


def test_an_empty_table_is_a_sentence(frame):
    shown = reader_table(frame.iloc[0:0], empty="No occupation passes the rules.")
    assert shown.data == "No occupation passes the rules."
    assert shown._repr_markdown_() == "No occupation passes the rules."


def test_formats_counts_percents_money_and_one_interval_column(frame):
    shown = reader_table(
        frame,
        {
            "occupation": "Occupation",
            "adverts": "Adverts",
            "share": "Share",
            "change": "Change",
            "median_gbp": "Median salary",
            "lq_ci": "LQ [95% interval]",
            "ratio": "Ratio",
        },
        counts=["adverts"],
        percents=["share"],
        signed_percents=["change"],
        money=["median_gbp"],
        intervals={"lq_ci": ("lq", "lq_low", "lq_high")},
        caption="Source: test data; n = 3 adverts.",
    )
    header, rows, _ = _cells(shown)
    assert header == ["Occupation", "Adverts", "Share", "Change", "Median salary", "LQ [95% interval]", "Ratio"]
    assert rows[0] == ["nurse", "12,345", "12.3%", "+3.1%", "£28,500", "1.34 [1.15–1.52]", "0.12"]
    assert rows[1] == ["care worker", "10", "0.9%", "−1.2%", "£21,000", "0.88 [0.70–1.01]", "2.50"]
    assert rows[2] == ["–"] * 7  # missing values read as a dash, never nan or None


def test_html_has_no_index_a_caption_and_the_reader_class(frame):
    header, rows, tree = _cells(reader_table(frame, caption="Source: test data; n = 3 adverts."))
    table = tree.css_first("table")
    assert table.attributes["class"] == "reader-table"
    assert tree.css_first("caption").text(strip=True) == "Source: test data; n = 3 adverts."
    assert not tree.css("th.row_heading") and not tree.css("tbody th") and not tree.css("th.blank")
    assert header[0] == "occupation" and len(rows[0]) == len(frame.columns)
    assert all(cell not in {"7", "3", "9"} for cell in (row[0] for row in rows))
    text = table.text(separator=" ")
    assert not re.search(r"\b(nan|NaN|None|NaT)\b|<NA>", text)
    assert not LONG_FLOAT.search(text)
    assert "overflow-x: auto" in tree.css_first("style").text()  # wide tables scroll, in any page


def test_a_cell_may_break_before_its_interval_but_never_inside_it(frame):
    shown = reader_table(
        frame.assign(lead=["+1.5 [+0.5, +2.6]", "nurse [band 5] x", None]),
        {"occupation": "Occupation", "lq_ci": "LQ", "share_ci": "Share", "lead": "Lead"},
        intervals={"lq_ci": ("lq", "lq_low", "lq_high")},
        percent_intervals={"share_ci": ("share", "lq_low", "lq_high")},
        figures=["lead"],
    )
    _, _, tree = _cells(shown)
    kept_whole = [span.text() for span in tree.css("td span.interval")]
    assert kept_whole == ["[1.15–1.52]", "[115.0%–152.5%]", "[+0.5, +2.6]", "[0.70–1.01]", "[70.0%–101.0%]"]
    for span in tree.css("td span.interval"):
        assert span.parent.text().split(" [")[0].strip()  # the estimate stays outside, free to wrap
    style = tree.css_first("style").text()
    assert re.search(r"span\.interval \{\s*white-space: nowrap;", style)
    assert shown.data["LQ"].iloc[0] == "1.34 [1.15–1.52]"  # the table's text is untouched


def test_percents_never_show_more_than_one_decimal_and_numbers_at_most_three():
    assert tables.format_percent(0.123456, decimals=4) == "12.3%"
    assert tables.format_number(0.123456, decimals=6) == "0.123"
    assert tables.format_interval(0.61234, 0.58111, 0.64333, percent=True) == "61.2% [58.1%–64.3%]"
    assert tables.format_interval(0.41234, 0.39871, 0.42777, decimals=3) == "0.412 [0.399–0.428]"
    assert tables.format_percent(-0.0001, signed=True) == "0.0%"


def test_every_kind_of_figure_signs_a_loss_with_a_true_minus_before_its_unit_and_leaves_zero_unsigned():
    losses = pd.DataFrame({"change": [-1500.0, -0.4], "share": [-0.052, -0.0001], "pay": [-1500.0, -0.4]})
    shown = tables.reader_table(losses, counts=["change"], signed_percents=["share"], money=["pay"])
    _, rows, _ = _cells(shown)
    # "£-1,500" was how a negative amount read: the sign sat after the pound sign, out of sight
    # of a check on the first character
    assert rows == [["−1,500", "−5.2%", "−£1,500"], ["0", "0.0%", "£0"]]
    assert not any("-" in cell for row in rows for cell in row)


def test_named_index_becomes_a_column_and_suppressed_rows_say_so(frame):
    pivot = frame.set_index("occupation").rename_axis("job")[["adverts", "median_gbp", "suppressed"]].iloc[:2]
    header, rows, _ = _cells(reader_table(pivot, {"job": "Job", "adverts": "Adverts"}, counts=["adverts"]))
    assert header == ["Job", "Adverts"] and rows == [["nurse", "12,345"], ["care worker", "10"]]
    _, rows, _ = _cells(reader_table(frame, {"occupation": "Occupation", "median_gbp": "Median"}, money=["median_gbp"],
                                     suppressed="suppressed"))  # fmt: skip
    assert rows[2] == ["–", "suppressed"]


def test_max_rows_says_so_in_the_caption(frame):
    shown = reader_table(frame, {"occupation": "Occupation"}, caption="Source: test.", max_rows=2)
    assert len(shown.data) == 2
    assert shown.caption == "Source: test. First 2 of 3 rows shown."


def test_a_misnamed_column_is_refused(frame):
    with pytest.raises(KeyError, match="no column 'skill'"):
        reader_table(frame, {"skill": "Skill"})


def test_object_columns_with_floats_lists_and_dates_read_cleanly():
    odd = pd.DataFrame(
        {"mixed": [0.123456, "text", None], "items": [["a", "b"], [], None], "when": pd.to_datetime(["2020-11-03", None, "2021-01-01"])}
    )  # fmt: skip
    _, rows, _ = _cells(reader_table(odd))
    assert rows == [["0.12", "a, b", "2020-11-03"], ["text", "–", "–"], ["–", "–", "2021-01-01"]]


def test_the_styler_renders_as_html_in_a_notebook(frame):
    shown = reader_table(frame, caption="c")
    assert 'class="reader-table"' in shown._repr_html_()
    assert shown._repr_html_() == reader_table(frame, caption="c")._repr_html_()  # reproducible outputs


def test_a_repeated_index_is_no_trouble(frame):
    doubled = pd.concat([frame, frame])
    _, rows, _ = _cells(reader_table(doubled, {"occupation": "Occupation", "adverts": "Adverts"}, counts=["adverts"]))
    assert [row[1] for row in rows] == ["12,345", "10", "–"] * 2
