"""HTML cleaning of advert descriptions."""

from __future__ import annotations

import pytest

from skills_engine.data.text import MAX_TEXT_CHARS, html_to_text


@pytest.mark.parametrize(
    "markup, expected",
    [
        ("<p>Care for patients</p><p>Take bloods</p>", "Care for patients\nTake bloods"),
        ("&lt;p&gt;Double &amp;amp; escaped&lt;/p&gt;", "Double & escaped"),
        ("<ul><li>Phlebotomy</li><li>ECGs</li></ul>", "Phlebotomy\nECGs"),
        ("Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"),
        ("<div><b>Bold</b> and <i>italic</i></div>", "Bold and italic"),
        ("Caf&eacute; &pound;9.50 &nbsp;per hour", "Café £9.50 per hour"),
        ("<p>unclosed <b>tags", "unclosed tags"),
        ("<script>alert(1)</script><p>Visible</p>", "Visible"),
        ("<style>p {color: red}</style>Text", "Text"),
        ("plain text, no tags", "plain text, no tags"),
        ("a\x00b\x07c", "a b c"),
        ("   ", None),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_html_to_text(markup, expected):
    assert html_to_text(markup) == expected


def test_very_long_input_is_capped():
    assert len(html_to_text("<p>" + "word " * 100_000 + "</p>")) <= MAX_TEXT_CHARS
