"""The sentiment of a designer's comment, offline: a small fashion-aware lexicon with negation.

DESIGN §4 gives comments a strength by sentiment (positive 0.8, neutral 0.5, negative 0.2). Comments
on designs are short and direct ("love the drape", "too busy", "not my colour"), which a lexicon
with negation handling reads well; anything it cannot place is neutral.
"""

from __future__ import annotations

import re
from typing import Literal

Sentiment = Literal["positive", "neutral", "negative"]

_POSITIVE = frozenset(
    [
        "love",
        "loved",
        "loving",
        "lovely",
        "like",
        "liked",
        "great",
        "good",
        "beautiful",
        "gorgeous",
        "stunning",
        "perfect",
        "perfection",
        "amazing",
        "elegant",
        "chic",
        "fantastic",
        "wonderful",
        "excellent",
        "favourite",
        "favorite",
        "best",
        "brilliant",
        "nice",
        "fresh",
        "striking",
        "yes",
        "more",
        "keep",
        "exactly",
        "want",
        "wow",
        "cool",
        "modern",
        "flattering",
        "clean",
        "refined",
        "luxe",
        "luxurious",
        "iconic",
        "standout",
        "obsessed",
        "dreamy",
        "sharp",
        "polished",
        "sophisticated",
    ]
)
_NEGATIVE = frozenset(
    [
        "hate",
        "hated",
        "dislike",
        "ugly",
        "bad",
        "boring",
        "dull",
        "wrong",
        "cheap",
        "awful",
        "terrible",
        "horrible",
        "meh",
        "messy",
        "busy",
        "cluttered",
        "dated",
        "frumpy",
        "tacky",
        "off",
        "weird",
        "odd",
        "worse",
        "worst",
        "fewer",
        "less",
        "never",
        "nope",
        "lose",
        "drop",
        "remove",
        "unflattering",
        "bland",
        "flat",
        "muddy",
        "garish",
    ]
)
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "isn't",
        "isnt",
        "wasn't",
        "wasnt",
        "hardly",
        "nor",
    ]
)
# "too" turns the next word into a complaint ("too long", "too much").
_TOO = "too"
_WORD = re.compile(r"[a-z']+")


def sentiment(text: str) -> Sentiment:
    """positive, negative or neutral by lexicon score.

    A negator flips the polar word within the next two ("not great"); a negation with no polar word
    after it is itself a complaint ("not my colour"). "too" makes the next word one ("too long").
    """
    score = 0
    negation_left = 0
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    for i, word in enumerate(words):
        if word in _NEGATORS:
            score -= negation_left > 0  # a negation that found nothing to flip before the next one
            negation_left = 2
            continue
        polarity = (word in _POSITIVE) - (word in _NEGATIVE)
        if i > 0 and words[i - 1] == _TOO:
            score -= 1  # "too long", "too much": a complaint whatever the word
            negation_left = 0
            continue
        if negation_left:
            negation_left -= 1
            if polarity:
                polarity, negation_left = -polarity, 0
            elif negation_left == 0:
                score -= 1
        score += polarity
    score -= negation_left > 0
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"
