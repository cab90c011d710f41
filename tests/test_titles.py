"""Title normalisation: cleaning noisy titles, matching to ESCO occupations, evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from skills_engine.occupations.titles import TitleNormaliser, clean_title, evaluate_titles

# (raw advert title, canonical title) written by hand from the kinds of noise adverts carry.
NOISY_TITLES = [
    ("Staff Nurse (Band 5) - Newcastle", "staff nurse"),
    ("Staff Nurse - Band 6", "staff nurse"),
    ("Band 6 - Staff Nurse", "staff nurse"),
    ("Band 7 Highly Specialist Physiotherapist", "highly specialist physiotherapist"),
    ("Progressive Band 5-6 Dosimetrist", "progressive dosimetrist"),
    (
        "Integrated Community Equipment Service Clinical Lead - Band 7",
        "integrated community equipment service clinical lead",
    ),
    ("Clinical Psychologist- Leeds", "clinical psychologist"),
    ("Midwife (Maternity Cover)", "midwife"),
    ("Midwife - maternity leave cover, fixed term 12 months", "midwife"),
    ("Part Time Receptionist", "receptionist"),
    ("Healthcare Assistant - Nights", "healthcare assistant"),
    ("URGENT!! Healthcare Assistants x2", "healthcare assistant"),
    ("Bank Pharmacy Technician", "pharmacy technician"),
    ("Bank Clerk", "bank clerk"),
    ("Locum Consultant Psychiatrist", "consultant psychiatrist"),
    ("Accounts Assistant Ref: 12345", "accounts assistant"),
    ("J12345 Warehouse Operative", "warehouse operative"),
    ("NO19571 - Registered Nurses Acute", "registered nurses acute"),
    ("Payroll Officer - £25,000 - £28,000 + benefits", "payroll officer"),
    ("Graduate Media Sales Executive -TV Industry, Canary Wharf, Â£23k", "graduate media sales executive"),
    ("RGN Job London **** p/h Days or Nights", "rgn"),
    ("Support Worker Luton, Bedfordshire", "support worker"),
    ("Home Care Assistants High Wycombe", "home care assistant"),
    ("Commercial Litigation Paralegal - Kidderminster, West Midlands", "commercial litigation paralegal"),
    ("Lettings Negotiator - Stratford", "lettings negotiator"),
    ("Theatre Nurse (37.5 hours per week)", "theatre nurse"),
    ("Speech & Language Therapist", "speech and language therapist"),
    ("Occupational Therapist / Physiotherapist", "occupational therapist / physiotherapist"),
    ("Recruitment - Trainee Recruitment Consultant - Retail Desk! Apply Now!", "trainee recruitment consultant"),
    ("Sous Chef - up to £30k plus tips", "sous chef"),
    ("Practice Nurse - part time", "practice nurse"),
    ("Car Sales Executive", "car sales executive"),
    ("Teacher of Maths - Surrey", "teacher of maths"),
    ("Staff Nurse - NHS", "staff nurse"),
    ("Care Worker - 20 hours", "care worker"),
]


@pytest.mark.parametrize(("raw", "expected"), NOISY_TITLES)
def test_clean_title_strips_noise(raw, expected):
    assert clean_title(raw) == expected


def test_clean_title_missing_and_empty():
    assert clean_title(None) == ""
    assert clean_title(float("nan")) == ""
    assert clean_title("**** - Band 5") == ""


def test_clean_title_uses_given_places():
    assert clean_title("Support Worker Lostwithiel") == "support worker lostwithiel"
    assert clean_title("Support Worker Lostwithiel", places={"lostwithiel"}) == "support worker"


# A tiny ESCO-like occupations table, with the traps real ESCO sets: "nurse" vs "nursery",
# an alt label shared by two occupations, and a generic alt label ("team manager").
OCCUPATIONS = pd.DataFrame(
    {
        "occupation_uri": [
            "u:nurse",
            "u:nursery",
            "u:chef",
            "u:physio",
            "u:hca",
            "u:nurse_mgr",
            "u:lawyer",
            "u:jury",
            "u:ot",
        ],
        "preferred_label": [
            "nurse responsible for general care",
            "nursery worker",
            "chef",
            "physiotherapist",
            "healthcare assistant",
            "advanced nurse practitioner",
            "lawyer",
            "court jury coordinator",
            "occupational therapist",
        ],
        "alt_labels": [
            ["adult nurse", "ward nurse"],
            ["nursery assistant"],
            ["sous-chef"],
            ["physical therapist"],
            ["health care assistant"],
            ["team manager", "clinical matron"],
            ["solicitor"],
            ["solicitor", "legal secretary"],
            [],
        ],
        "isco_code": ["2221", "5311", "3434", "2264", "5321", "2221", "2611", "2619", "2269"],
    }
)
CROSSWALK = pd.DataFrame(
    {
        "isco_code": ["2221", "2221", "3434"],
        "soc2010_code": ["29-1151", "29-1141", "35-1011"],
        "partial": [True, False, False],
    }
)


@pytest.fixture(scope="module")
def normaliser() -> TitleNormaliser:
    return TitleNormaliser(use_gazetteer=False).fit(OCCUPATIONS, CROSSWALK)


@pytest.mark.parametrize(
    ("title", "uri", "method"),
    [
        ("Physiotherapist", "u:physio", "exact label"),
        ("Physical Therapist", "u:physio", "alt label"),
        ("Staff Nurse - Band 5", "u:nurse", "synonym"),
        ("RGN Job London", "u:nurse", "synonym"),
        ("HCA", "u:hca", "synonym"),
        ("Sous Chef (Leeds)", "u:chef", "synonym"),
        ("Band 7 Highly Specialist Physiotherapist", "u:physio", "head match"),
        ("Nursery Nurse", "u:nurse", "head match"),  # a nurse, never the nursery worker
        ("Nursery Assistant", "u:nursery", "alt label"),
        ("Occupattional Therapist", "u:ot", "fuzzy"),
        ("Matron", "u:nurse_mgr", "synonym"),
        ("Family Solicitor", "u:lawyer", "synonym"),
    ],
)
def test_transform_matches_known_occupations(normaliser, title, uri, method):
    row = normaliser.transform(pd.Series([title])).iloc[0]
    assert (row["occupation_uri"], row["method"]) == (uri, method)
    assert 0 < row["confidence"] <= 1


def test_nurse_titles_never_map_to_nursery(normaliser):
    titles = pd.Series(["Nurse", "Staff Nurses", "Registered Nurse - Nights", "Nurse Practitioner", "Ward Nurse"])
    assert "u:nursery" not in set(normaliser.transform(titles)["occupation_uri"])


def test_generic_alt_labels_and_titles_are_not_matched(normaliser):
    out = normaliser.transform(pd.Series(["Team Manager", "Assistant Manager", "Associate", "Designer"]))
    assert out["occupation_uri"].isna().all()
    assert out["method"].isna().all()


def test_transform_keeps_index_columns_and_codes(normaliser):
    titles = pd.Series(["Staff Nurse", None, "Staff Nurse", "Sous Chef"], index=[10, 11, 12, 13])
    out = normaliser.transform(titles)
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out.columns) == [
        "canonical_title",
        "occupation_uri",
        "occupation_label",
        "isco_code",
        "soc2010_code",
        "confidence",
        "method",
    ]
    assert out.loc[10].equals(out.loc[12])  # duplicates matched once, identically
    assert out.loc[10, "isco_code"] == "2221"
    assert out.loc[10, "soc2010_code"] == "29-1141"  # exact crosswalk row preferred to a partial one
    assert pd.isna(out.loc[11, "occupation_uri"]) and out.loc[11, "confidence"] == 0


def test_min_confidence_rejects_weak_matches():
    strict = TitleNormaliser(min_confidence=0.99, use_gazetteer=False).fit(OCCUPATIONS, CROSSWALK)
    out = strict.transform(pd.Series(["Physiotherapist", "Staff Nurse"]))
    assert out.loc[0, "occupation_uri"] == "u:physio"
    assert pd.isna(out.loc[1, "occupation_uri"]) and pd.isna(out.loc[1, "method"])
    assert 0 < out.loc[1, "confidence"] < 0.99  # the rejected guess keeps its confidence


def test_transform_before_fit_raises():
    with pytest.raises(RuntimeError, match="not fitted"):
        TitleNormaliser().transform(pd.Series(["Nurse"]))


def test_evaluate_titles_counts(normaliser):
    labels = pd.DataFrame(
        {
            "source": ["a", "a", "b", "b", "b"],
            "title": ["Staff Nurse", "Sous Chef", "Physiotherapist", "Team Manager", "Nursery Nurse"],
            "occupation_uri": ["u:nurse", "u:physio", "u:physio", "NONE", "u:nursery"],
        }
    )
    result = evaluate_titles(labels, normaliser)
    # assigned: nurse (right), chef (wrong), physio (right), none, nurse (wrong)
    assert result["coverage"] == 0.8
    assert result["accuracy"] == 0.5  # 2 right of 4 labelled
    assert result["precision"] == 0.5  # 2 right of 4 assigned
    assert result["none_rejected"] == 1.0
    assert result["by_source"]["a"]["accuracy"] == 0.5
    assert result["by_source"]["b"]["coverage"] == pytest.approx(2 / 3, abs=1e-4)


# Measured on the 200 hand-labelled titles: accuracy 0.795 (147 of 185 with an ESCO occupation),
# precision 0.855, coverage 0.860 (0.800 and 0.861 before the corpus-review synonym rows, which
# were written from the adverts' own titles, not from these labels). The floor allows 0.05 for ESCO or gazetteer updates; a larger
# fall means a regression.
MEASURED_ACCURACY = 0.80
ACCURACY_MARGIN = 0.05


@pytest.mark.mirror
def test_accuracy_on_hand_labelled_titles(real_mirror):
    from skills_engine import getters

    labels = getters.read_title_labels()
    assert len(labels) == 200 and set(labels["source"]) == {"nhs_jobs", "reed", "adzuna"}
    occupations = getters.read_esco_occupations()
    known = set(occupations["occupation_uri"]) | {"NONE"}
    assert set(labels["occupation_uri"]) <= known
    model = TitleNormaliser().fit(occupations)
    assert model.unknown_synonym_targets_ == []  # every synonym points at a real ESCO label
    result = evaluate_titles(labels, model)
    assert result["accuracy"] >= MEASURED_ACCURACY - ACCURACY_MARGIN
    assert result["precision"] >= result["accuracy"]
    assert result["coverage"] >= 0.75


def test_curated_title_tables_load_as_before():
    from skills_engine import getters
    from skills_engine.occupations import title_cleaning, titles

    synonyms = getters.read_title_synonyms()
    assert titles.UK_TITLE_SYNONYMS == synonyms and len(synonyms) == 369
    assert list(synonyms)[:2] == ["nurse", "staff nurse"]  # file order kept
    assert synonyms["hca"] == "healthcare assistant" and synonyms["legal secretary"] == "legal administrative assistant"
    assert synonyms["information analyst"] == "data analyst"  # the corpus-review rows are read too
    assert all(title_cleaning._key(term) == term for term in synonyms)  # keys in matching-key form
    places = getters.read_uk_places()
    assert title_cleaning.UK_PLACES == places == titles.UK_PLACES
    assert {"london", "milton keynes", "stoke on trent", "milton"} <= places and "" not in places


def test_hand_labelled_titles_ship_with_the_package():
    from skills_engine import getters

    labels = getters.read_title_labels()
    assert len(labels) == 200 and list(labels.columns[:4]) == ["advert_id", "source", "title", "occupation_uri"]
    assert (labels["occupation_uri"] == "NONE").sum() == 15


_TIE_SCRIPT = """
import pandas as pd
from skills_engine.occupations.titles import TitleNormaliser

