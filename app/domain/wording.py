"""Small rules of English shared by every message: counted nouns, articles, file-name slugs."""

from __future__ import annotations

import re

_IRREGULAR = {"entry": "entries", "deficiency": "deficiencies"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 day``, ``2 days``, ``0 days``; ``many`` names an irregular plural."""
    if count == 1:
        return f"{count:,} {word}"
    if many is None:
        last = word.rsplit(" ", 1)[-1]
        many = word[: -len(last)] + _IRREGULAR.get(last, last + "s")
    return f"{count:,} {many}"


def with_article(word: str) -> str:
    """``an administrator``, ``a supervisor``: the indefinite article the word's sound takes."""
    return f"{'an' if word[:1].lower() in 'aeio' else 'a'} {word}"


def agreeing(count: int, one: str, many: str) -> str:
    """The verb that agrees with ``count`` things: ``agreeing(1, "has", "have")`` is ``has``."""
    return one if count == 1 else many


def slug(text: str) -> str:
    """``Temple Gate Hotel / L3`` -> ``temple-gate-hotel-l3``: one hyphen between words."""
    return re.sub(r"[^\w]+|_+", "-", text.casefold()).strip("-")
