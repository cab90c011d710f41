"""Map raw advert titles to a canonical job title and an ESCO occupation (with ISCO-08 and SOC 2010).

Two steps:

* :func:`clean_title` strips what adverts add to a job title (pay bands, salaries, places,
  reference codes, contract and shift words, agency fluff) and returns a lower-case canonical title.
* :class:`TitleNormaliser` matches the canonical title to ESCO occupation labels, most reliable
  route first, each recorded in ``method``:

  ``exact label`` / ``alt label``
      the title (or one of its variants) is an ESCO preferred or alternative label;
  ``synonym``
      the title is a UK title term from :data:`UK_TITLE_SYNONYMS` (ESCO lacks much UK and NHS
      vocabulary: "staff nurse", "HCA", "registered manager", "sous chef");
  ``head match``
      after dropping leading modifiers ("critical care research *nurse*") or trailing
      qualifiers, what is left is a label or synonym; confidence falls with every word dropped;
  ``fuzzy``
      rapidfuzz similarity to a label with the same head noun (catches typos, word order);
  ``tfidf``
      nearest label by character n-gram TF-IDF cosine, again only among labels that contain
      the title's head noun, so "nurse" never lands on "nursery worker".

Titles repeat a great deal (43,780 adverts have about 29,000 distinct titles and fewer distinct
canonical titles, about 19,000), so :meth:`TitleNormaliser.transform` matches each canonical title
once: all 43,780 adverts take about 12 seconds on one core.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd

from skills_engine.data.places import PLACE_ALIASES, normalise_place

# --- Thresholds (confidence is on a 0-1 scale; rapidfuzz scores on 0-100) -----------------
#: Confidence of a title that is exactly an ESCO preferred label: nothing is guessed.
EXACT_PREFERRED_CONFIDENCE = 1.0
#: Confidence of an exact ESCO alternative label: ESCO alt labels include loose and shared
#: terms ("solicitor" is an alt label of three occupations), so a little below a preferred label.
EXACT_ALT_CONFIDENCE = 0.95
#: Confidence lost (per extra occupation) when an alt label belongs to several occupations and
#: we pick one of them by similarity of its preferred label.
AMBIGUOUS_ALT_PENALTY = 0.05
#: Lowest confidence an ambiguous alt label can fall to, so it stays above fuzzy matches.
AMBIGUOUS_ALT_FLOOR = 0.8
#: Confidence of the hand-written UK synonym table: curated, but a UK term can cover more than
#: one ESCO occupation ("support worker").
SYNONYM_CONFIDENCE = 0.95
#: Multiplier for dropping leading words to reach a label. English job titles put the head noun
#: last, so "gastroenterology dietitian" is nearly always a dietitian: the first dropped word
#: costs 0.9 and each further one only :data:`EXTRA_WORD_DECAY`, so a long specialty prefix
#: ("covid 19 community testing healthcare assistant") still beats a TF-IDF guess.
HEAD_MATCH_DECAY = 0.9
#: Multiplier for dropping trailing words. Trailing words are less often noise than leading
#: modifiers ("manager" in "nurse home manager" is the head), so the first costs more.
TRAILING_DROP_DECAY = 0.8
#: Multiplier for every dropped word after the first on either side.
EXTRA_WORD_DECAY = 0.97
#: rapidfuzz ratio (0-100) every word of a title must reach against some word of a fuzzy
#: match, so a typo passes ("occupattional") but a different word does not ("vision" vs
#: "television" is 75).
FUZZY_WORD_MIN_SCORE = 80
#: Multiplier for a variant of the title rather than the title itself (one side of "A / B",
#: the part before "in"/"for"/"with", or "B A" for "A of B").
VARIANT_DECAY = 0.95
#: Confidence at or above which a lexical match (exact, synonym, head match) is kept without
#: trying fuzzy and TF-IDF; below it the best of all routes wins.
LEXICAL_ACCEPT_CONFIDENCE = 0.7
#: Lowest rapidfuzz ``ratio`` (0-100) between title and a same-head label. At 88 one or two
#: typos in a two-word title pass ("occupattional therapist"); lower lets in different
#: occupations with the same head ("care worker" vs "cave worker" is 91, but both are checked
#: against the head too).
FUZZY_MIN_SCORE = 88
#: Fuzzy confidence = score / 100 x this weight: a fuzzy match is never as sure as an exact one.
FUZZY_WEIGHT = 0.85
#: Lowest rapidfuzz ratio (0-100) for two head nouns to count as the same word (spelling
#: variants: "dietician"/"dietitian" 89, "co-ordinator"/"coordinator" 92).
HEAD_FUZZY_MIN_SCORE = 85
#: Lowest TF-IDF cosine (0-1) between title and label character n-grams. Below about 0.55
#: neighbours share only the head noun and a few letters.
TFIDF_MIN_COSINE = 0.55
#: TF-IDF confidence = cosine x this weight: the least reliable route.
TFIDF_WEIGHT = 0.8
#: Character n-gram range for TF-IDF: 3-5 letters catch stems ("physio", "radiog") and typos.
TFIDF_NGRAM_RANGE = (3, 5)
#: Labels compared per title in TF-IDF before the head-noun guard; enough that the guard
#: rarely empties the list, small enough to stay cheap.
TFIDF_TOP_K = 20
#: Rows per block in the TF-IDF similarity product: 1,000 x ~35,000 labels of float32 is
#: 140 MB at worst, affordable on a shared machine.
TFIDF_BLOCK_ROWS = 1_000
#: Default minimum confidence to report an occupation: below 0.5 the match is a guess more
#: often than not on the hand-labelled sample.
DEFAULT_MIN_CONFIDENCE = 0.5

# --- Hand-written knowledge ----------------------------------------------------------
#: UK and NHS title terms that ESCO lacks or files under the wrong occupation, mapped to ESCO
#: preferred labels. Knowledge of UK job titles, not data; keys are in :func:`_key` form.
UK_TITLE_SYNONYMS: dict[str, str] = {
    # registered nurses (ESCO: nurse responsible for general care)
    **dict.fromkeys(
        [
            "nurse", "staff nurse", "registered nurse", "rgn", "rmn", "rn", "rnld", "rscn", "rsc",
            "registered general nurse", "registered mental health nurse", "mental health nurse",
            "community mental health nurse", "cmhn", "paediatric nurse", "paediatric staff nurse",
            "childrens nurse", "child nurse", "learning disability nurse", "theatre nurse",
            "scrub nurse", "recovery nurse", "ward nurse", "district nurse", "community nurse",
            "sister", "ward sister", "charge nurse", "deputy sister", "senior sister", "ward manager",
            "deputy ward manager", "nurse practitioner", "general nurse", "adult nurse",
            "registered nurse rgn", "rgn nurse", "rmn nurse", "nurse rgn", "nurse rmn",
            "neonatal nurse", "dialysis nurse", "renal nurse", "night nurse", "bank nurse",
            "newly qualified nurse", "student nurse", "preceptorship nurse", "clinical nurse",
            "community staff nurse", "theatre staff nurse", "team leader nurse", "nurse team leader",
        ],
        "nurse responsible for general care",
    ),
    **dict.fromkeys(
        ["clinical nurse specialist", "cns", "nurse specialist", "specialist nurse practitioner",
         "school nurse", "health visitor", "macmillan nurse", "tissue viability nurse"],
        "specialist nurse",
    ),
    **dict.fromkeys(
        ["nurse consultant", "advanced nurse practitioner", "anp", "matron", "research nurse",
         "clinical research nurse", "lead nurse"],
        "advanced nurse practitioner",
    ),
    # healthcare and nursing support
    **dict.fromkeys(
        ["healthcare assistant", "health care assistant", "hca", "care assistant", "senior care assistant",
         "clinical support worker", "healthcare support worker", "health care support worker",
         "nursing auxiliary", "auxiliary nurse"],
        "healthcare assistant",
    ),
    **dict.fromkeys(["nursing assistant", "nurse associate", "nursing associate", "assistant practitioner",
                     "associate practitioner"], "nurse assistant"),
    # social care
    **dict.fromkeys(["support worker", "carer", "care worker", "senior carer", "senior support worker",
                     "support assistant", "care support worker", "night support worker"], "social care worker"),
    **dict.fromkeys(["community support worker", "outreach worker"], "adult community care worker"),
    **dict.fromkeys(["home carer", "homecare worker", "home care worker", "domiciliary carer", "live in carer",
                     "live in care worker", "home care assistant", "domiciliary care assistant"],
                    "care at home worker"),
    **dict.fromkeys(["residential assistant", "residential worker", "residential care worker",
                     "care home worker"], "residential care home worker"),
    **dict.fromkeys(["registered manager", "home manager", "care home manager", "nursing home manager",
                     "deputy home manager", "registered care manager"], "elderly home manager"),
    **dict.fromkeys(["recovery worker", "support and recovery worker", "mental health worker",
                     "community mental health worker", "mental health support worker"],
                    "mental health support worker"),
    **dict.fromkeys(["amhp", "approved mental health professional", "approved mental health practitioner"],
                    "mental health social worker"),
    **dict.fromkeys(["safeguarding social worker", "childrens social worker", "child protection social worker"],
                    "child care social worker"),
    **dict.fromkeys(["contact worker", "supervised contact worker"], "family support worker"),
    # doctors: ESCO has one "specialised doctor" for every hospital specialty and grade
    **dict.fromkeys(
        ["doctor", "specialty doctor", "speciality doctor", "specialty registrar", "registrar", "consultant",
         "clinical fellow", "junior doctor", "foundation doctor", "trust grade doctor", "staff grade doctor",
         "physician", "consultant physician", "surgeon", "anaesthetist", "psychiatrist", "paediatrician",
         "radiologist", "histopathologist", "cardiologist", "oncologist", "dermatologist", "geriatrician",
         "haematologist", "neurologist", "ophthalmologist", "rheumatologist", "urologist",
         "gastroenterologist", "intensivist", "obstetrician", "gynaecologist", "endocrinologist",
         "nephrologist", "orthopaedic surgeon", "respiratory physician", "medical consultant"],
        "specialised doctor",
    ),
    **dict.fromkeys(["gp", "salaried gp", "gp partner", "locum gp", "general practitioner"], "general practitioner"),
    # therapies
    **dict.fromkeys(["pwp", "psychological wellbeing practitioner", "cbt therapist", "cbt",
                     "high intensity therapist", "cognitive behavioural therapist", "iapt therapist",
                     "family therapist", "systemic family practitioner", "systemic practitioner",
                     "psychological therapist"], "psychotherapist"),
    **dict.fromkeys(["physio", "msk physiotherapist", "rotational physiotherapist"], "physiotherapist"),
    **dict.fromkeys(["ot", "rotational occupational therapist"], "occupational therapist"),
    **dict.fromkeys(["slt", "speech therapist", "speech and language therapist"], "speech and language therapist"),
    **dict.fromkeys(["reablement practitioner", "reablement worker", "reablement assistant"],
                    "rehabilitation support worker"),
    # NHS support services
    **dict.fromkeys(["medical secretary", "ward clerk", "ward administrator", "ward team administrator",
                     "medical administrator", "clinic administrator", "patient administrator"],
                    "medical administrative assistant"),
    **dict.fromkeys(["domestic assistant", "ward domestic", "cleaner", "housekeeping assistant"], "building cleaner"),
    **dict.fromkeys(["clinical pharmacist", "pharmacist"], "pharmacist"),
    # hospitality
    **dict.fromkeys(["sous chef", "junior sous chef", "junior sous", "sous", "chef de partie", "cdp",
                     "demi chef de partie", "commis chef", "commis", "senior chef de partie", "chef"], "chef"),
    # driving and logistics
    **dict.fromkeys(["hgv driver", "class 1 driver", "class 2 driver", "lgv driver", "c e driver",
                     "hgv class 1 driver", "hgv class 2 driver", "class 1 hgv driver"], "cargo vehicle driver"),
    **dict.fromkeys(["flt driver", "forklift driver", "flt operator", "counterbalance driver"], "forklift operator"),
    # legal, finance, office
    **dict.fromkeys(["solicitor", "family solicitor", "family law solicitor", "associate solicitor",
                     "trainee solicitor"], "lawyer"),
    **dict.fromkeys(["conveyancer", "residential conveyancer", "conveyancing assistant"], "conveyance clerk"),
    "legal secretary": "legal administrative assistant",
    **dict.fromkeys(["accounts assistant", "finance assistant", "accounts payable assistant",
                     "purchase ledger clerk", "sales ledger clerk", "accounts payable clerk",
                     "purchase ledger assistant", "sales ledger assistant"], "accounting assistant"),
    **dict.fromkeys(["payroll administrator", "payroll officer", "payroll assistant"], "payroll clerk"),
    **dict.fromkeys(["credit controller", "credit control"], "credit manager"),
    **dict.fromkeys(["chief financial officer", "cfo", "finance director"], "financial manager"),
    **dict.fromkeys(["paraplanner"], "financial planner"),
    **dict.fromkeys(["hr business partner", "hr manager", "head of hr"], "human resources manager"),
    **dict.fromkeys(["hr advisor", "hr adviser", "hr officer", "hr generalist"], "human resources officer"),
    **dict.fromkeys(["hr administrator", "hr assistant", "hr coordinator"], "human resources assistant"),
    **dict.fromkeys(["recruitment consultant", "trainee recruitment consultant", "recruiter", "resourcer",
                     "recruitment account manager", "recruitment advisor", "recruitment adviser",
                     "recruitment executive"], "recruitment consultant"),
    "buyer": "purchaser",
    "account manager": "sales account manager",
    **dict.fromkeys(["lab technician", "laboratory technician", "laboratory assistant"],
                    "scientific laboratory technician"),
    **dict.fromkeys(["customer service advisor", "customer service adviser", "customer service executive",
                     "customer service assistant", "customer services advisor", "customer service agent",
                     "customer advisor", "customer adviser"], "customer service representative"),
    **dict.fromkeys(["sales executive", "sales consultant", "field sales executive", "new business sales executive",
                     "trainee sales executive", "sales representative", "sales rep"], "commercial sales representative"),
    **dict.fromkeys(["lettings negotiator", "lettings agent", "letting negotiator"], "letting agent"),
    **dict.fromkeys(["estate agent", "sales negotiator"], "real estate agent"),
    # IT and engineering
    **dict.fromkeys(["it support technician", "it technician", "it support", "ict technician",
                     "desktop support technician", "it support engineer"], "ICT technician"),
    **dict.fromkeys(["java developer", "net developer", "c developer", "php developer", "python developer",
                     "developer", "software engineer", "programmer", "front end developer", "back end developer",
                     "full stack developer", "software developer"], "software developer"),
    **dict.fromkeys(["cad technician", "cad designer", "cad operator", "draughtsman", "draughtsperson"],
                    "computer-aided design operator"),
    **dict.fromkeys(["boiler installer", "heating engineer", "heating installer"], "heating technician"),
    **dict.fromkeys(["gas engineer", "gas service engineer", "gas heating engineer"], "gas service technician"),
    **dict.fromkeys(["paint sprayer", "vehicle painter", "car sprayer"], "transport equipment painter"),
    # teaching
    **dict.fromkeys(["ks1 teacher", "ks2 teacher", "primary teacher", "primary school teacher"], "primary school teacher"),
    **dict.fromkeys(["secondary teacher"], "secondary school teacher"),
    **dict.fromkeys(["maths teacher", "teacher of maths", "teacher of mathematics", "mathematics teacher"],
                    "mathematics teacher at secondary school"),
}

#: Words too general to name an occupation on their own ("manager", "assistant"); a title
#: reduced to one of these is not matched by dropping words, and ESCO alt labels made only of
#: them ("team manager", "general manager") are not trusted.
GENERIC_WORDS = frozenset(
    """manager assistant officer worker executive consultant associate administrator advisor adviser
    coordinator co ordinator specialist lead leader head director supervisor analyst technician
    operative operator practitioner partner senior junior deputy trainee team general service services
    support staff person graduate principal chief assistant apprentice engineer designer controller
    agent representative clerk member professional owner business account accounts project
    programme operations office""".split()
)

#: Major UK cities and towns that appear in titles, used when no gazetteer is fitted.
#: Knowledge, not data; the fitted normaliser adds post towns and Adzuna place names.
UK_PLACES = frozenset(
    """london manchester birmingham leeds liverpool newcastle sheffield bristol nottingham leicester
    glasgow edinburgh cardiff belfast aberdeen dundee swansea newport coventry bradford hull york
    southampton portsmouth plymouth exeter norwich cambridge oxford reading brighton sunderland
    middlesbrough durham carlisle preston blackpool bolton wigan stockport oldham luton watford
    slough milton keynes northampton peterborough ipswich colchester chelmsford southend derby
    stoke wolverhampton walsall dudley worcester gloucester cheltenham swindon bath bournemouth
    poole salisbury winchester basingstoke guildford woking crawley maidstone canterbury dover
    ashford croydon harrow ealing barnet enfield bromley kingston hounslow hayes uxbridge wembley
    stratford canary wharf lincoln grimsby doncaster rotherham barnsley wakefield huddersfield
    halifax harrogate scarborough chester warrington wirral st helens lancaster morecambe kendal
    telford shrewsbury hereford stafford lichfield tamworth nuneaton rugby banbury aylesbury
    high wycombe bedford stevenage hertford st albans hemel hempstead harlow basildon thurrock
    gateshead stockton darlington hartlepool blyth ayr paisley inverness stirling perth wrexham
    bangor derry lisburn truro torquay taunton yeovil""".split()
) | frozenset(
    {"milton keynes", "canary wharf", "high wycombe", "st albans", "hemel hempstead", "st helens",
     "city of london", "west end", "home counties", "south wales", "north wales", "weston super mare",
     "southend on sea", "stoke on trent", "kingston upon thames", "newcastle upon tyne", "isle of wight"}
)

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
_BANKING_WORDS = frozenset("clerk teller cashier manager officer branch relationship lending mortgage loan "
                           "investment banking reconciliation holiday".split())
_WORD_RE = re.compile(r"[a-z0-9]+")
_TOKEN_RE = re.compile(r"[a-z0-9]+|/")
#: Endings of English agent nouns ("-er", "-ist", "-ian") and UK abbreviations that end titles.
_JOB_ENDINGS = ("er", "or", "ist", "ian", "ant", "ent", "ive", "eon", "ife", "ef", "ee", "ary", "ic", "ot")
_JOB_WORDS = frozenset("nurse gp rgn rmn hca odp sister lead head staff doctor midwife chef cook carer clerk "
                       "therapist porter paralegal receptionist pa".split())


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
        and word not in {"sales", "accounts", "lettings", "operations", "services", "logistics", "news", "arts",
                         "goods", "works", "systems", "maths", "physics", "economics", "relations", "communications", "electronics", "grounds"}
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
            if len(words) > n and words[-n - 1] in {"in", "near", "nr", "based", "around"} and " ".join(words[-n:]) in places:
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

#: Prepositions after which a title's qualifier starts ("staff nurse in gastroenterology").
_QUALIFIER_SPLIT = re.compile(r"\s+(?:in|for|with|at|within|to|on|covering|supporting|specialising in)\s+")

OUTPUT_COLUMNS = ["canonical_title", "occupation_uri", "occupation_label", "isco_code", "soc2010_code",
                  "confidence", "method"]


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


class TitleNormaliser:
    """Map job titles to canonical titles and ESCO occupations (scikit-learn style).

    Parameters
    ----------
    min_confidence
        Matches below this confidence (0-1) are reported with no occupation (``method`` None).
    random_state
        Kept for interface consistency; matching is deterministic.
    use_gazetteer
        Whether :meth:`fit` reads UK town names (postcode post towns, Adzuna's location tree)
        through :mod:`skills_engine.getters` to strip places from titles. Off, only the
        hand-written :data:`UK_PLACES` and county names are used.
    synonyms
        UK title term -> ESCO preferred label; defaults to :data:`UK_TITLE_SYNONYMS`.

    Attributes
    ----------
    occupations_ : pd.DataFrame
        Occupations indexed by uri, with ``occupation_label``, ``isco_code``, ``soc2010_code``.
    preferred_index_, alt_index_ : dict[str, list[str]]
        Label key -> occupation uris.
    synonym_index_ : dict[str, str]
        UK term key -> occupation uri (terms whose target label is missing are dropped).
    places_ : frozenset[str]
        Place names stripped by :func:`clean_title`.

    Examples
    --------
    >>> occupations = pd.DataFrame({
    ...     "occupation_uri": ["u:nurse", "u:nursery", "u:chef"],
    ...     "preferred_label": ["nurse responsible for general care", "nursery worker", "chef"],
    ...     "alt_labels": [["adult nurse"], ["nursery assistant"], ["cook"]],
    ...     "isco_code": ["2221", "5311", "3434"],
    ... })
    >>> model = TitleNormaliser(use_gazetteer=False).fit(occupations, crosswalk=pd.DataFrame())
    >>> out = model.transform(pd.Series(["Staff Nurse - Band 5 (Leeds)", "Sous Chef", "Nursery Nurse"]))
    >>> out[["canonical_title", "occupation_label", "method"]].to_numpy().tolist()
    [['staff nurse', 'nurse responsible for general care', 'synonym'], ['sous chef', 'chef', 'synonym'], ['nursery nurse', 'nurse responsible for general care', 'head match']]
    """

    def __init__(
        self,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        random_state: int = 42,
        use_gazetteer: bool = True,
        synonyms: dict[str, str] | None = None,
    ) -> None:
        self.min_confidence = min_confidence
        self.random_state = random_state
        self.use_gazetteer = use_gazetteer
        self.synonyms = synonyms

    # --- fitting -----------------------------------------------------------------------
    def fit(self, occupations: pd.DataFrame | None = None, crosswalk: pd.DataFrame | None = None) -> "TitleNormaliser":
        """Index ESCO labels (and the ISCO -> SOC 2010 crosswalk); defaults read through getters.

        Parameters
        ----------
        occupations
            Columns ``occupation_uri``, ``preferred_label``, ``alt_labels`` (list), ``isco_code``.
        crosswalk
            Columns ``isco_code``, ``soc2010_code`` and optionally ``partial``; an ISCO code
            with several SOC codes takes the first exact (non-partial) one, else the first.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        from skills_engine import getters

        if occupations is None:
            occupations = getters.read_esco_occupations()
        if crosswalk is None:
            crosswalk = getters.read_processed("isco_soc_crosswalk")
        soc = self._isco_to_soc(crosswalk)
        self.occupations_ = (
            occupations.assign(
                occupation_label=lambda d: d["preferred_label"].str.strip(),
                isco_code=lambda d: d["isco_code"].astype("string"),
            )
            .assign(soc2010_code=lambda d: d["isco_code"].map(soc).astype("string"))
            .set_index("occupation_uri")[["occupation_label", "isco_code", "soc2010_code", "alt_labels"]]
        )
        preferred: dict[str, list[str]] = defaultdict(list)
        alt: dict[str, list[str]] = defaultdict(list)
        for uri, label, alts in zip(self.occupations_.index, self.occupations_["occupation_label"],
                                    self.occupations_["alt_labels"]):
            preferred[_key(label)].append(uri)
            for alt_label in alts if alts is not None else []:
                key = _key(alt_label)
                if key and not all(w in GENERIC_WORDS for w in key.split()) and uri not in alt[key]:
                    alt[key].append(uri)
        self.preferred_index_ = dict(preferred)
        self.alt_index_ = {k: v for k, v in alt.items() if k not in preferred}
        label_uri = {label: uri for uri, label in self.occupations_["occupation_label"].items()}
        synonyms = UK_TITLE_SYNONYMS if self.synonyms is None else self.synonyms
        self.synonym_index_ = {_key(term): label_uri[label] for term, label in synonyms.items() if label in label_uri}
        self.unknown_synonym_targets_ = sorted({label for label in synonyms.values() if label not in label_uri})

        # Label table for fuzzy and TF-IDF: every preferred and trusted alt label, by head noun.
        self.labels_ = pd.DataFrame(
            [(key, uris[0], 1.0) for key, uris in self.preferred_index_.items()]
            + [(key, uris[0], EXACT_ALT_CONFIDENCE) for key, uris in self.alt_index_.items() if len(uris) == 1],
            columns=["key", "uri", "weight"],
        ).assign(head=lambda d: d["key"].str.split().str[-1])
        self.heads_ = frozenset(self.labels_["head"])
        self.labels_by_head_ = {h: g.index.to_numpy() for h, g in self.labels_.groupby("head")}
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=TFIDF_NGRAM_RANGE, sublinear_tf=True,
                                           dtype=np.float32)
        self.label_matrix_ = self.vectorizer_.fit_transform(self.labels_["key"])

        vocabulary = {w for key in self.labels_["key"] for w in key.split()}
        places = set(_DEFAULT_PLACES)
        if self.use_gazetteer:
            places |= self._gazetteer(getters)
        # A place name that is also job vocabulary ("bath", "sale") stays in titles.
        self.places_ = frozenset(p for p in places if p and not all(w in vocabulary for w in p.split()))
        return self

    @staticmethod
    def _isco_to_soc(crosswalk: pd.DataFrame) -> dict[str, str]:
        if crosswalk is None or crosswalk.empty or "soc2010_code" not in crosswalk:
            return {}
        order = crosswalk.assign(
            _partial=crosswalk["partial"].astype(bool) if "partial" in crosswalk else False
        ).sort_values(["isco_code", "_partial", "soc2010_code"], kind="stable")
        return order.drop_duplicates("isco_code").set_index("isco_code")["soc2010_code"].astype(str).to_dict()

    @staticmethod
    def _gazetteer(getters) -> set[str]:
        """Town names from the postcode districts table and Adzuna's location tree."""
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

    # --- matching ----------------------------------------------------------------------
    def _exact(self, key: str) -> tuple[str, float, str] | None:
        """(uri, confidence, method) when the whole key is a label or synonym."""
        if key in self.synonym_index_:
            return self.synonym_index_[key], SYNONYM_CONFIDENCE, "synonym"
        if key in self.preferred_index_:
            return self.preferred_index_[key][0], EXACT_PREFERRED_CONFIDENCE, "exact label"
        if key in self.alt_index_:
            uris = self.alt_index_[key]
            if len(uris) == 1:
                return uris[0], EXACT_ALT_CONFIDENCE, "alt label"
            from rapidfuzz import fuzz

            best = max(uris, key=lambda u: (fuzz.token_set_ratio(key, self.occupations_.at[u, "occupation_label"]), u))
            confidence = max(AMBIGUOUS_ALT_FLOOR, EXACT_ALT_CONFIDENCE - AMBIGUOUS_ALT_PENALTY * (len(uris) - 1))
            return best, confidence, "alt label"
        return None

    def _lexical(self, key: str) -> tuple[str, float, str] | None:
        """Exact match of the key, else of the best run of its words (leading/trailing words dropped)."""
        words = key.split()
        best: tuple[str, float, str] | None = None
        for trail in range(len(words)):
            end = len(words) - trail
            for lead in range(end):
                part = words[lead:end]
                if (lead or trail) and len(part) == 1 and part[0] in GENERIC_WORDS:
                    break
                hit = self._exact(_key(" ".join(part)) if trail else " ".join(part))
                if not hit:
                    continue
                confidence = (
                    hit[1]
                    * (HEAD_MATCH_DECAY * EXTRA_WORD_DECAY ** (lead - 1) if lead else 1.0)
                    * (TRAILING_DROP_DECAY * EXTRA_WORD_DECAY ** (trail - 1) if trail else 1.0)
                )
                if best is None or confidence > best[1]:
                    best = (hit[0], confidence, hit[2] if not (lead or trail) else "head match")
                break  # longer runs with this end beat shorter ones
        return best

    @staticmethod
    def _guard(words: list[str], label_words: Iterable[str]) -> bool:
        """A title whose head noun is generic ("administrator") must share another word with the label."""
        if not words or words[-1] not in GENERIC_WORDS:
            return True
        specific = [w for w in words[:-1] if w not in GENERIC_WORDS]
        return bool(specific) and bool(set(specific) & set(label_words))

    def _same_head(self, head: str) -> list[str]:
        from rapidfuzz import fuzz, process

        if head in self.heads_:
            return [head]
        if len(head) < 5:
            return []
        return [h for h, _, _ in process.extract(head, list(self.heads_), scorer=fuzz.ratio,
                                                 score_cutoff=HEAD_FUZZY_MIN_SCORE, limit=3)]

    def _fuzzy(self, key: str) -> tuple[str, float, str] | None:
        from rapidfuzz import fuzz, process

        words = key.split()
        if not words or all(w in GENERIC_WORDS for w in words):
            return None
        rows = [i for h in self._same_head(words[-1]) for i in self.labels_by_head_[h]]
        if not rows:
            return None
        choices = self.labels_["key"].to_numpy()[rows]
        hit = process.extractOne(key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if hit is None:
            return None
        row = rows[hit[2]]
        label_words = hit[0].split()
        if not self._guard(words, label_words) or any(
            process.extractOne(w, label_words, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD_MIN_SCORE) is None
            for w in words
        ):
            return None
        return self.labels_.at[row, "uri"], hit[1] / 100 * FUZZY_WEIGHT * self.labels_.at[row, "weight"], "fuzzy"

    def _tfidf(self, keys: list[str]) -> list[tuple[str, float, str] | None]:
        """Nearest label by character n-gram cosine, among labels containing the title's head noun."""
        out: list[tuple[str, float, str] | None] = []
        label_words = self.labels_["key"].str.split().to_numpy()
        for start in range(0, len(keys), TFIDF_BLOCK_ROWS):
            block = keys[start : start + TFIDF_BLOCK_ROWS]
            sims = (self.vectorizer_.transform(block) @ self.label_matrix_.T).toarray()
            top = np.argsort(-sims, axis=1)[:, :TFIDF_TOP_K]
            for row, key in enumerate(block):
                words = key.split()
                heads = set(self._same_head(words[-1])) if words else set()
                hit = None
                if heads and not all(w in GENERIC_WORDS for w in words):
                    for col in top[row]:
                        if sims[row, col] < TFIDF_MIN_COSINE:
                            break
                        if heads & set(label_words[col]) and self._guard(words, label_words[col]):
                            hit = (self.labels_.at[col, "uri"], float(sims[row, col]) * TFIDF_WEIGHT, "tfidf")
                            break
                out.append(hit)
        return out

    def _match_all(self, canonical: pd.Series) -> pd.DataFrame:
        results: dict[str, tuple[str, float, str] | None] = {}
        pending: list[tuple[str, list[tuple[str, float]]]] = []
        for title in canonical:
            variants = _variants(title) if title else []
            best = None
            for text, weight in variants:
                hit = self._lexical(text)
                if hit and (best is None or hit[1] * weight > best[1]):
                    best = (hit[0], hit[1] * weight, hit[2])
            results[title] = best
            if best is None or best[1] < LEXICAL_ACCEPT_CONFIDENCE:
                pending.append((title, variants))
        flat = [(title, text, weight) for title, variants in pending for text, weight in variants]
        tfidf_hits = self._tfidf([text for _, text, _ in flat]) if flat else []
        for (title, text, weight), tfidf_hit in zip(flat, tfidf_hits):
            for hit in (self._fuzzy(text), tfidf_hit):
                if hit and (results[title] is None or hit[1] * weight > results[title][1]):
                    results[title] = (hit[0], hit[1] * weight, hit[2])
        return pd.DataFrame(
            [(title, *(hit if hit else (None, 0.0, None))) for title, hit in results.items()],
            columns=["canonical_title", "occupation_uri", "confidence", "method"],
        )

    def transform(self, titles: pd.Series) -> pd.DataFrame:
        """Canonical title and ESCO occupation for each title.

        Parameters
        ----------
        titles
            Raw advert titles.

        Returns
        -------
        pd.DataFrame
            Same index as ``titles``; columns :data:`OUTPUT_COLUMNS`. ``confidence`` is 0-1;
            below ``min_confidence`` the occupation columns and ``method`` are missing (the
            confidence of the rejected best guess is kept).
        """
        if not hasattr(self, "occupations_"):
            raise RuntimeError("TitleNormaliser is not fitted: call fit() first")
        titles = pd.Series(titles)
        unique = pd.Series(titles.dropna().astype(str).unique())
        canonical = dict(zip(unique, unique.map(lambda t: clean_title(t, self.places_))))
        matches = self._match_all(pd.Series(sorted(set(canonical.values()))))
        occupations = self.occupations_.drop(columns="alt_labels")
        table = (
            matches.join(occupations, on="occupation_uri")
            .assign(
                keep=lambda d: d["occupation_uri"].notna() & (d["confidence"] >= self.min_confidence),
                occupation_uri=lambda d: d["occupation_uri"].where(d["keep"]),
                occupation_label=lambda d: d["occupation_label"].where(d["keep"]),
                isco_code=lambda d: d["isco_code"].where(d["keep"]),
                soc2010_code=lambda d: d["soc2010_code"].where(d["keep"]),
                method=lambda d: d["method"].where(d["keep"]),
                confidence=lambda d: d["confidence"].round(4),
            )
            .set_index("canonical_title")
        )
        return (
            pd.DataFrame({"canonical_title": titles.map(canonical)}, index=titles.index)
            .join(table.drop(columns="keep"), on="canonical_title")
            .assign(confidence=lambda d: d["confidence"].fillna(0.0))
            [OUTPUT_COLUMNS]
        )

    def fit_transform(self, titles: pd.Series, occupations: pd.DataFrame | None = None,
                      crosswalk: pd.DataFrame | None = None) -> pd.DataFrame:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(occupations, crosswalk).transform(titles)


def evaluate_titles(labels: pd.DataFrame, normaliser: TitleNormaliser) -> dict:
    """Coverage, accuracy and precision of a fitted normaliser on hand-labelled titles.

    Parameters
    ----------
    labels
        Columns ``source``, ``title``, ``occupation_uri`` ("NONE" when no ESCO occupation fits).
    normaliser
        A fitted :class:`TitleNormaliser`.

    Returns
    -------
    dict
        ``n``, ``n_labelled`` (titles with an occupation), ``coverage`` (share of all titles
        given an occupation), ``accuracy`` (share of labelled titles given the right one),
        ``precision`` (right among those the model assigned, where a title labelled NONE that
        gets an occupation counts as wrong), ``none_rejected`` (share of NONE titles left
        unassigned), and ``by_source`` with the same figures per source.

    Examples
    --------
    >>> class Fixed:
    ...     def transform(self, titles):
    ...         return pd.DataFrame({"occupation_uri": ["a", None, "b", "c"]}, index=titles.index)
    >>> labels = pd.DataFrame({"source": ["x", "x", "y", "y"], "title": list("pqrs"),
    ...                        "occupation_uri": ["a", "b", "b", "NONE"]})
    >>> result = evaluate_titles(labels, Fixed())
    >>> result["coverage"], result["accuracy"], result["precision"]
    (0.75, 0.6667, 0.6667)
    """
    predicted = normaliser.transform(labels["title"])["occupation_uri"]
    frame = labels.assign(
        truth=lambda d: d["occupation_uri"].where(d["occupation_uri"].ne("NONE")),
        predicted=predicted.to_numpy(),
        assigned=lambda d: d["predicted"].notna(),
        correct=lambda d: d["assigned"] & d["predicted"].eq(d["truth"]),
    )

    def summary(d: pd.DataFrame) -> dict:
        labelled = d["truth"].notna()
        none = ~labelled
        return {
            "n": int(len(d)),
            "n_labelled": int(labelled.sum()),
            "coverage": round(float(d["assigned"].mean()), 4) if len(d) else float("nan"),
            "accuracy": round(float(d.loc[labelled, "correct"].mean()), 4) if labelled.any() else float("nan"),
            "precision": round(float(d.loc[d["assigned"], "correct"].mean()), 4) if d["assigned"].any() else float("nan"),
            "none_rejected": round(float((~d.loc[none, "assigned"]).mean()), 4) if none.any() else float("nan"),
        }

    return {**summary(frame), "by_source": {s: summary(g) for s, g in frame.groupby("source", sort=True)}}
