"""The tiny labour market of recommend_world.py as a fitted engine for the API tests, with synonyms."""

import importlib.util
from pathlib import Path

import pandas as pd

from skills_engine.recommender.engine import Recommender

_spec = importlib.util.spec_from_file_location("recommend_world", Path(__file__).parent / "recommend_world.py")
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

#: Alternative labels for the tiny world's skills, so that autocomplete has synonyms to find.
ALT_LABELS = {
    "skill:patient care": ["care of patients"],
    "skill:phlebotomy": ["drawing blood"],
    "skill:record keeping": ["keep records"],
    "skill:cooking": ["cookery"],
    "skill:manual handling": ["lifting and carrying"],
}


def tiny_engine(**params) -> Recommender:
    skills = world.SKILLS.assign(alt_labels=lambda d: d["skill_uri"].map(lambda uri: ALT_LABELS.get(uri, [])))
    sector_growth = pd.DataFrame(
        {
            "occupation_uri": ["occ:nurse"],
            "sector": ["Nursing"],
            "change_12m": [0.125],
            "latest_date": [pd.Timestamp("2024-08-01")],
        }
    )
    region_growth = pd.DataFrame(
        {
            "geography": ["North East", "United Kingdom"],
            "change_12m": [-0.05, -0.02],
            "latest_date": [pd.Timestamp("2026-08-01")] * 2,
        }
    )
    earnings = pd.DataFrame(
        {"occupation_uri": ["occ:porter", "occ:welder"], "annual_earnings_gbp": [21_500.0, 29_000.0]}
    )
    return Recommender(**({"min_count": 3, "semantic_skills": False} | params)).fit(
        world.adverts(),
        world.training(),
        world.OCCUPATIONS,
        world.OCCUPATION_SKILLS,
        skills,
        earnings=earnings,
        sector_growth=sector_growth,
        region_growth=region_growth,
    )
