"""The audit's plain-words finding: sentences computed from the numbers (nothing here is typed-in result).

Each sentence is a template filled with values of the :class:`~tracebench.audit.study.Audit` (ranges over the
correct-trace students, the incorrect-trace students' numbers, the match with the study's published values);
the words describing a correlation come from :func:`strength`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from tracebench.audit.study import POOLED, Audit, AuditRow, ProfileResult
from tracebench.formatting import fmt_percent

DATASET_NAMES = {"babi": "bAbI", "cotempqa": "CoTempQA"}


def strength(value: float) -> str:
    """Words for a phi coefficient: ``no``, ``a weak``, ``a moderate`` or ``a strong`` (with the sign)."""
    if math.isnan(value):
        return "an undefined"
    size = abs(value)
    if size < 0.1:
        return "no"
    word = "a weak" if size < 0.3 else "a moderate" if size < 0.5 else "a strong"
    return f"{word} {'positive' if value > 0 else 'negative'}"


def pct(value: float) -> str:
    """A share as a percentage with one decimal (``"–"`` when undefined)."""
    return fmt_percent(value, suffix="%")


def span(values: Sequence[float], fmt: str = "pct") -> str:
    """``"a"`` or ``"a to b"`` over the defined values (shares as percentages, else 2 decimals)."""
    vals = sorted(v for v in values if not math.isnan(v))
    if not vals:
        return "undefined"
    show = pct if fmt == "pct" else (lambda v: f"{v:+.2f}")
    lo, hi = show(vals[0]), show(vals[-1])
    return lo if lo == hi else f"{lo} to {hi}"


def related(value: float) -> str:
    """How trace and answer correctness relate, for a phi value: ``unrelated``, ``weakly related``, ..."""
    words = strength(value)
    if words == "no":
        return "unrelated"
    if words == "an undefined":
        return "of undefined relation"
    size, sign = words.split(" ")[1:3]
    adverb = {"weak": "weakly", "moderate": "moderately", "strong": "strongly"}[size]
    return f"{adverb} {'related' if sign == 'positive' else 'inversely related'}"


def _mean(values: Sequence[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else math.nan


def _main_rows(audit: Audit, dataset: str) -> list[AuditRow]:
    slices = audit.slices(dataset)
    wanted = POOLED if POOLED in slices else (slices[0] if slices else None)
    return [r for r in audit.rows if r.dataset == dataset and r.slice == wanted]


def _per_dataset(
    audit: Audit,
    profile: str,
    value: Callable[[ProfileResult], float],
    fmt: str = "pct",
    template: str = "{v} on {name}",
    regime: str = "correct trace",
) -> tuple[str, float]:
    parts, everything = [], []
    for dataset, name in DATASET_NAMES.items():
        rows = [r for r in _main_rows(audit, dataset) if r.regime == regime and profile in r.profiles]
        got = [value(r.profiles[profile]) for r in rows if r.profiles[profile].n]
        if got:
            parts.append(template.format(v=span(got, fmt), name=name))
            everything += got
    return " and ".join(parts), _mean(everything)


def _released_sentence(audit: Audit) -> str | None:
    if "released" not in audit.profiles:
        return "The released profile is not computed by this build of tracebench rescore."
    phis, mean_phi = _per_dataset(audit, "released", lambda p: p.phi, "num")
    if not phis:
        return None
    traces, _ = _per_dataset(audit, "released", lambda p: p.trace_acc, template="{v} of {name} problems")
    return (
        f"What the study's tables say (its released scoring code, gold looked up by answer text): for the "
        f"correct-trace students, trace and answer correctness look {related(mean_phi)} (phi {phis}), with a right "
        f"trace on only {traces}."
    )


def _gold_sentence(audit: Audit) -> str | None:
    strict, mean_strict = _per_dataset(audit, "strict", lambda p: p.phi, "num")
    if not strict:
        return None
    traces, _ = _per_dataset(audit, "strict", lambda p: p.trace_acc, template="{v} of {name} problems")
    given, _ = _per_dataset(audit, "strict", lambda p: p.p_answer_given_trace, template="{v} of cases on {name}")
    text = (
        f"What each sample's own gold says: the same students write a right trace on {traces}, and trace and "
        f"answer correctness are {related(mean_strict)} (strict phi {strict}"
    )
    paper, mean_paper = _per_dataset(audit, "paper", lambda p: p.phi, "num")
    if paper:
        text += f"; {related(mean_paper)} under the study's own rules, paper phi {paper}"
    return text + f"); when the trace is right, the answer is right in {given} (strict)."


def _incorrect_sentence(audit: Audit) -> str | None:
    def acc(p: ProfileResult) -> float:
        return p.answer_acc

    def trace(p: ProfileResult) -> float:
        return p.trace_acc

    wrong, wrong_acc = _per_dataset(audit, "strict", acc, regime="incorrect trace", template="{v} ({name})")
    if not wrong:
        return None
    traces, wrong_trace = _per_dataset(audit, "strict", trace, regime="incorrect trace", template="{v} ({name})")
    right, right_acc = _per_dataset(audit, "strict", acc, template="{v} ({name})")
    text = (
        f"The students trained on incorrect traces write a right trace on {traces} of problems yet answer {wrong} right"
    )
    if right:
        text += f", against {right} for the correct-trace students"
    text += " (strict)"
    if wrong_trace < 0.05 and not math.isnan(right_acc) and wrong_acc >= 0.8 * right_acc:
        text += ": a right answer does not need a right trace"
    return text + "."


def _published_sentence(audit: Audit) -> str | None:
    rows = [r for r in audit.rows if r.slice != POOLED and r.published_acc is not None]
    out: list[str] = []
    tables = [r for r in audit.rows if r.published_table is not None and "released" in r.profiles]
    if tables:
        same = sum(r.profiles["released"].table == r.published_table for r in tables)
        out.append(f"the released profile reproduces {same} of its {len(tables)} published bAbI trace x answer tables")
    for profile in ("paper", "strict"):
        have = [r for r in rows if profile in r.profiles]
        if not have:
            continue
        gaps = [abs(100 * r.profiles[profile].answer_acc - float(r.published_acc or 0.0)) for r in have]
        exact = sum(
            f"{100 * r.profiles[profile].answer_acc:.1f}" == f"{float(r.published_acc or 0.0):.1f}" for r in have
        )
        out.append(
            f"{profile} answer accuracy equals its published value to one decimal on {exact} of {len(have)} files "
            f"(largest gap {max(gaps):.1f} points)"
        )
    return ("Against the study's own numbers: " + "; ".join(out) + ".") if out else None


def finding(audit: Audit) -> list[str]:
    """The finding: what the study's tables say (released) and what per-sample gold says (strict, paper).

    Args:
        audit: The audit.

    Returns:
        Sentences, in reading order (only those whose numbers exist).
    """
    sentences = [
        _released_sentence(audit),
        _gold_sentence(audit),
        _incorrect_sentence(audit),
        _published_sentence(audit),
    ]
    return [s for s in sentences if s]
