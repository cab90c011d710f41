"""What each executor runs on its partitions: the pandas path's own functions, one batch at a time.

Every function here but :func:`text_hashes` (a ``pandas_udf``: a Series in, a Series out) is
handed to ``mapInPandas``: it receives an iterator of pandas batches and yields pandas batches.
Models (skill extractor, title normaliser, region lookups) are fitted in the executor's Python
worker on its first batch from tables broadcast by the driver, and kept in :data:`_MODELS` for
every later batch and task of that worker (Spark reuses Python workers), so each executor process
fits each model once however many partitions it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

#: Fitted models of this Python worker, by (kind, settings) key.
_MODELS: dict[tuple, object] = {}

EXTRACTED_SCHEMA = (
    "advert_id string, skill_uri string, skill_label string, score double, span_start long, span_end long, "
    "method string, _rank long"
)
TEXTS_SCHEMA = "advert_id string, employer string, title string, cleaned string, _order long"
STRIPPED_SCHEMA = "advert_id string, cleaned string, text string, text_hash string, _order long"
KEYS_SCHEMA = "advert_id string, employer_key string, title_key string, known boolean, sentence string"
OCCUPATIONS_SCHEMA = (
    "advert_id string, canonical_title string, occupation_uri string, occupation_label string, "
    "isco_code string, soc2010_code string, confidence double, method string, _order long"
)


def model(key: tuple, build: Callable[[], object]) -> object:
    """The worker's model under ``key``, built on first use."""
    if key not in _MODELS:
        _MODELS[key] = build()
    return _MODELS[key]


def share(spark, value) -> tuple:
    """``value`` broadcast to every executor, with a key naming it in :data:`_MODELS`."""
    broadcast = spark.sparkContext.broadcast(value)
    return broadcast, broadcast._jbroadcast.id()


def token(shared: tuple) -> int:
    return shared[1]


def _known(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def clean_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Each description cleaned as the extractor cleans it (:func:`~skills_engine.extraction.boilerplate.clean_corpus`)."""
    from skills_engine.extraction.boilerplate import clean_corpus

    for batch in batches:
        yield batch.assign(cleaned=clean_corpus(batch["description"]))[
            ["advert_id", "employer", "title", "cleaned", "_order"]
        ]


def key_batches(min_words: int) -> Callable:
    """Per advert, its distinct normalised sentences of at least ``min_words`` words, with the
    employer and title group each counts under (a missing one is the advert's own group, as
    :class:`~skills_engine.extraction.boilerplate.BoilerplateDetector` counts them)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from skills_engine.extraction.boilerplate import normalise_sentence, sentence_keys

        for batch in batches:
            rows = []
            for advert, employer, title, text in zip(
                batch["advert_id"], batch["employer"], batch["title"], batch["cleaned"]
            ):
                known = _known(employer)
                employer_key = employer.strip() if known else f"\x00{advert}"
                title_norm = normalise_sentence(title) if isinstance(title, str) else None
                title_key = title_norm.strip() if _known(title_norm) else f"\x00{advert}"
                found = {key for _, _, key in sentence_keys(text or "") if key.count(" ") + 1 >= min_words}
                rows.extend((advert, employer_key, title_key, known, key) for key in found)
            yield pd.DataFrame(rows, columns=["advert_id", "employer_key", "title_key", "known", "sentence"])

    return run


def strip_batches(sentences_broadcast) -> Callable:
    """Each cleaned text without its boilerplate sentences, and the hash the extraction keys on."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from skills_engine.extraction.boilerplate import BoilerplateDetector
        from skills_engine.extraction.corpus_cache import text_hash

        def build():
            detector = BoilerplateDetector()
            detector.sentences_ = sentences_broadcast[0].value
            return detector

        detector = model(("boilerplate", token(sentences_broadcast)), build)
        for batch in batches:
            text = [detector.strip(t) for t in batch["cleaned"]]
            yield batch.assign(text=text, text_hash=[text_hash(t) for t in text])[
                ["advert_id", "cleaned", "text", "text_hash", "_order"]
            ]

    return run


def text_hashes(texts: pd.Series) -> pd.Series:
    """The extraction cache's key of each text: a Series-to-Series ``pandas_udf`` (its type hints
    tell Spark the eval type, one Arrow batch at a time)."""
    from skills_engine.extraction.corpus_cache import text_hash

    return texts.map(text_hash)


def extract_batch(params: dict, taxonomy_broadcast, batch_size: int) -> Callable:
    """Skills of one batch of distinct texts (``advert_id`` holds each text's hash, ``_position``
    its place), by the pandas path's :func:`~skills_engine.extraction.corpus_cache.transform_frame`
    on this worker's own extractor (fitted on its first batch)."""

    def run(batch: pd.DataFrame) -> pd.DataFrame:
        from skills_engine.extraction.corpus_cache import transform_frame
        from skills_engine.extraction.extractor import SkillExtractor

        def build():
            import os

            try:
                import torch
            except ImportError:  # no semantic extra: nothing multi-threaded to align
                torch = None
            if torch is not None:
                # the driver's thread count (see session.compute_threads): the same float32 sums
                torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))
            skills, occupation_skills, job_titles = taxonomy_broadcast[0].value
            return SkillExtractor(**params).fit(skills, occupation_skills, job_titles)

        extractor = model(("extractor", repr(sorted(params.items())), token(taxonomy_broadcast)), build)
        ordered = batch.sort_values("_position")[["advert_id", "text"]].reset_index(drop=True)
        found = transform_frame(
            extractor, ordered, text_col="text", id_col="advert_id", batch_size=batch_size, use_cache=False, clean=False
        )
        return found.assign(_rank=range(len(found)))

    return run


def title_batches(tables_broadcast) -> Callable:
    """Canonical title and ESCO occupation of each advert, by :func:`~skills_engine.occupations.labelling.advert_occupations`."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from skills_engine.occupations.labelling import advert_occupations
        from skills_engine.occupations.titles import TitleNormaliser

        def build():
            occupations, crosswalk = tables_broadcast[0].value
            return TitleNormaliser().fit(occupations, crosswalk)

        normaliser = model(("titles", token(tables_broadcast)), build)
        for batch in batches:
            found = advert_occupations(batch.reset_index(drop=True), normaliser=normaliser)
            yield found.assign(_order=batch["_order"].to_numpy()).astype({"confidence": "float64"})

    return run