labels = ["cartographer", "radiographer", "sonographer", "photographer", "geographer", "choreographer"]
occupations = pd.DataFrame(
    {
        "occupation_uri": [f"occ:{label}" for label in labels],
        "preferred_label": labels,
        "alt_labels": [[] for _ in labels],
        "isco_code": ["2165", "3211", "3211", "3431", "2632", "2653"],
    }
)
crosswalk = pd.DataFrame({"isco_code": ["2165"], "soc2010_code": ["17-1021"]})
normaliser = TitleNormaliser(use_gazetteer=False).fit(occupations, crosswalk)
print(normaliser.transform(pd.Series(["Cardiographer"])).loc[0, "occupation_uri"])
"""


def test_a_tie_between_two_occupations_is_broken_the_same_way_in_every_process():
    # "cardiographer" is as close to "cartographer" as to "radiographer". Python salts string
    # hashes per process, so an answer that followed a set's order changed from run to run
    # (two NHS adverts moved between the two, and with them every figure of notebook 03).
    import os
    import subprocess
    import sys

    answers = {
        subprocess.run(
            [sys.executable, "-c", _TIE_SCRIPT],
            env=os.environ | {"PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert len(answers) == 1, answers
    assert answers <= {"occ:cartographer", "occ:radiographer"}
