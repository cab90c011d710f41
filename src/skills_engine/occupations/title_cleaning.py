"""Clean raw advert titles into canonical job titles, the first step of :mod:`.titles`.

:func:`clean_title` strips what adverts add to a job title (pay bands, salaries, places,
reference codes, contract and shift words, agency fluff) and returns a lower-case canonical
title; :func:`_key` is the matching key both the cleaning and the ESCO label index use, and
:func:`_variants` the strings looked up for one canonical title. Place names come from the
curated ``resources/uk_places.csv`` and the county and region names of
:data:`skills_engine.data.places.PLACE_ALIASES`, read through :mod:`skills_engine.getters`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from skills_engine import getters
from skills_engine.data.places import PLACE_ALIASES, normalise_place

#: Multiplier for a variant of the title rather than the title itself (one side of "A / B",
#: the part before "in"/"for"/"with", or "B A" for "A of B").
VARIANT_DECAY = 0.95

#: Major UK cities and towns that appear in titles, used when no gazetteer is fitted.
#: Knowledge, not data (``resources/uk_places.csv``); the fitted normaliser adds post towns
#: and Adzuna place names.
UK_PLACES: frozenset[str] = getters.read_uk_places()

# --- Noise patterns ---------------------------------------------------------------
# Applied in order to the lower-cased title; each replaced by a space.
_NOISE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\(.*?\)|\[.*?\]|\{.*?\}",  # parentheticals: "(maternity cover)", "(RGN)", "(London)"
        r"\*+",  # Adzuna masks numbers as ****
        r"[£$€]\s*[\d.,]+\s*k?\b(\s*(-|to)\s*[£$€]?\s*[\d.,]+\s*k?\b)?",  # salaries
        r"\b\d+(\.\d+)?\s*k\b(\s*(-|to)\s*\d+(\.\d+)?\s*k\b)?",  # 25k - 30k
        r"\b(up to|upto|plus|per|p/h|ph|p\.h\.?r?|phr|ote|doe|pro rata|salary|negotiable|benefits|bonus(es)?|"
        r"tips|plus car|company car|car allowance|per hour|per annum|pa|an hour|hourly)\b",
        r"\b(afc )?bands?\s*\d[a-d]?(\s*(-|/|to|and|&)\s*\d[a-d]?)*\b",  # Band 5, Bands 2-4, band 8a
        r"\bagenda for change\b|\bafc\b",
        r"\b(job\s*)?ref(erence)?\s*(no\.?|number)?\s*[:.#]?\s*[a-z0-9/_-]*\d[a-z0-9/_-]*",  # Ref: 1234
        r"\b[a-z]{0,4}\d{3,}[a-z0-9/_-]*\b",  # J12345, NO19571, 9999-X
        r"\b(maternity|paternity|sickness|secondment|career break)( leave)?( cover)?\b",
        r"\b(fixed[ -]?term( contract)?|ftc|temporary|temp|permanent|perm|contract|interim|secondment|"
        r"part[ -]?time|full[ -]?time|ft|pt|flexible hours|term time( only)?|zero hours?|bank holidays?)\b",
        r"\b\d+(\.\d+)?\s*(hours?|hrs?|months?|mths?|weeks?|wks?|days?|nights?)(\s*(per|a|p/?)\s*(week|wk|w))?\b",
        r"\b(hours?|hrs|per week|pw|wte|whole time equivalent)\b",
        r"\b(nights?|night shifts?|days|day shifts?|weekends?|long days|twilights?|days or nights|"
        r"days and nights|rotational shifts|straight shifts)\b",
        r"\bx\s?\d+\b|\b\d+\s?x\b|\b\d+\s+posts?\b|\bposts?\b|\bvacanc(y|ies)\b",
        r"\b(urgent(ly)?|immediate(ly)?( start)?|asap|required|wanted|needed|apply now|apply today|"
        r"new|excellent|fantastic|great|exciting|amazing|brilliant|top rates?|weekly pay|sign on|"
        r"immediately available|start asap|opportunity|opportunities|full training provided|"
        r"training provided|no experience( necessary| needed)?|jobs?|role|position|home based|"
        r"remote|hybrid|nationwide|various locations|multiple locations|relocation|full relocation)\b",
        r"\bstart[- ]?up\b|\bnhs( trust| foundation trust)?\b|\bhospital\b",
        r"[!?]+",
    )
)
#: Segment separators: a dash with space on at least one side, a pipe, a colon, a comma.
_SEGMENT_SPLIT = re.compile(r"\s+[-\u2013\u2014]+\s*|\s*[-\u2013\u2014]+\s+|\s*[|:;,]\s*|\s+/\s+(?=[a-z]+\s*/)")
_LOCUM_OR_BANK = re.compile(r"^(locum|bank)\s+(?=\w)")
#: Words after "bank" that make it part of a banking title, not the NHS staff bank.
_BANKING_WORDS = frozenset(
    "clerk teller cashier manager officer branch relationship lending mortgage loan "
    "investment banking reconciliation holiday".split()
)
_WORD_RE = re.compile(r"[a-z0-9]+")
_TOKEN_RE = re.compile(r"[a-z0-9]+|/")
#: Endings of English agent nouns ("-er", "-ist", "-ian") and UK abbreviations that end titles.
_JOB_ENDINGS = ("er", "or", "ist", "ian", "ant", "ent", "ive", "eon", "ife", "ef", "ee", "ary", "ic", "ot")
_JOB_WORDS = frozenset(
    "nurse gp rgn rmn hca odp sister lead head staff doctor midwife chef cook carer clerk "
    "therapist porter paralegal receptionist pa".split()
)


def _looks_like_job(words: list[str]) -> bool:
    """Whether a title segment ends in a job noun rather than a specialty, site or department.

    >>> _looks_like_job(["staff", "nurse"]), _looks_like_job(["emergency", "department"])
    (True, False)
    """
    last = _singular(words[-1]) if words else ""
    return last in _JOB_WORDS or (last.endswith(_JOB_ENDINGS) and not last.endswith("ment"))


def _fold(text: str) -> str:
    """Unicode-fold, fix the commonest mojibake and lower-case."""
    text = str(text).replace("Â£", "£").replace("Â", " ").replace("â€“", "-").replace("â€™", "'")
    text = unicodedata.normalize("NFKC", text)
    return text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")


def _singular(word: str) -> str:
    """Singular of a head noun: "nurses" -> "nurse", "sales" and "physics" unchanged.

    >>> [_singular(w) for w in ["nurses", "carers", "sales", "services", "analysis", "gps", "staff", "deputies"]]
    ['nurse', 'carer', 'sales', 'services', 'analysis', 'gp', 'staff', 'deputy']
    """
    if len(word) <= 3 and word.endswith("s") and word[:-1] in {"gp", "hca", "rgn", "rmn", "ot", "odp", "pa"}:
        return word[:-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "ics", "ous"))
        and word
        not in {
            "sales",
            "accounts",
            "lettings",
            "operations",
            "services",
            "logistics",
            "news",
            "arts",
            "goods",
            "works",
            "systems",
            "maths",
            "physics",
            "economics",
            "relations",
            "communications",
            "electronics",
            "grounds",
        }
    ):
        return word[:-1]
    return word


def _key(text: str) -> str:
    """Matching key: lower case, punctuation folded to spaces, last word singular.

    >>> _key("Nursing-Home Managers")
    'nursing home manager'
    >>> _key("Co-ordinator")
    'coordinator'
    >>> _key("Children's Nurse")
    'childrens nurse'
    """
    text = _fold(text).replace("co-ord", "coord").replace("co ord", "coord")
    words = _WORD_RE.findall(text)
    if words:
        words[-1] = _singular(words[-1])
    return " ".join(words)


def _strip_places(words: list[str], places: frozenset[str], max_len: int = 4) -> list[str]:
    """Drop place names: trailing ones always, inner ones when multi-word or a known city."""
    changed = True
    while changed and words:
        changed = False
        for n in range(min(max_len, len(words) - 1), 0, -1):
            if " ".join(words[-n:]) in places:
                words = words[:-n]
                changed = True
                break
            if (
                len(words) > n
                and words[-n - 1] in {"in", "near", "nr", "based", "around"}
                and " ".join(words[-n:]) in places
            ):
                words = words[: -n - 1]
                changed = True
                break
    # inner places ("deputy manager wigan nursing home"), only with a job word on both sides kept
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(max_len, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if 0 < i and phrase in places and (n > 1 or phrase in UK_PLACES or len(phrase) >= 6):
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out or words


def clean_title(raw: object, places: Iterable[str] | None = None) -> str:
    """Canonical lower-case job title: the title with pay, place, contract and agency noise removed.

    Parameters
    ----------
    raw
        Title as the advert wrote it.
    places
        Place names (lower case) to strip; defaults to :data:`UK_PLACES` and the county and
        region names in :data:`skills_engine.data.places.PLACE_ALIASES`.

    Returns
    -------
    str
        Canonical title ("" when nothing job-like is left). Alternatives stay separated by " / ".

    Examples
    --------
    >>> clean_title("Staff Nurse (Band 5) - Newcastle")
    'staff nurse'
    >>> clean_title("Band 7 Highly Specialist Physiotherapist")
    'highly specialist physiotherapist'
    >>> clean_title("RGN Job London **** p/h Days or Nights")
    'rgn'
    >>> clean_title("Commercial Litigation Paralegal - Kidderminster, West Midlands")
    'commercial litigation paralegal'
    >>> clean_title("URGENT!! Bank Healthcare Assistants x2 - NHS")
    'healthcare assistant'
    >>> clean_title("Graduate Media Sales Executive -TV Industry, Canary Wharf, Â£23k")
    'graduate media sales executive'
    >>> clean_title("Bank Clerk")
    'bank clerk'
    >>> clean_title("Occupational Therapist / Physiotherapist")
    'occupational therapist / physiotherapist'
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return ""
    place_set = frozenset(places) if places is not None else _DEFAULT_PLACES
    text = _fold(raw)
    for pattern in _NOISE_PATTERNS:
        text = pattern.sub(" ", text)
    segments = []
    for segment in _SEGMENT_SPLIT.split(text):
        words = _TOKEN_RE.findall(segment)
        words = [w for w in words if w not in {"and"}] if len(words) == 1 else words
        words = _strip_places([w for w in words], place_set)
        while words and words[-1] in {"in", "at", "for", "with", "and", "or", "of", "the", "to", "a", "/"}:
            words = words[:-1]
        while words and words[0] in {"and", "or", "the", "a", "/", "for", "in", "at", "of", "to", "with"}:
            words = words[1:]
        if words and not all(w in place_set or w.isdigit() for w in words):
            segments.append(words)
    if not segments:
        return ""
    # The first segment naming a job is the title; later ones are specialty, site or place.
    words = next((s for s in segments if _looks_like_job(s)), segments[0])
    text = " ".join(words).replace(" / ", "/")
    text = re.sub(r"\s*/\s*", " / ", text)
    # "Bank" (the NHS staff bank) and "locum" are noise before a role, not in "bank clerk".
    match = _LOCUM_OR_BANK.match(text)
    if match and not (match.group(1) == "bank" and set(text.split()[1:]) & _BANKING_WORDS):
        text = text[match.end() :]
    words = text.split()
    if words and words[-1] != "/":
        words[-1] = _singular(words[-1])
    return " ".join(words).strip(" /")


