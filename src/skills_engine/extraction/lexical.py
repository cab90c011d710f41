"""Lexical stage: find ESCO preferred and alternative labels in text, fast.

Text and labels are cut into the same tokens and each token is reduced to its Snowball
stem, so "managing budgets" meets the label "manage budget" and "databases" meets
"database". Labels go into a token trie (a dict of stem tuples and the set of their
prefixes), so a scan costs one dict look-up per token plus one per extra matched token.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

#: Longest label (tokens) indexed. ESCO labels longer than this are descriptions in
#: disguise ("assist ... in ... for ...") and never occur verbatim in adverts.
MAX_LABEL_TOKENS = 10
#: A one-token label with capitals (an acronym or name such as "LESS", "Go", "Scratch") must
#: match case for case when its lower-case form is an ordinary word, i.e. when lower-case words
#: of its stem occur at least this many times in ESCO's own descriptions and labels; otherwise
#: "less" in "less than" would be tagged as the LESS style-sheet language, and "from scratch" as
#: the Scratch programming language. Word forms count ("scratches", "puppets"): counting the
#: bare word alone, Scratch (1), Puppet (2) and Unity (2) passed as names.
COMMON_WORD_MIN_COUNT = 3
#: One-token labels this short or shorter always match case for case ("R", "C", "Go").
SHORT_LABEL_CHARS = 2

# Tokens: runs of letters/digits, keeping the inner "." of "node.js" / "asp.net" and the
# "+"/"#" of "C++" / "C#"; hyphens and slashes split ("problem-solving" = "problem solving").
TOKEN_RE = re.compile(r"[^\W_](?:[^\W_]|[+#]|\.(?=[^\W_]))*[+#]*", re.UNICODE)
#: Sentence ends: terminal punctuation before a space, line breaks, bullets, semicolons.
_BULLETS = "\u2022\u25cf\u25aa\u25e6\u2023\u2043\u2219\u00b7\u27a2\u2713\u2714"
#: The leading look-ahead lets the engine reject most positions with one character test (every
#: alternative starts with white space or a delimiter); this made splitting 2.3x faster with the
#: same sentences on all 17,269 adverts with text.
SENTENCE_SPLIT_RE = re.compile(
    r"(?=[\s;|" + _BULLETS + r"])"
    r"(?:(?<=[.!?])\s+|\s*(?:[\n\r\u2028\u2029]+(?:\s*[-*>o]\s+)?|[;" + _BULLETS + r"]|\|)\s*|\s+[-*]\s+)"
)
#: Longest sentence (characters) handed on: a run-on bullet list with no punctuation is
#: cut into pieces of at most this size so that the semantic stage sees phrases it can read.
MAX_SENTENCE_CHARS = 400

_STOP = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the their this to was "
    "were will with within your you our we us they them who which what when where how all any each "
    "other such than too very can may must should would could shall not no nor so if but also etc".split()
)


def _stemmer():
    # PyStemmer is the C build of the Snowball stemmers: the same stems, ~50x faster.
    import Stemmer

    return Stemmer.Stemmer("english")


class _Stems:
    """Token -> stem with a cache; advert vocabulary is Zipfian, so hits dominate."""

    #: Entries kept before the cache is cleared: bounds memory on junk input.
    MAX_CACHE = 500_000

    def __init__(self) -> None:
        self._stem = _stemmer().stemWord
        self._cache: dict[str, str] = {}

    def __call__(self, token: str) -> str:
        key = self._cache.get(token)
        if key is None:
            lower = token.lower()
            # Snowball expects letters; leave "c++", "node.js", "3d" and non-Latin script as is.
            key = self._stem(lower) if lower.isascii() and lower.isalpha() else lower
            if len(self._cache) >= self.MAX_CACHE:
                self._cache.clear()
            self._cache[token] = key
        return key


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences and list items, each at most ``MAX_SENTENCE_CHARS``.

    >>> text = "We need SQL. You will:\\n- lead a team\\n- write Java"
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['We need SQL.', 'You will:', 'lead a team', 'write Java']
    """
    spans = []
    start = 0
    for match in SENTENCE_SPLIT_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while b - a > MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", a, a + MAX_SENTENCE_CHARS)
            cut = cut if cut > a else a + MAX_SENTENCE_CHARS
            out.append((a, cut))
            a = cut + 1
        out.append((a, b))
    # Trim and drop pieces with no word in them.
    result = []
    for a, b in out:
        piece = text[a:b]
        stripped = piece.strip()
        if stripped and TOKEN_RE.search(stripped):
            a += len(piece) - len(piece.lstrip())
            result.append((a, a + len(stripped)))
    return result


