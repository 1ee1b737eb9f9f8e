"""The ``released`` profile: the study's released confusion-matrix code re-enacted, gold lookup included.

Per file (the released code scores a whole generations file at once):

1. Every row's answer verdict is the study's answer rule with the row's OWN gold (the released code calls
   ``evaluate_model`` on the row itself): the ``paper`` answer verdict.
2. A row whose output has no ``think`` or an empty trace is ``unevaluated``: it counts in the answer count
   but in none of the matrices (:attr:`ReleasedChecks.evaluated`).
3. The gold row is looked up by answer text: the first row of the test table whose answer contains the
   row's gold answer (:func:`~tracebench.scoring.study.base.released_gold_rows`); the table is the file's
   own rows, in order.
4. The category and fact checks are made against that gold row; the trace is right when both are.

The result carries the study's own tables (``accuracies``, ``matrix1`` category x answer, ``matrix2`` fact x
answer, ``matrix3`` trace x answer, with the study's key names) so they compare one to one with
``published/study_results.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracebench.scoring.study.base import ReleasedChecks, Row, released_gold_rows


@dataclass(frozen=True)
class ReleasedVerdict:
    """The released code's verdicts on one row.

    Attributes:
        answer_ok: The answer verdict (the row's own gold).
        evaluated: Whether the trace was scored at all.
        gold_row: Index of the looked-up gold row in the table (``None``: no row contains the gold).
        category_ok: Category check against the gold row (``False`` when unevaluated).
        fact_ok: Fact check against the gold row (``False`` when unevaluated).
    """

    answer_ok: bool
    evaluated: bool
    gold_row: int | None
    category_ok: bool
    fact_ok: bool

    @property
    def trace_ok(self) -> bool:
        """The released trace verdict: category and fact both right."""
        return self.category_ok and self.fact_ok


def released_verdicts(
    table: Sequence[Row],
    predictions: Sequence[str],
    answer_ok: Sequence[bool],
    checks: ReleasedChecks,
    scored: Sequence[int] | None = None,
) -> list[ReleasedVerdict]:
    """Re-enact the released code on a file.

    Args:
        table: The file's rows in order (the lookup table), as :attr:`ReleasedChecks.table_row` built them.
        predictions: The raw output of each scored row.
        answer_ok: The answer verdict of each scored row.
        checks: The source's released checks.
        scored: Table index of each scored row (default: every row, in order).

    Returns:
        One :class:`ReleasedVerdict` per scored row.
    """
    lookup = released_gold_rows(table, checks)
    indices = list(range(len(table))) if scored is None else list(scored)
    out: list[ReleasedVerdict] = []
    for i, prediction, ok in zip(indices, predictions, answer_ok, strict=True):
        gold_index = lookup[i]
        evaluated = checks.evaluated(prediction) and gold_index is not None
        gold_row = table[gold_index] if gold_index is not None else {}
        out.append(
            ReleasedVerdict(
                answer_ok=ok,
                evaluated=evaluated,
                gold_row=gold_index,
                category_ok=evaluated and checks.category_ok(gold_row, prediction),
                fact_ok=evaluated and checks.fact_ok(gold_row, prediction),
            )
        )
    return out


def _matrix(verdicts: Sequence[ReleasedVerdict], step: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for answer in ("correct", "incorrect"):
        for right in ("correct", "incorrect"):
            out[f"{answer}_answer_{right}_{step}"] = 0
    for v in verdicts:
        if not v.evaluated:
            continue
        ok = {"category": v.category_ok, "fact": v.fact_ok, "trace": v.trace_ok}[step]
        a = "correct" if v.answer_ok else "incorrect"
        s = "correct" if ok else "incorrect"
        out[f"{a}_answer_{s}_{step}"] += 1
    return out


def released_tables(verdicts: Sequence[ReleasedVerdict]) -> dict[str, dict[str, int]]:
    """The study's four released tables from the verdicts, with the study's key names.

    Returns:
        ``{"accuracies": {unevaluated, category_accuracy, fact_accuracy, answer_accuracy}, "matrix1":
        category x answer, "matrix2": fact x answer, "matrix3": trace x answer}`` (counts).
    """
    evaluated = [v for v in verdicts if v.evaluated]
    return {
        "accuracies": {
            "unevaluated": len(verdicts) - len(evaluated),
            "category_accuracy": sum(v.category_ok for v in evaluated),
            "fact_accuracy": sum(v.fact_ok for v in evaluated),
            "answer_accuracy": sum(v.answer_ok for v in verdicts),
        },
        "matrix1": _matrix(verdicts, "category"),
        "matrix2": _matrix(verdicts, "fact"),
        "matrix3": _matrix(verdicts, "trace"),
    }
