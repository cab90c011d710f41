"""Text cleaning: advert HTML to plain text, safely and quickly."""

from __future__ import annotations

import html
import re

#: Longest description kept (characters). The longest real advert in the corpus is about
#: 30k characters; anything beyond 100k is pasted junk and would only slow extraction.
MAX_DESCRIPTION_CHARS = 100_000

_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/li|/h[1-6]|/div|/tr|/ul|/ol|p|li|h[1-6]|div|tr)\b[^>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    text = str(markup)[:MAX_DESCRIPTION_CHARS]
    # Entities can be escaped twice over (&amp;lt;p&amp;gt;); decode until stable.
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        from selectolax.lexbor import LexborHTMLParser as HTMLParser

        text = _BLOCK_TAGS.sub(lambda m: "\n" + m.group(0), text)
        tree = HTMLParser(text)
        for node in tree.css("script, style"):
            node.decompose()
        root = tree.body or tree.root
        text = root.text(separator="") if root is not None else ""
        text = html.unescape(text)
    text = _CONTROL.sub(" ", text)
    text = _WHITESPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n", text).strip()
    return text or None
