"""The recommender as a compact JSON model, so the try-it page works on a static site.

:func:`export_static_model` writes what the browser needs to rank occupations exactly as
:meth:`skills_engine.recommender.rankers.SkillProfileLM.score_one` does: for each occupation its
profile's skills (heaviest advert-and-ESCO count first) with their query-likelihood weights,
its length penalty and log prior, and the published evidence (salary, demand and growth;
aggregates only, every count below the engine's ``min_count`` suppressed). The page's
script (``static/skills-engine.js``) computes, for the chosen skill ids ``S``::

    score(o) = sum(weight[o, s] for s in S) - len(S) * length_penalty[o] + prior_weight * log_prior[o]

:func:`rank_exported` is the same computation in Python, used by the tests to check the
export against the engine. :func:`write_site_assets` puts the model and the page's script
and stylesheet into a site folder.

Differences from the service, by design: the page ranks with the skill-profile model alone,
without the nearest training adverts' vote and the neural network's lift the engine adds
(:class:`~skills_engine.recommender.stacking.SkillProfileStack`), because the vote needs every
training advert's skill set, the network weighs on individual adverts, and the site publishes
aggregates only (the profile's tuned smoothing is kept); typed skills are matched to ESCO preferred labels
and up to :data:`N_ALT_LABELS` alternative labels exactly (after
:func:`~skills_engine.recommender.resolver.normalise_label`), without the service's fuzzy matching.
"""

from __future__ import annotations

import json
import math
import shutil
from importlib import resources
from pathlib import Path

import numpy as np

from skills_engine import __version__, config, disclosure
from skills_engine.recommender.engine import N_MISSING_SKILLS
from skills_engine.recommender.resolver import normalise_label

#: Format of the exported JSON; the script refuses a model with another version.
EXPORT_VERSION = 1
#: Alternative labels exported per skill, shortest first: all ~84,000 of them would double the
#: file; three keep the common synonyms ("bookkeeping" for "keep financial records").
N_ALT_LABELS = 3
#: Decimals kept of profile weights (0.9 to 9.3): 1e-4 changes a score by at most
#: ``n_skills * 5e-5``, far below the gaps between neighbouring occupations.
WEIGHT_DECIMALS = 4
#: Folder of the try-it page's assets in a site, and the files in it.
SITE_FOLDER = "try-it"
MODEL_FILE = "model.json"
ASSETS = ("skills-engine.js", "skills-engine.css")
#: Provenance fields copied into the model (never paths or row-level data).
META_FIELDS = ("artifact_version", "package_version", "built_at", "data_built_at", "inputs_digest", "origin", "adverts")


def _number(value, digits: int = 4):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def static_model(engine, meta: dict | None = None) -> dict:
    """The JSON-ready model of ``engine`` (a fitted :class:`~skills_engine.recommender.engine.Recommender`)."""
    model, resolver, minimum = engine.model_, engine.resolver_, engine.min_count
    skill_uris = list(model.skill_uris)
    index = {uri: i for i, uri in enumerate(skill_uris)}
    labels = [resolver.uri_to_label_.get(uri, uri) for uri in skill_uris]
    alternatives: dict[int, list[str]] = {}
    preferred_keys = {normalise_label(label) for label in labels}
    for key, uri in resolver.label_to_uri_.items():
        if uri in index and key not in preferred_keys:
            alternatives.setdefault(index[uri], []).append(key)
    alt = [
        "|".join(sorted(alternatives.get(i, []), key=lambda k: (len(k), k))[:N_ALT_LABELS])
        for i in range(len(skill_uris))
    ]

    counts, weights = model.counts_.tocsr(), model.weights_.tocsr()
    sectors: dict[str, int] = {}
    sector_rows = []
    occupations = []
    for row, occupation in enumerate(model.occupation_uris):
        start, end = counts.indptr[row], counts.indptr[row + 1]
        columns = counts.indices[start:end]
        order = np.argsort(-counts.data[start:end], kind="stable")
        w_start, w_end = weights.indptr[row], weights.indptr[row + 1]
        weight_of = dict(zip(weights.indices[w_start:w_end].tolist(), weights.data[w_start:w_end].tolist()))
        ordered = [int(columns[i]) for i in order]
        info = engine.occupations_.loc[occupation] if occupation in engine.occupations_.index else {}
        national = engine.evidence(occupation)
        salary, growth = national["salary"], national["growth"]
        sector = None
        if growth["sector"] is not None:
            if growth["sector"] not in sectors:
                sectors[growth["sector"]] = len(sector_rows)
                sector_rows.append(
                    {
                        "name": growth["sector"],
                        "change_12m": growth["sector_change_12m"],
                        "as_of": growth["sector_as_of"],
                    }
                )
            sector = sectors[growth["sector"]]
        regional = {}
        for r, region in enumerate(config.REGIONS):
            local = engine.evidence(occupation, region)
            median, adverts = local["salary"]["region_median_gbp"], local["demand"]["region_adverts"]
            if adverts is not None or median is not None:
                regional[str(r)] = [median, disclosure.published_count(local["salary"]["region_n"], minimum), adverts]
        occupations.append(
            {
                "u": occupation,
                "t": info.get("preferred_label", occupation) if len(info) else occupation,
                "i": info.get("isco_code") if len(info) else None,
                "lp": round(float(model.length_penalty_[row]), 6),
                "pr": round(float(model.log_prior_[row]), 6),
                "s": ordered,
                "w": [round(weight_of.get(c, 0.0), WEIGHT_DECIMALS) for c in ordered],
                # national salary: median, adverts behind it (None for ASHE), source code
                "sal": [
                    salary["national_median_gbp"],
                    salary["national_n"] if salary["national_median_gbp"] is not None else None,
                    "ashe"
                    if salary["source"] and "ASHE" in salary["source"]
                    else ("ads" if salary["source"] else None),
                ],
                "dem": national["demand"]["national_adverts"],
                "sec": sector,
                "r": regional,
            }
        )
    area_growth = {}
    for area in (*config.REGIONS, "United Kingdom"):
        growth = engine.area_growth(None if area == "United Kingdom" else area)
        area_growth[area] = {"change_12m": growth["change_12m"], "as_of": growth["as_of"]}
    from skills_engine.recommender.engine import ASHE_SOURCE, DEMAND_SOURCE, GROWTH_SOURCE, SALARY_SOURCE

    return {
        "format": "skills-engine-static-model",
        "version": EXPORT_VERSION,
        "package_version": __version__,
        "engine": {key: (meta or {}).get(key) for key in META_FIELDS},
        "prior_weight": float(model.prior_weight),
        "min_count": int(minimum),
        "n_missing": N_MISSING_SKILLS,
        "regions": list(config.REGIONS),
        "region_adverts": {
            region: disclosure.published_count(engine.region_totals_.get(region, 0), minimum)
            for region in config.REGIONS
        },
        "n_adverts": int(engine.n_adverts_),
        "sources": {"salary": SALARY_SOURCE, "ashe": ASHE_SOURCE, "demand": DEMAND_SOURCE, "growth": GROWTH_SOURCE},
        "skills": {"labels": labels, "alt": alt},
        "sectors": sector_rows,
        "area_growth": area_growth,
        "occupations": occupations,
    }


