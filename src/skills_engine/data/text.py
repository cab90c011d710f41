"""Text cleaning: advert HTML to plain text, safely and quickly.

The one cleaner of the project: sourcing uses :func:`html_to_text` on every advert, and the
skill extractor, the CLI and the API use :func:`clean_text` on whatever text they are given,
so a description is cleaned by the same rules wherever it comes from.
"""

from __future__ import annotations

import html
import re

#: Longest text kept (characters). The longest real advert in the corpus is about 30k
#: characters, so 100k keeps every real advert whole while a pasted 1 MB blob costs a bounded
#: time (and memory) in sourcing and extraction instead of minutes.
MAX_TEXT_CHARS = 100_000

_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/li|/h[1-6]|/div|/tr|/ul|/ol|p|li|h[1-6]|div|tr)\b[^>]*>", re.IGNORECASE)
# A closed <script> or <style> element is code, never advert text: it goes whole. An unclosed
# one is only a stray tag: dropping just the tag keeps the text after it (a parser would
# swallow everything up to the end of the advert as script).
_CODE_ELEMENTS = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_CODE_TAGS = re.compile(r"<\s*/?\s*(?:script|style)\b[^>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Control characters, NULs and U+FFFD (bytes that were not UTF-8) are junk: they become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def html_to_text(markup: object) -> str | None:
    """Plain text from an advert's HTML: tags stripped, entities decoded, blocks on new lines.

    Handles double-escaped HTML (``&lt;p&gt;`` as NHS Jobs publishes it), malformed tags and
    control characters. Returns ``None`` for missing or empty input.

    >>> html_to_text("&lt;p&gt;Band 5 &amp;amp; flexible&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Phlebotomy&lt;/li&gt;&lt;/ul&gt;")
    'Band 5 & flexible\\nPhlebotomy'
    >>> html_to_text("<b>unclosed <i>tags")
    'unclosed tags'
    >>> html_to_text(None) is None
    True
    """
    if markup is None or (isinstance(markup, float) and markup != markup):
        return None
    text = str(markup)[:MAX_TEXT_CHARS]
    # Entities can be escaped twice over (&amp;lt;p&amp;gt;); decode until stable.
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        from selectolax.lexbor import LexborHTMLParser as HTMLParser

        text = _CODE_TAGS.sub(" ", _CODE_ELEMENTS.sub(" ", text))
        text = _BLOCK_TAGS.sub(lambda m: "\n" + m.group(0), text)
        tree = HTMLParser(text)
        root = tree.body or tree.root
        text = root.text(separator="") if root is not None else ""
        text = html.unescape(text)
    text = _CONTROL.sub(" ", text)
    text = _WHITESPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n", text).strip()
    return text or None


def clean_text(text: object) -> str:
    """Text safe to scan for skills: :func:`html_to_text` of any input, ``""`` when there is none.

    Bytes are decoded as UTF-8 (undecodable bytes become spaces). Spans found in the result
    refer to the cleaned text, not the input.

    >>> clean_text("<ul><li>SQL &amp; Python</li><li>Agile</li></ul>")
    'SQL & Python\\nAgile'
    >>> clean_text(b"caf\\xe9 \\x00 barista"), clean_text(None)
    ('caf barista', '')
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return html_to_text(text) or ""
