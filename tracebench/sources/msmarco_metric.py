"""MS MARCO QA answer metrics (answer scorer ``msmarco``).

Reimplemented from the definitions used by the official MS MARCO QA evaluation (``ms_marco_eval.py`` of
Microsoft's MSMARCO-Question-Answering repository, which calls the COCO-caption ``Bleu`` and ``Rouge``
scorers); no code was copied. Per sample, against the problem's accepted answers (the references):

* Tokens: the official script lower-cases and tokenises with spaCy, then the scorers split on spaces.
  tracebench has no spaCy dependency and uses a close regular-expression tokeniser instead
  (:func:`tokenize`: numbers with inner ``.``/``,`` kept whole, words with an inner apostrophe kept whole,
  every other punctuation mark its own token).
* ``answer_acc``: normalised exact match (SQuAD normalisation,
  :func:`~tracebench.normalize.normalize_answer`) against any reference. Not an official MS MARCO
  number; it feeds tracebench's trace/answer quadrants.
* ``rouge_l``: ROUGE-L as the COCO scorer defines it: for each reference, LCS = the longest common
  subsequence of candidate and reference tokens (computed with the ``rouge-score`` package); precision =
  max over references of LCS / candidate length, recall = max of LCS / reference length;
  ``rouge_l = (1 + b^2) P R / (R + b^2 P)`` with ``b = 1.2`` (0 when P or R is 0). The official corpus
  number is the mean of these per-sample values, so lm-eval's mean aggregation reproduces it.
* ``bleu_1``: BLEU-1 as the COCO scorer computes it for one sentence: clipped unigram matches (each
  candidate token counts at most as often as in the reference that has it most often) over candidate
  length, each plus a tiny constant (``(m + 1e-15) / (c + 1e-9)``), times the brevity penalty
  ``exp(1 - r / c)`` when the candidate is shorter than ``r`` = the reference length closest to the
  candidate's (ties: the shorter). The official number is corpus-level BLEU-1 (sums of matches and
  lengths over all samples before dividing); :func:`corpus_bleu1` computes it from per-sample
  :class:`BleuStats`. lm-eval tasks report the mean of the per-sample values.

No-answer rows: MS MARCO marks unanswerable queries with the single answer ``"No Answer Present."`` and the
official BLEU/ROUGE exclude them. When a source keeps such a problem, its reference is that string and the
metrics above are computed against it like any other answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tracebench.normalize import exact_match
from tracebench.problem import Problem

NO_ANSWER = "No Answer Present."
ROUGE_BETA = 1.2
_TINY = 1e-15
_SMALL = 1e-9
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:'\w+)?|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-case and tokenise an answer (see the module docstring).

    ``"It costs $3.50, doesn't it?"`` -> ``["it", "costs", "$", "3.50", ",", "doesn't", "it", "?"]``.
    """
    return _TOKEN.findall(text.lower())


class _Tokenizer:
    """The ``tokenize`` interface ``rouge-score`` expects."""

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text)


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Tokenizer())


def rouge_l(candidate: str, references: Sequence[str], beta: float = ROUGE_BETA) -> float:
    """ROUGE-L of one candidate against its references, as MS MARCO's evaluation defines it.

    Args:
        candidate: The predicted answer.
        references: The accepted answers.
        beta: Recall weight (MS MARCO / COCO: 1.2).

    Returns:
        The score in [0, 1] (0 when the candidate or every reference is empty).
    """
    if not tokenize(candidate) or not references:
        return 0.0
    scorer = _rouge_scorer()
    precision = recall = 0.0
    for ref in references:
        s = scorer.score(ref, candidate)["rougeL"]
        precision = max(precision, s.precision)
        recall = max(recall, s.recall)
    if precision == 0.0 or recall == 0.0:
        return 0.0
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)


@dataclass(frozen=True)
class BleuStats:
    """One sample's BLEU-1 counts.

    Attributes:
        matches: Clipped unigram matches.
        candidate_len: Candidate tokens.
        reference_len: The reference length closest to the candidate's (ties: the shorter).
    """

    matches: int
    candidate_len: int
    reference_len: int

    @property
    def bleu1(self) -> float:
        """Sentence BLEU-1 from these counts (COCO scorer's smoothing constants)."""
        return _bleu1(self.matches, self.candidate_len, self.reference_len)


def _bleu1(matches: float, cand_len: float, ref_len: float) -> float:
    score = (matches + _TINY) / (cand_len + _SMALL)
    ratio = (cand_len + _TINY) / (ref_len + _SMALL)
    if ratio < 1:
        score *= math.exp(1 - 1 / ratio)
    return score


def bleu_stats(candidate: str, references: Sequence[str]) -> BleuStats:
    """Count one sample's BLEU-1 statistics.

    Args:
        candidate: The predicted answer.
        references: The accepted answers (at least one).

    Returns:
        The :class:`BleuStats`.
    """
    cand = tokenize(candidate)
    refs = [tokenize(r) for r in references] or [[]]
    max_ref: Counter[str] = Counter()
    for ref in refs:
        for tok, n in Counter(ref).items():
            max_ref[tok] = max(max_ref[tok], n)
    matches = sum(min(n, max_ref[tok]) for tok, n in Counter(cand).items())
    ref_len = min((abs(len(r) - len(cand)), len(r)) for r in refs)[1]
    return BleuStats(matches=matches, candidate_len=len(cand), reference_len=ref_len)


def bleu1(candidate: str, references: Sequence[str]) -> float:
    """Sentence BLEU-1 of one candidate (see the module docstring)."""
    return bleu_stats(candidate, references).bleu1


def corpus_bleu1(stats: Iterable[BleuStats]) -> float:
    """The official corpus-level BLEU-1: sums of matches and lengths over samples, then the formula.

    Args:
        stats: Per-sample counts from :func:`bleu_stats`.

    Returns:
        Corpus BLEU-1 (0.0 for no samples).
    """
    m = c = r = 0
    for s in stats:
        m += s.matches
        c += s.candidate_len
        r += s.reference_len
    return _bleu1(m, c, r) if c or r else 0.0


def score(prediction: str | None, references: Sequence[str]) -> dict[str, float]:
    """All MS MARCO metrics of one prediction.

    Args:
        prediction: The predicted answer (``None`` scores 0 everywhere).
        references: The accepted answers.

    Returns:
        ``{"answer_acc", "rouge_l", "bleu_1"}``.
    """
    if prediction is None or not prediction.strip():
        return {"answer_acc": 0.0, "rouge_l": 0.0, "bleu_1": 0.0}
    return {
        "answer_acc": exact_match(prediction, references),
        "rouge_l": rouge_l(prediction, references),
        "bleu_1": bleu1(prediction, references),
    }


def score_problem(problem: Problem, prediction: str | None) -> dict[str, float]:
    """The ``msmarco`` answer scorer: :func:`score` against ``problem.answers``."""
    return score(prediction, problem.answers)


ANSWER_SCORERS = {"msmarco": score_problem}
"""The scorers this metric provides, by name (declared on the msmarco ``SourceSpec``)."""