@dataclass(frozen=True)
class Match:
    """One label found in a text: ESCO skill row, character span, and which label matched."""

    skill: int
    start: int
    end: int
    preferred: bool
    n_tokens: int


#: Marks an index entry that must match its one plain word exactly (or its plural).
PLAIN_WORD = "\x00word:"


def one_word_job_titles(occupations: pd.DataFrame) -> list[str]:
    """ESCO occupation labels (preferred and alternative) of one word, lower case: "chef", "nurse".

    >>> one_word_job_titles(pd.DataFrame({"preferred_label": ["chef", "sous chef"], "alt_labels": [["cook"], None]}))
    ['chef', 'cook']
    """
    labels = pd.concat([occupations["preferred_label"], occupations["alt_labels"].explode()]).dropna()
    return sorted({str(label).lower() for label in labels if len(TOKEN_RE.findall(str(label))) == 1})


def ordinary_word_stems(taxonomy: pd.DataFrame, stems: Callable[[str], str]) -> Counter:
    """How often ESCO itself uses each stem as an ordinary, lower-case word.

    Counts the lower-case tokens of every description and every preferred and alternative
    label, by stem: "scratches" and "scratch" both count for "scratch".

    >>> esco = pd.DataFrame({"preferred_label": ["fix scratches", "Scratch"], "alt_labels": [["mend a scratch"], []],
    ...                      "description": ["Remove scratches.", "A language; Scratch is visual."]})
    >>> counts = ordinary_word_stems(esco, _Stems())
    >>> counts["scratch"], counts["languag"]
    (3, 1)
    """
    labels = pd.concat([taxonomy["preferred_label"], taxonomy["alt_labels"].explode()]).dropna().astype(str)
    texts = [*taxonomy.get("description", pd.Series(dtype=str)).fillna("").astype(str), *labels]
    return Counter(stems(token) for text in texts for token in TOKEN_RE.findall(text) if token.islower())


