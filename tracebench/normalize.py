"""Text normalisation used by the answer and step scorers, the trace parser and the perturbation rules.

The lowest layer (standard library only), so traces and sources can use it; re-exported by
:mod:`tracebench.scoring.normalize`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import lru_cache

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
_WS = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def normalize_answer(text: str) -> str:
    """SQuAD-style answer normalisation: lower case, punctuation, articles and extra white space removed.

    Args:
        text: Raw answer text.

    Returns:
        The normalised text (``"The  Kitchen."`` -> ``"kitchen"``).
    """
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=1 << 16)
def normalize_fact(text: str) -> str:
    """Normalise a context sentence for exact fact comparison.

    Case and white space are folded and one trailing full stop is dropped; every other character must
    match, so a paraphrase is not the fact. Cached: a problem's gold facts are normalised several times
    per sample (each profile's verdict and the overlap scores).

    Args:
        text: A sentence as written by the model or the dataset.

    Returns:
        The normalised sentence (``" Mary went  to the Kitchen. "`` -> ``"mary went to the kitchen"``).
    """
    text = _WS.sub(" ", text.casefold()).strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    return text


@lru_cache(maxsize=1 << 12)
def normalize_label(text: str) -> str:
    """Normalise a classification label.

    Case and white space are folded; surrounding quotes and punctuation (``.``, ``,``, ``:``) dropped.
    ``"Single-Supporting-Fact."`` -> ``"single-supporting-fact"``.
    """
    text = _WS.sub(" ", text.casefold()).strip()
    return text.strip(" .,:;'\"`*")


def exact_match(prediction: str | None, answers: Sequence[str]) -> float:
    """Normalised exact match against any accepted answer.

    Args:
        prediction: The predicted answer (``None`` scores 0).
        answers: Accepted answers.

    Returns:
        1.0 if ``normalize_answer(prediction)`` equals that of any answer, else 0.0.
    """
    if prediction is None:
        return 0.0
    pred = normalize_answer(prediction)
    for answer in answers:
        if pred == normalize_answer(answer):
            return 1.0
    return 0.0
