"""Skill extraction: ESCO skills in advert text (lexical trie + sentence embeddings).

Owns the lexical stage (``lexical``), the sentence encoders (``semantic``), the extractor that
combines them (``extractor``), the skill encoder fine-tuned for it (``finetune``), the second
stage that reorders its top candidates (``rerank``), the whole-sentence precision of its thresholded
output (``set_precision``), its cached corpus run (``corpus_cache``), the boilerplate sentences
(templates repeated within or across employers) stripped from advert text before corpus extraction
(``boilerplate``), skills for every advert including the title-derived fallback (``advert_skills``),
the benchmark metrics and label-ranking baselines (``evaluate``), SkillSpan span detection
(``spans``) and the peer esco-skill-extractor run side by side (``peer``, the optional ``peer``
extra). Benchmark sentences are never stripped.

May import from ``data``, ``occupations`` and the top-level settings, getters and ``intervals``; never from
``regional``, ``recommender``, ``publish``, ``service``, ``bench`` or ``cli``. Nothing heavy is
imported here: torch and the encoder load on first semantic use.
"""

from __future__ import annotations

__all__ = ["SkillExtractor"]


def __getattr__(name: str):
    if name == "SkillExtractor":
        from skills_engine.extraction.extractor import SkillExtractor

        return SkillExtractor
    raise AttributeError(name)
