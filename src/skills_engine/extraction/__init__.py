"""Skill extraction: ESCO skills in advert text (lexical trie + sentence embeddings).

Nothing heavy is imported here: torch and the encoder load on first semantic use.
"""

from __future__ import annotations

__all__ = ["SkillExtractor"]


def __getattr__(name: str):
    if name == "SkillExtractor":
        from skills_engine.extraction.extractor import SkillExtractor

        return SkillExtractor
    raise AttributeError(name)