def export_static_model(engine, path: Path, meta: dict | None = None) -> Path:
    """Write :func:`static_model` of ``engine`` as compact JSON to ``path`` (atomically); return the path.

    Parameters
    ----------
    engine
        A fitted :class:`~skills_engine.recommender.engine.Recommender`.
    path
        The ``.json`` file to write.
    meta
        The artefact's provenance (from :func:`skills_engine.recommender.artifacts.load_engine`), copied in part.
    """
    from skills_engine.getters import atomic_write_text

    return atomic_write_text(
        Path(path), json.dumps(static_model(engine, meta), separators=(",", ":"), ensure_ascii=False)
    )


def static_assets() -> list[Path]:
    """The try-it page's script and stylesheet, shipped with the package."""
    folder = Path(str(resources.files("skills_engine.service") / "static"))
    return [folder / name for name in ASSETS]


def write_site_assets(engine, site_dir: Path, meta: dict | None = None) -> Path:
    """Put ``try-it/model.json`` and the page's script and stylesheet into ``site_dir``; return the folder.

    Call it on the staged site project before rendering (with ``try-it/`` listed under
    ``project: resources:`` in ``_quarto.yml``) or on the rendered site after it. With
    ``engine=None`` (no artefact built yet) only the script and stylesheet are written: the
    page then says that the model could not be loaded, and has no dead link.
    """
    folder = Path(site_dir) / SITE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    if engine is not None:
        export_static_model(engine, folder / MODEL_FILE, meta)
    for asset in static_assets():
        shutil.copy2(asset, folder / asset.name)
    return folder


# --- the page's computation, in Python ---------------------------------------------------------


def match_skills(model: dict, inputs: list[str]) -> tuple[list[int], list[str]]:
    """Skill ids for typed skills (exact preferred or exported alternative label), as the page does.

    Returns the ids in order without duplicates, and the inputs that matched nothing.
    """
    keys: dict[str, int] = {}
    for i, label in enumerate(model["skills"]["labels"]):
        keys.setdefault(normalise_label(label), i)
    for i, alternatives in enumerate(model["skills"]["alt"]):
        for key in filter(None, alternatives.split("|")):
            keys.setdefault(key, i)
    ids, unknown = [], []
    for text in inputs:
        key = normalise_label(text)
        if not key:
            continue
        if key in keys:
            if keys[key] not in ids:
                ids.append(keys[key])
        else:
            unknown.append(text)
    return ids, unknown


def rank_exported(model: dict, skill_ids: list[int], k: int = 10) -> list[tuple[str, float]]:
    """``(occupation_uri, score)`` of the ``k`` best occupations: the script's ranking, in Python.

    Ties are broken by the occupation's position in the model, as the script does.
    """
    n = len(skill_ids)
    chosen = set(skill_ids)
    scored = []
    for position, occupation in enumerate(model["occupations"]):
        matched = sum(w for s, w in zip(occupation["s"], occupation["w"]) if s in chosen)
        scored.append((-(matched - n * occupation["lp"] + model["prior_weight"] * occupation["pr"]), position))
    scored.sort()
    return [(model["occupations"][position]["u"], -negative) for negative, position in scored[:k]]
