"""The Skills Recommendation Engine: from a person's skills to job titles, with pay, demand and growth.

:class:`Recommender` ranks ESCO occupations with
:class:`skills_engine.recommender.stacking.SkillProfileStack` (the skill-profile language model plus
the nearest training adverts' vote and a small neural network's lift, weights tuned on training
employers) and attaches, for each, the evidence a person needs, every figure with its source and sample
size: median advertised salary (national and regional; ASHE earnings when adverts are too
few), demand (adverts in the region and nationally), and growth (Indeed Hiring Lab index for
the occupation's sector, and for the region).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from skills_engine import disclosure
from skills_engine.config import MIN_PUBLISHED_COUNT, RANDOM_STATE, REGIONS
from skills_engine.recommender.resolver import SkillResolver
from skills_engine.recommender.stacking import PROFILE_PRIOR_WEIGHT, SkillProfileStack

#: Most skills one request may carry: a long CV lists about 50; 200 leaves room while
#: keeping a request's work bounded (the API applies the same limit).
MAX_SKILLS = 200
#: Most recommendations one request may ask for.
MAX_K = 100
#: Longest single skill, in characters: the longest ESCO label is under 200. The CLI and the
#: API refuse the same inputs.
MAX_SKILL_CHARS = 200
#: Missing skills listed per recommendation: enough to plan a next step, few enough to read.
N_MISSING_SKILLS = 5

SALARY_SOURCE = "median advertised salary in this project's adverts (NHS Jobs 2020, Reed, Adzuna 2013)"
ASHE_SOURCE = "ASHE 2019 national annual earnings for the ESCO occupation, via Nesta Mapping Career Causeways"
DEMAND_SOURCE = "adverts in this project's corpus (NHS Jobs 2020, Reed, Adzuna 2013)"
GROWTH_SOURCE = "Indeed Hiring Lab job postings index (CC BY 4.0), 28-day mean, change over 12 months"


class Recommender:
    """Rank occupations for a person's skills and attach salary, demand and growth evidence.

    Parameters
    ----------
    mu, essential_weight, optional_weight, prior_weight
        Hyperparameters of the skill-profile model
        (:class:`skills_engine.recommender.rankers.SkillProfileLM`); ``mu=None`` tunes the
        smoothing mass on folds of training employers.
    knn_weight, network_weight, coverage_weight : float or None
        Weights of the nearest adverts' vote, of the neural network's lift and of the share of
        the person's skills in each occupation's profile, added to the profile
        (:class:`skills_engine.recommender.stacking.SkillProfileStack`, the method notebook 03
        compares with every baseline); ``None`` tunes each on folds of training employers.
        ``knn_weight=0`` ranks with the skill-profile model alone (the other parts are then left
        out too), as the static try-it page does.
    min_count : int
        Smallest number of adverts behind a published median or count.
    semantic_skills : bool
        Resolve typed skills that match no ESCO label by meaning (all-MiniLM-L6-v2).
    random_state : int
        Seed (the model is deterministic; kept for a uniform interface).
    """

    def __init__(
        self,
        mu: float | None = None,
        essential_weight: float = 2.0,
        optional_weight: float = 0.5,
        prior_weight: float = PROFILE_PRIOR_WEIGHT,
        knn_weight: float | None = None,
        network_weight: float | None = None,
        coverage_weight: float | None = None,
        min_count: int = MIN_PUBLISHED_COUNT,
        semantic_skills: bool = True,
        random_state: int = RANDOM_STATE,
    ):
        self.mu = mu
        self.semantic_skills = semantic_skills
        self.essential_weight = essential_weight
        self.optional_weight = optional_weight
        self.prior_weight = prior_weight
        self.knn_weight = knn_weight
        self.network_weight = network_weight
        self.coverage_weight = coverage_weight
        self.min_count = min_count
        self.random_state = random_state

    def fit(
        self,
        adverts: pd.DataFrame,
        training: pd.DataFrame,
        occupations: pd.DataFrame,
        occupation_skills: pd.DataFrame,
        skills: pd.DataFrame,
        earnings: pd.DataFrame | None = None,
        sector_growth: pd.DataFrame | None = None,
        region_growth: pd.DataFrame | None = None,
    ) -> Recommender:
        """Learn the ranking model and the evidence tables.

        Parameters
        ----------
        adverts
            ``advert_id, occupation_uri, region, salary_annual_gbp`` for every advert with an
            occupation (all sources: they are the evidence for salary and demand).
        training
            ``advert_id, occupation_uri, skill_uri`` for adverts whose skills were extracted
            from their own text (the ranking model learns from these only); with an ``employer``
            column the model's settings are tuned on folds of employers, else of adverts.
        occupations, occupation_skills, skills
            ESCO tables (see :mod:`skills_engine.getters`).
        earnings
            ``occupation_uri, annual_earnings_gbp`` (ASHE via Career Causeways), the fallback.
        sector_growth
            ``occupation_uri, sector, change_12m, latest_date`` (Indeed sector index).
        region_growth
            ``geography, change_12m, latest_date`` for the twelve regions and ``United Kingdom``.
        """
        self.model_ = SkillProfileStack(
            self.mu,
            self.essential_weight,
            self.optional_weight,
            self.prior_weight,
            self.random_state,
            knn_weight=self.knn_weight,
            network_weight=0.0 if self.knn_weight == 0 else self.network_weight,
            coverage_weight=0.0 if self.knn_weight == 0 else self.coverage_weight,
        ).fit(training, occupation_skills, skills["skill_uri"].tolist(), occupations["occupation_uri"].tolist())
        self.resolver_ = SkillResolver(semantic=self.semantic_skills).fit(skills)
        # ESCO ships 78 skill and 7 occupation labels with a trailing space ("plan "): answers show
        # them without it; the taxonomy itself stays as published (benchmarks match its labels)
        self.occupations_ = occupations.assign(preferred_label=lambda d: d["preferred_label"].str.strip()).set_index(
            "occupation_uri"
        )
        self.skill_labels_ = dict(zip(skills["skill_uri"], skills["preferred_label"].str.strip()))
        self.essential_ = (
            occupation_skills.query("relation_type == 'essential'")
            .groupby("occupation_uri")["skill_uri"]
            .agg(set)
            .to_dict()
        )
        placed = adverts.dropna(subset=["occupation_uri"])
        self.n_adverts_ = len(placed)
        self.region_totals_ = placed.dropna(subset=["region"]).groupby("region").size().to_dict()
        self.demand_ = placed.groupby(["occupation_uri", "region"]).size().to_dict()
        self.national_demand_ = placed.groupby("occupation_uri").size().to_dict()
        priced = placed.dropna(subset=["salary_annual_gbp"])
        self.salary_region_ = (
            priced.groupby(["occupation_uri", "region"])["salary_annual_gbp"].agg(["median", "size"]).to_dict("index")
        )
        self.salary_national_ = (
            priced.groupby("occupation_uri")["salary_annual_gbp"].agg(["median", "size"]).to_dict("index")
        )
        self.earnings_ = (
            {} if earnings is None else earnings.set_index("occupation_uri")["annual_earnings_gbp"].dropna().to_dict()
        )
        self.sector_growth_ = (
            {} if sector_growth is None else sector_growth.set_index("occupation_uri").to_dict("index")
        )
        self.region_growth_ = {} if region_growth is None else region_growth.set_index("geography").to_dict("index")
        return self

    # --- evidence ---------------------------------------------------------------------

    def evidence(self, occupation: str, region: str | None = None) -> dict:
        """The published evidence for one occupation: salary, demand and growth, each with its source.

        Nationally when ``region`` is ``None``, else also in ``region``. Every count below
        ``min_count`` is withheld by :mod:`skills_engine.disclosure`, with a note saying so.

        Returns
        -------
        dict
            ``{"salary": ..., "demand": ..., "growth": ...}`` as in :meth:`recommend`'s results.
        """
        return {
            "salary": self._salary(occupation, region),
            "demand": self._demand(occupation, region),
            "growth": self._growth(occupation, region),
        }

    def area_growth(self, region: str | None = None) -> dict:
        """12-month change of the Indeed postings index in ``region`` (the UK when ``None``), with its date."""
        growth = self._growth("", region)
        return {
            "area": growth["area"],
            "change_12m": growth["area_change_12m"],
            "as_of": growth["area_as_of"],
            "source": growth["source"],
        }

    def _salary(self, occupation: str, region: str | None) -> dict:
        national = self.salary_national_.get(occupation, {"median": None, "size": 0})
        regional = self.salary_region_.get((occupation, region), {"median": None, "size": 0}) if region else None
        published = disclosure.is_published(national["size"], self.min_count)
        result = {
            "national_median_gbp": disclosure.published_median(national["median"], national["size"], self.min_count),
            "national_n": disclosure.published_count(national["size"], self.min_count),
            "source": SALARY_SOURCE if published else None,
            "note": None,
        }
        if region:
            result |= {
                "region_median_gbp": disclosure.published_median(regional["median"], regional["size"], self.min_count),
                "region_n": disclosure.published_count(regional["size"], self.min_count),
            }
            if not disclosure.is_published(regional["size"], self.min_count):
                result["note"] = (
                    disclosure.suppression_note("priced adverts", region, self.min_count) + ": no regional median"
                )
        if not published:
            ashe = self.earnings_.get(occupation)
            result["note"] = disclosure.suppression_note("priced adverts", "nationally", self.min_count) + (
                "; national ASHE earnings shown instead" if ashe else "; no earnings figure available"
            )
            if ashe:
                result |= {"national_median_gbp": round(ashe), "source": ASHE_SOURCE, "national_n": None}
        return result

    def _demand(self, occupation: str, region: str | None) -> dict:
        national = int(self.national_demand_.get(occupation, 0))
        result = {
            "national_adverts": disclosure.published_count(national, self.min_count),
            "national_share": disclosure.published_share(national, self.n_adverts_, self.min_count),
            "source": DEMAND_SOURCE,
        }
        if region:
            count = int(self.demand_.get((occupation, region), 0))
            published = disclosure.is_published(count, self.min_count)
            result |= {
                "region_adverts": disclosure.published_count(count, self.min_count),
                "region_share": disclosure.published_share(count, self.region_totals_.get(region, 0), self.min_count),
                "note": None
                if published
                else disclosure.suppression_note("adverts", region, self.min_count) + ": count suppressed",
            }
        elif not disclosure.is_published(national, self.min_count):
            result["note"] = disclosure.suppression_note("adverts", "nationally", self.min_count) + ": count suppressed"
        return result

    def _growth(self, occupation: str, region: str | None) -> dict:
        sector = self.sector_growth_.get(occupation)
        result = {
            "sector": sector["sector"] if sector else None,
            "sector_change_12m": round(float(sector["change_12m"]), 4)
            if sector and pd.notna(sector["change_12m"])
            else None,
            "sector_as_of": str(pd.Timestamp(sector["latest_date"]).date()) if sector else None,
            "source": GROWTH_SOURCE,
        }
        geography = region or "United Kingdom"
        area = self.region_growth_.get(geography)
        result |= {
            "area": geography,
            "area_change_12m": round(float(area["change_12m"]), 4) if area and pd.notna(area["change_12m"]) else None,
            "area_as_of": str(pd.Timestamp(area["latest_date"]).date()) if area else None,
        }
        return result

    def _profile(self, occupation_row: int) -> tuple[np.ndarray, np.ndarray]:
        """Skill columns and counts of one occupation's profile: views into the CSR arrays, no copy
        (``getrow`` builds a new sparse matrix, a tenth of a millisecond each, on the API's hot path)."""
        counts = self.model_.counts_
        start, end = counts.indptr[occupation_row], counts.indptr[occupation_row + 1]
        return counts.indices[start:end], counts.data[start:end]

    def _missing(self, occupation_row: int, have: set[int]) -> list[dict]:
        indices, data = self._profile(occupation_row)
        order = np.argsort(-data)
        missing = []
        for position in order:
            column = indices[position]
            if column in have:
                continue
            uri = self.model_.skill_uris[column]
            missing.append(
                {"uri": uri, "label": self.skill_labels_.get(uri, uri), "weight": round(float(data[position]), 2)}
            )
            if len(missing) == N_MISSING_SKILLS:
                break
        return missing

    # --- the engine -----------------------------------------------------------------------

    def recommend(self, skills: Sequence[str] | str, region: str | None = None, k: int = 10) -> dict:
        """Ranked occupations for ``skills`` (free text or ESCO URIs; a string is split on ``;`` or newlines).

        Raises ``ValueError`` with a readable message for empty input, too many skills, a bad
        ``k`` or an unknown region. Skills that match nothing are listed with close matches.
        """
        if isinstance(skills, str):
            skills = [part for part in re.split(r"[;\n]", skills)]
        skills = [s for s in (str(s).strip() for s in skills) if s]
        if not skills:
            raise ValueError("no skills given: enter at least one skill, e.g. 'patient care; record keeping'")
        if len(skills) > MAX_SKILLS:
            raise ValueError(f"{len(skills):,} skills given; at most {MAX_SKILLS} are accepted in one request")
        too_long = next((s for s in skills if len(s) > MAX_SKILL_CHARS), None)
        if too_long is not None:
            raise ValueError(
                f"a skill of {len(too_long):,} characters was given ({too_long[:40]!r}…); "
                f"at most {MAX_SKILL_CHARS} characters are accepted per skill"
            )
        if not 1 <= int(k) <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        if region is not None and region not in REGIONS:
            raise ValueError(f"unknown region {region!r}; choose one of: {', '.join(REGIONS)}")
        resolution = self.resolver_.resolve(skills)
        messages = []
        if resolution.duplicates:
            messages.append(
                f"ignored {len(resolution.duplicates)} duplicate skill(s): {', '.join(resolution.duplicates)}"
            )
        if resolution.unknown:
            messages.append(f"{len(resolution.unknown)} skill(s) not recognised; see 'unknown' for close ESCO matches")
        if resolution.over_cap:
            messages.append(
                f"{len(resolution.over_cap)} skill(s) were not matched: at most {self.resolver_.max_phrases} skills "
                "per request that are not exact ESCO labels are matched by spelling and meaning"
            )
        columns = [
            self.model_.vocabulary_.skill_index[r["uri"]]
            for r in resolution.resolved
            if r["uri"] in self.model_.vocabulary_.skill_index
        ]
        results = []
        if columns:
            scores = self.model_.score_one(columns)
            top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
            top = top[np.argsort(-scores[top])]
            have = set(columns)
            for rank, row in enumerate(top, start=1):
                occupation = self.model_.occupation_uris[row]
                in_profile = set(self._profile(row)[0].tolist())
                matched = [self.model_.skill_uris[c] for c in columns if c in in_profile]
                results.append(
                    {
                        "rank": rank,
                        "occupation_uri": occupation,
                        "title": self.occupations_.at[occupation, "preferred_label"],
                        "isco_code": self.occupations_.at[occupation, "isco_code"]
                        if "isco_code" in self.occupations_
                        else None,
                        "score": round(float(scores[row]), 4),
                        "matched_skills": [{"uri": u, "label": self.skill_labels_.get(u, u)} for u in matched],
                        "missing_skills": self._missing(row, have),
                        **self.evidence(occupation, region),
                    }
                )
        else:
            messages.append("none of the skills matched ESCO, so nothing can be recommended yet")
        return {
            "query": {"skills": resolution.resolved, "unknown": resolution.unknown, "region": region, "k": int(k)},
            "results": results,
            "messages": messages,
        }

    # --- summaries for the API ------------------------------------------------------------

    def occupation_profile(self, occupation: str, n_skills: int = 20) -> dict:
        """One occupation's skill profile and its salary, demand and growth, nationally and by region.

        Parameters
        ----------
        occupation
            An ESCO occupation URI the engine knows.
        n_skills
            Skills listed, heaviest first in the occupation's profile (adverts plus ESCO relations).

        Raises ``KeyError`` for an occupation the engine does not know.
        """
        row = self.model_.vocabulary_.occupation_index[occupation]
        info = self.occupations_.loc[occupation]
        profile = self.model_.counts_.getrow(row)
        essential = self.essential_.get(occupation, set())
        skills = []
        for position in np.argsort(-profile.data, kind="stable")[:n_skills]:
            uri = self.model_.skill_uris[profile.indices[position]]
            skills.append(
                {
                    "uri": uri,
                    "label": self.skill_labels_.get(uri, uri),
                    "weight": round(float(profile.data[position]), 2),
                    "essential": uri in essential,
                }
            )
        description = info.get("description")
        return {
            "occupation_uri": occupation,
            "title": info["preferred_label"],
            "isco_code": info.get("isco_code"),
            "description": description if isinstance(description, str) else None,
            "skills": skills,
            "national": self.evidence(occupation),
            "regions": [{"region": region, **self.evidence(occupation, region)} for region in REGIONS],
        }

    def region_summary(self, region: str, n_occupations: int = 20) -> dict:
        """A region's advert count, growth and most advertised occupations (published counts only).

        Raises ``ValueError`` for a region outside :data:`skills_engine.config.REGIONS`.
        """
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}; choose one of: {', '.join(REGIONS)}")
        total = int(self.region_totals_.get(region, 0))
        counts = sorted(
            (
                (n, occ)
                for (occ, where), n in self.demand_.items()
                if where == region and disclosure.is_published(n, self.min_count)
            ),
            reverse=True,
        )
        top = []
        for count, occupation in counts[:n_occupations]:
            salary = self.salary_region_.get((occupation, region), {"median": None, "size": 0})
            top.append(
                {
                    "occupation_uri": occupation,
                    "title": self.occupations_.loc[occupation, "preferred_label"]
                    if occupation in self.occupations_.index
                    else occupation,
                    "adverts": int(count),
                    "share": round(count / total, 5) if total else None,
                    "median_salary_gbp": disclosure.published_median(salary["median"], salary["size"], self.min_count),
                    "salary_n": int(salary["size"]),
                }
            )
        return {
            "region": region,
            "adverts": disclosure.published_count(total, self.min_count),
            "national_share": disclosure.published_share(total, self.n_adverts_, self.min_count),
            "growth": {key: value for key, value in self._growth("", region).items() if not key.startswith("sector")},
            "top_occupations": top,
            "min_published_count": self.min_count,
            "source": DEMAND_SOURCE,
        }