class LexicalMatcher:
    """Token-trie matcher over ESCO preferred and alternative labels.

    Parameters
    ----------
    use_alt_labels : bool
        Index alternative labels as well as preferred labels.

    Attributes
    ----------
    index_ : dict
        Stem tuple -> list of ``(skill row, preferred?, surface needed or None)``.
    trie_ : dict
        The same labels as a trie of nested dicts keyed by stem (``None`` holds the entries).

    Examples
    --------
    >>> taxonomy = pd.DataFrame({"preferred_label": ["manage budgets", "SQL", "LESS"],
    ...                          "alt_labels": [["budget management"], [], []],
    ...                          "description": ["Plan and monitor less money.", "", ""]})
    >>> m = LexicalMatcher().fit(taxonomy)
    >>> [(x.skill, x.start, x.end) for x in m.find("Managing budgets, sql and less SQL")]
    [(0, 0, 16), (1, 18, 21), (1, 31, 34)]

    Names that stemming would turn into ordinary words match case for case, and one-word
    labels that are job titles are left out:

    >>> tools = pd.DataFrame({"preferred_label": ["optoelectronic devices", "Chef (configuration tool)", "Solidity"],
    ...                       "alt_labels": [["LEDs"], ["Chef"], []],
    ...                       "description": ["Devices led by light.", "", "A solid language."]})
    >>> m = LexicalMatcher().fit(tools, job_titles=["chef"])
    >>> [(x.skill, x.start, x.end) for x in m.find("A nurse-led clinic fitting LEDs; Chef wanted, solid Solidity")]
    [(0, 27, 31), (2, 52, 60)]

    Other names match in any case, as themselves, not through a stem shared with other words:

    >>> names = LexicalMatcher().fit(pd.DataFrame({"preferred_label": ["STAF", "Jenkins"], "alt_labels": [[], []]}))
    >>> [(x.skill, x.start) for x in names.find("Staffing by STAF, staf and jenkins; Jenkin")]
    [(0, 12), (0, 18), (1, 27)]
    """

    def __init__(self, use_alt_labels: bool = True):
        self.use_alt_labels = use_alt_labels

    def fit(self, taxonomy: pd.DataFrame, job_titles: Iterable[str] = ()) -> LexicalMatcher:
        """Index the labels of ``taxonomy`` (``preferred_label``, ``alt_labels``, ``description``).

        ``job_titles``: one-word occupation titles ("chef", "nurse"). A one-word skill label that
        is also a job title is left out: adverts name their own job everywhere, and "Chef" (the
        configuration tool) would be found in every kitchen advert.
        """
        stems = _Stems()
        titles = {title.lower() for title in job_titles}
        frame = taxonomy.reset_index(drop=True)
        ordinary = ordinary_word_stems(frame, stems)
        index: dict[tuple[str, ...], list[tuple[int, bool, str | None]]] = {}
        for row, (preferred, alts) in enumerate(zip(frame["preferred_label"], frame["alt_labels"])):
            labels = [(preferred, True)]
            if self.use_alt_labels and alts is not None:
                labels += [(alt, False) for alt in alts if alt]
            for label, is_preferred in labels:
                tokens = TOKEN_RE.findall(str(label))
                if not tokens or len(tokens) > MAX_LABEL_TOKENS:
                    continue
                key = tuple(stems(token) for token in tokens)
                if all(token.lower() in _STOP for token in tokens):
                    continue
                surface = None
                if len(tokens) == 1 and tokens[0].lower() in titles:
                    continue
                if len(tokens) == 1 and not tokens[0].islower() and key[0] != tokens[0].lower() and key[0] in ordinary:
                    # A name that stemming turns into an ordinary word's stem ("LEDs" -> "led",
                    # "Solidity" -> "solid") would match that word ("nurse-led", "solid
                    # experience"): case for case. "Jenkins" -> "jenkin" collides with nothing.
                    surface = tokens[0]
                elif len(tokens) == 1 and not tokens[0].islower():
                    lower = tokens[0].lower()
                    if (
                        len(lower) <= SHORT_LABEL_CHARS
                        or lower in ENGLISH_STOP_WORDS
                        or ordinary[stems(lower)] >= COMMON_WORD_MIN_COUNT
                    ):
                        surface = tokens[0]
                    else:
                        # Names do not inflect: in any case, but as the name itself or its plural,
                        # never through a stem other words share ("staffing" -> "staf" is not STAF).
                        surface = PLAIN_WORD + lower
                elif len(tokens) == 1 and len(tokens[0]) <= SHORT_LABEL_CHARS:
                    # Lower-case one- or two-letter labels ("ml") are too ambiguous to use.
                    continue
                elif len(tokens) == 1:
                    # One ordinary word is too ambiguous as an alternative label ("experience",
                    # "current", "bank", "balance" all name unrelated ESCO skills), and stems
                    # conflate words ("experience"/"experiment"): a lower-case one-word label is
                    # used only when it is the preferred label, matched as the word itself or its plural.
                    if not is_preferred:
                        continue
                    surface = PLAIN_WORD + tokens[0]
                entry = (row, is_preferred, surface)
                bucket = index.setdefault(key, [])
                if entry not in bucket:
                    bucket.append(entry)
        self.index_ = index
        # A trie of nested dicts (stem -> child; None -> the labels ending here): walking it
        # needs one dict look-up per token instead of hashing ever longer tuples.
        trie: dict = {}
        for key, hits in index.items():
            node = trie
            for stem in key:
                node = node.setdefault(stem, {})
            node[None] = hits
        self.trie_ = trie
        self._stems = stems
        return self

    def tokens(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str, str]]:
        """``(start, end, surface, stem)`` for each token of ``text[start:end]``."""
        matches = list(TOKEN_RE.finditer(text, start, len(text) if end is None else end))
        surfaces = [m.group() for m in matches]
        return [(m.start(), m.end(), w, k) for m, w, k in zip(matches, surfaces, self._keys(surfaces))]

    def _keys(self, surfaces: list[str]) -> list[str]:
        cache, stems = self._stems._cache, self._stems
        keys = list(map(cache.get, surfaces))
        if None in keys:
            keys = [k if k is not None else stems(w) for w, k in zip(surfaces, keys)]
        return keys

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Match]:
        """Every label occurrence in ``text[start:end]`` (overlaps kept), in text order."""
        matches = list(TOKEN_RE.finditer(text, start, len(text) if end is None else end))
        surfaces = [m.group() for m in matches]
        keys = self._keys(surfaces)
        n = len(keys)
        found = []

        def accept(hits, i, j):
            for skill, preferred, surface in hits:
                if surface is not None and surface.startswith(PLAIN_WORD):
                    word, seen = surface[len(PLAIN_WORD) :], surfaces[i].lower()
                    if seen not in (word, word + "s", word + "es"):
                        continue
                    found.append(Match(skill, matches[i].start(), matches[j - 1].end(), preferred, j - i))
                elif (
                    surface is None or surface == surfaces[i] or (surface.isupper() and surfaces[i] == surface.upper())
                ):
                    found.append(Match(skill, matches[i].start(), matches[j - 1].end(), preferred, j - i))

        # Most tokens start no label: a dict membership test per token (in C) settles them.
        trie = self.trie_
        for i in [i for i, k in enumerate(keys) if k in trie]:
            node, j = trie[keys[i]], i + 1
            while True:
                hits = node.get(None)
                if hits:
                    accept(hits, i, j)
                if j == n:
                    break
                node = node.get(keys[j])
                if node is None:
                    break
                j += 1
        return found
