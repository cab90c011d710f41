"""One set of corpus-step functions per engine, under the same names: callers pass ``engine`` only.

>>> steps = corpus_steps("pandas")
>>> steps.engine, steps.corpus_texts.__module__
('pandas', 'skills_engine.extraction.advert_skills')
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

ENGINES = ("pandas", "spark")
#: The corpus steps every engine provides.
STEPS = (
    "corpus_texts",
    "build_advert_skills",
    "advert_occupations",
    "ensure_advert_occupations",
    "build_training",
    "fit_engine",
    "item_region_counts",
    "cluster_totals",
    "regional_inputs",
)


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    return engine


def corpus_steps(engine: str = "pandas", master: str | None = None) -> SimpleNamespace:
    """The corpus steps of ``engine`` (``"pandas"``, the default, or ``"spark"`` on ``master``;
    see :func:`~skills_engine.scale.session.master_url`), each with the pandas path's name,
    arguments and output."""
    if check_engine(engine) == "pandas":
        from skills_engine.extraction import advert_skills
        from skills_engine.occupations import labelling
        from skills_engine.recommender import training
        from skills_engine.regional import comparison
        from skills_engine.regional import inputs as regional_inputs

        return SimpleNamespace(
            engine=engine,
            corpus_texts=advert_skills.corpus_texts,
            build_advert_skills=advert_skills.build_advert_skills,
            advert_occupations=labelling.advert_occupations,
            ensure_advert_occupations=labelling.ensure_advert_occupations,
            build_training=training.build_training,
            fit_engine=training.fit_engine,
            item_region_counts=comparison.item_region_counts,
            cluster_totals=comparison.cluster_totals,
            regional_inputs=regional_inputs.load,
        )
    from skills_engine.scale import aggregates, corpus, session

    spark = session.get_session(master)
    return SimpleNamespace(
        engine=engine,
        spark=spark,
        corpus_texts=partial(corpus.corpus_texts, spark=spark),
        build_advert_skills=partial(corpus.build_advert_skills, spark=spark),
        advert_occupations=partial(corpus.advert_occupations, spark=spark),
        ensure_advert_occupations=partial(corpus.ensure_advert_occupations, spark=spark),
        build_training=partial(aggregates.build_training, spark=spark),
        fit_engine=partial(aggregates.fit_engine, spark=spark),
        item_region_counts=partial(aggregates.item_region_counts, spark=spark),
        cluster_totals=partial(aggregates.cluster_totals, spark=spark),
        regional_inputs=partial(aggregates.load_regional_inputs, spark=spark),
    )
