"""A tiny hand-written labour market for recommender tests: five occupations, ten skills."""

import pandas as pd

OCCUPATIONS = pd.DataFrame(
    {
        "occupation_uri": ["occ:nurse", "occ:chef", "occ:welder", "occ:accountant", "occ:porter"],
        "preferred_label": ["nurse responsible for general care", "chef", "welder", "accountant", "hospital porter"],
        "isco_code": ["2221", "3434", "7212", "2411", "9629"],
    }
)
SKILLS = pd.DataFrame(
    {
        "skill_uri": [
            f"skill:{name}"
            for name in [
                "patient care",
                "phlebotomy",
                "record keeping",
                "cooking",
                "food hygiene",
                "welding",
                "metal cutting",
                "bookkeeping",
                "tax law",
                "manual handling",
            ]
        ],
        "preferred_label": [
            "patient care",
            "phlebotomy",
            "record keeping",
            "cooking",
            "food hygiene",
            "welding",
            "metal cutting",
            "bookkeeping",
            "tax law",
            "manual handling",
        ],
    }
)
OCCUPATION_SKILLS = pd.DataFrame(
    [
        ("occ:nurse", "skill:patient care", "essential"),
        ("occ:nurse", "skill:phlebotomy", "optional"),
        ("occ:nurse", "skill:record keeping", "essential"),
        ("occ:chef", "skill:cooking", "essential"),
        ("occ:chef", "skill:food hygiene", "essential"),
        ("occ:welder", "skill:welding", "essential"),
        ("occ:welder", "skill:metal cutting", "essential"),
        ("occ:accountant", "skill:bookkeeping", "essential"),
        ("occ:accountant", "skill:tax law", "essential"),
        ("occ:accountant", "skill:record keeping", "optional"),
        ("occ:porter", "skill:manual handling", "essential"),
        ("occ:porter", "skill:patient care", "optional"),
    ],
    columns=["occupation_uri", "skill_uri", "relation_type"],
)
# Adverts: nurses are common (8), chefs 4, welders 2, accountants 3; porters have none.
_ADVERT_SKILLS = {
    "occ:nurse": [["patient care", "phlebotomy", "record keeping"]] * 5 + [["patient care", "manual handling"]] * 3,
    "occ:chef": [["cooking", "food hygiene"]] * 3 + [["cooking", "manual handling"]],
    "occ:welder": [["welding", "metal cutting"], ["welding", "manual handling"]],
    "occ:accountant": [["bookkeeping", "tax law"], ["bookkeeping", "record keeping"], ["tax law"]],
}
REGIONS_CYCLE = ["North East", "London", "Wales"]


def adverts() -> pd.DataFrame:
    rows = []
    for occupation, skill_lists in _ADVERT_SKILLS.items():
        for i, _ in enumerate(skill_lists):
            rows.append(
                {
                    "advert_id": f"{occupation}-{i}",
                    "occupation_uri": occupation,
                    "region": REGIONS_CYCLE[i % 3],
                    "salary_annual_gbp": {
                        "occ:nurse": 30_000.0,
                        "occ:chef": 22_000.0,
                        "occ:welder": 28_000.0,
                        "occ:accountant": 40_000.0,
                    }[occupation]
                    + 1_000 * i,
                    "source": "nhs_jobs" if occupation == "occ:nurse" else "adzuna",
                    "employer": f"employer-{occupation}-{i % 2}",
                }
            )
    return pd.DataFrame(rows)


def advert_skills() -> pd.DataFrame:
    rows = []
    for occupation, skill_lists in _ADVERT_SKILLS.items():
        for i, skills in enumerate(skill_lists):
            rows.extend({"advert_id": f"{occupation}-{i}", "skill_uri": f"skill:{s}"} for s in skills)
    return pd.DataFrame(rows)


def training() -> pd.DataFrame:
    return advert_skills().merge(adverts()[["advert_id", "occupation_uri"]], on="advert_id")