_DEFAULT_PLACES = frozenset(UK_PLACES | {normalise_place(k) for k in PLACE_ALIASES})


def gazetteer_places() -> set[str]:
    """Town names (normalised, 3+ letters) from the postcode districts table and Adzuna's location tree.

    Either source missing or unreadable is skipped, so a partial data folder still fits.
    """
    names: set[str] = set()
    try:
        districts = getters.read_postcode_districts()
        names |= {normalise_place(t) for t in districts.get("Post Town", pd.Series(dtype=str)).dropna()}
    except (FileNotFoundError, OSError, KeyError, ValueError):
        pass
    try:
        tree = getters.read_location_tree()
        names |= {normalise_place(p) for path in tree["path"] for p in list(path)[1:]}
    except (FileNotFoundError, OSError, KeyError, ValueError):
        pass
    return {n for n in names if len(n) >= 3}


#: Prepositions after which a title's qualifier starts ("staff nurse in gastroenterology").
_QUALIFIER_SPLIT = re.compile(r"\s+(?:in|for|with|at|within|to|on|covering|supporting|specialising in)\s+")


def _variants(title: str) -> list[tuple[str, float]]:
    """Strings to look up for one canonical title, each with a confidence multiplier.

    >>> _variants("staff nurse in gastroenterology")[:2]
    [('staff nurse in gastroenterology', 1.0), ('staff nurse', 0.95)]
    >>> [v for v, _ in _variants("teacher of math")]
    ['teacher of math', 'math teacher']
    >>> [v for v, _ in _variants("rgn / rmn staff nurse")]
    ['rgn rmn staff nurse', 'rgn', 'rmn staff nurse']
    """
    whole = " ".join(w for w in title.split() if w != "/")
    out = [(whole, 1.0)]
    if " / " in title:
        out += [(_key(part), VARIANT_DECAY) for part in title.split(" / ") if part.strip()]
    for text, _ in list(out):
        for part in (_QUALIFIER_SPLIT.split(text)[0], re.split(r"\s+or\s+", text)[0]):
            if part != text:
                out.append((_key(part), VARIANT_DECAY))
        match = re.fullmatch(r"(\w+) or \w+ (.+)", text)
        if match:
            out.append((_key(f"{match.group(1)} {match.group(2)}"), VARIANT_DECAY))
        match = re.fullmatch(r"(.+?) (?:team leader|team lead|lead|senior|facilitator)", text)
        if match:
            out += [(_key(match.group(1)), VARIANT_DECAY), (_key(f"{match.group(1)} manager"), VARIANT_DECAY)]
        match = re.fullmatch(r"(.+?) of (?:the )?(.+)", text)
        if match and match.group(1) not in {"head", "director"}:
            out.append((_key(f"{match.group(2)} {match.group(1)}"), VARIANT_DECAY))
    seen: dict[str, float] = {}
    for text, weight in out:
        if text and seen.get(text, 0) < weight:
            seen[text] = weight
    return list(seen.items())
