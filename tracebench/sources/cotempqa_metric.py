r"""CoTempQA's official answer metric, reimplemented (answer scorer ``cotempqa``).

Reimplemented from the published definition in the CoTempQA repository (Su et al., ACL 2024,
``zhaochen0110/Cotempqa``, ``config.py`` / ``evaluate_for_open_model.py``); no code was copied. For one
prediction:

1. The prediction is lower-cased. If it contains ``"answer the question based on"`` (a model continuing
   the few-shot prompt), only the text before it is kept; else if it contains ``" answer "``, only the text
   between the first and the second ``" answer "`` is kept.
2. Candidate answers: every context fact is read with the dataset's sentence templates (``X holds the
   position of Y``, ``X is a member of the Y``, ``X attended Y``, ``X works for Y``, ``X plays for Y``,
   ``X is the chair of Y``, ``X is the head of Y``, ``X is owned by Y``, each with ``from A to B`` /
   ``in A`` / ``from A`` / no time; past tenses are folded first). The candidate is the object ``Y``, or the
   subject ``X`` unless the question's ``triple_element`` is ``S1_R1_O2``. The lower-cased gold answers are
   candidates too. Candidates are de-duplicated and tried longest first (ties: alphabetical, so the result
   is deterministic; the official code leaves tie order to a Python ``set``).
3. Scan: the first candidate found both in the prediction and in the (lower-cased) question is the
   question's own entity: it is deleted from the prediction once and not counted. tracebench's one
   deviation (scorer ``cotempqa``): a gold answer is never taken for the question's entity. Under the
   official rule (scorer ``cotempqa_official``) the exact gold answer scores 0 on 22 of the 2,271 local
   items, because the answer also occurs in the question ("secretary" in "While X was ... United States
   Deputy Secretary of the Interior", "Maersk" in "Maersk Line"); with the deviation every gold answer
   scores 1, and predictions that merely echo the question's entity still score 0. Every other candidate
   found in the prediction is a predicted answer and is deleted from the prediction (so a shorter
   candidate inside a longer one is not counted twice).
4. If no candidate was found, the whole remaining prediction is the one predicted answer.
5. Predicted and gold answers are de-duplicated, normalised (lower case, ASCII punctuation removed, white
   space collapsed; articles are kept, unlike SQuAD) and sorted.
6. ``answer_acc`` (the official ``acc``/EM) = 1.0 when the two lists are equal; ``answer_f1`` = the F1 of
   the two lists as multisets of answers (precision = shared / predicted, recall = shared / gold), 0.0 when
   nothing is shared. This is answer-level F1, as in the official code, not token-level F1.

A prediction may be a Python list repr (``['Liberals', 'Vox']``, the study's own answer format), a comma
list or plain text: the candidate scan finds the answers inside any of them. The ``cotempqa`` scorer first
reads a prediction that is exactly a list repr as its items (one per line), so escapes such as ``\xa0``
inside a repr do not hide an answer (4 local items have answers with a no-break space).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracebench.problem import Problem
from tracebench.traces.listrepr import parse_list_repr

_PUNCT = set(string.punctuation)

# Relation phrases in the order the official scan tries them, with the keyword that selects them.
_RELATIONS: tuple[tuple[str, str], ...] = (
    (" the position of ", "holds the position of"),
    (" a member of ", "is a member of the"),
    (" the chair of ", "is the chair of"),
    (" the head of ", "is the head of"),
    (" owned by ", "is owned by"),
    ("attend", "attended"),
    ("work", "works for"),
    ("play", "plays for"),
)
_TENSES = ((" was ", " is "), (" held ", " holds "), (" worked ", " works "), (" played ", " plays "))


def _templates(phrase: str) -> tuple[re.Pattern[str], ...]:
    p = re.escape(phrase)
    return (
        re.compile(rf"(.+?) {p} (.+?) from (.+?) to (.+?)\."),
        re.compile(rf"(.+?) {p} (.+?) in (.+?)\."),
        re.compile(rf"(.+?) {p} (.+?) from (.+?)"),
        re.compile(rf"(.+?) {p} (.+?)\."),
    )


_TEMPLATES = {phrase: _templates(phrase) for _, phrase in _RELATIONS}


def normalize(text: str) -> str:
    """CoTempQA's answer normalisation: lower case, ASCII punctuation removed, white space collapsed."""
    return " ".join("".join(ch for ch in text.lower() if ch not in _PUNCT).split())


def fact_entities(fact: str) -> tuple[str, str] | None:
    """Read a CoTempQA fact sentence as the official metric does.

    Args:
        fact: One context sentence (``"Thomas Wenski holds the position of bishop from 2004 to 2010."``).

    Returns:
        ``(subject, object)`` as written, or ``None`` when no template matches.
    """
    for keyword, phrase in _RELATIONS:
        if keyword not in fact:
            continue
        text = fact
        for old, new in _TENSES:
            text = text.replace(old, new)
        for pattern in _TEMPLATES[phrase]:
            m = pattern.match(text)
            if m:
                return m.group(1), m.group(2)
    return None


def candidates(facts: Iterable[str], golds: Iterable[str], triple_element: str) -> list[str]:
    """The candidate answers of one item, lower-cased, longest first (ties alphabetical).

    Args:
        facts: The item's context facts.
        golds: The gold answers.
        triple_element: The item's ``triple_element`` (``S1_R1_O2`` reads objects, others subjects).

    Returns:
        The de-duplicated candidates.
    """
    use_subject = "S1_R1_O2" not in triple_element
    found: set[str] = {g.lower() for g in golds}
    for fact in facts:
        ents = fact_entities(fact)
        if ents is not None:
            found.add((ents[0] if use_subject else ents[1]).lower())
    return sorted(found, key=lambda c: (-len(c), c))


def _trim(prediction: str) -> str:
    pred = prediction.lower()
    if "answer the question based on" in pred:
        return pred.split("answer the question based on")[0]
    if " answer " in pred:
        return pred.split(" answer ")[1]
    return pred


def extract_answers(prediction: str, question: str, cands: Sequence[str], keep: Iterable[str] = ()) -> list[str]:
    """Steps 1, 3 and 4 of the metric: the answers a prediction states (not yet normalised).

    Args:
        prediction: The raw predicted answer text.
        question: The question text.
        cands: Candidates from :func:`candidates`.
        keep: Candidates never taken for the question's own entity (tracebench passes the lower-cased gold
            answers; the official code passes nothing).

    Returns:
        The predicted answers (lower case).
    """
    return scan_candidates(_trim(prediction), question, cands, keep)


def scan_candidates(pred: str, question: str, cands: Sequence[str], keep: Iterable[str] = ()) -> list[str]:
    """Steps 3 and 4 of the metric: the candidate scan of an already trimmed, lower-cased prediction.

    Args:
        pred: The lower-cased prediction text, trimmed by step 1 (or by another extraction rule).
        question: The question text.
        cands: Candidates, longest first.
        keep: Candidates never taken for the question's own entity.

    Returns:
        The predicted answers (lower case): the candidates found, or the remaining text when none was.
    """
    q = question.lower()
    never_skip = set(keep)
    found: list[str] = []
    skipped_question_entity = False
    for cand in cands:
        if not cand or cand not in pred:
            continue
        if cand in q and not skipped_question_entity and cand not in never_skip:
            pred = pred.replace(cand, "")
            skipped_question_entity = True
            continue
        found.append(cand)
        pred = pred.replace(cand, "")
    return found if found else [pred]


@dataclass(frozen=True)
class CotempqaScore:
    """One prediction's official scores.

    Attributes:
        em: 1.0 if the normalised answer lists are equal.
        f1: Answer-level F1.
        precision: Shared answers / predicted answers.
        recall: Shared answers / gold answers.
        predicted: The normalised predicted answers (sorted).
    """

    em: float
    f1: float
    precision: float
    recall: float
    predicted: tuple[str, ...]


def score(
    prediction: str | None,
    golds: Sequence[str],
    facts: Sequence[str],
    question: str,
    triple_element: str,
    official: bool = False,
) -> CotempqaScore:
    """Score one prediction with CoTempQA's official metric (see the module docstring).

    Args:
        prediction: The predicted answer text (``None``: nothing predicted, scores 0).
        golds: The gold answers.
        facts: The item's context facts.
        question: The question.
        triple_element: The item's ``triple_element``.
        official: ``True``: exactly the official rule, where a gold answer that also occurs in the question
            can be taken for the question's own entity and dropped. ``False`` (default): a gold answer is
            never dropped that way.

    Returns:
        The :class:`CotempqaScore`.
    """
    if prediction is None:
        return CotempqaScore(0.0, 0.0, 0.0, 0.0, ())
    keep: set[str] = set()
    if not official:
        keep = {g.lower() for g in golds}
        listed = parse_list_repr(prediction)
        if listed is not None and not prediction[listed[1] :].strip():
            prediction = "\n".join(listed[0])
    found = extract_answers(prediction, question, candidates(facts, golds, triple_element), keep)
    return answer_list_scores(found, golds)


def answer_list_scores(found: Iterable[str], golds: Sequence[str]) -> CotempqaScore:
    """Compare the found and gold answers: both normalised and de-duplicated; EM on the sorted lists, F1 on shares.

    Args:
        found: The answers found in a prediction.
        golds: The gold answers.

    Returns:
        The :class:`CotempqaScore` (F1, precision and recall 0.0 when nothing is shared).
    """
    pred = sorted(normalize(a) for a in set(found))
    gold = sorted(normalize(g) for g in {g.lower() for g in golds})
    em = 1.0 if pred == gold else 0.0
    shared = sum((Counter(pred) & Counter(gold)).values())
    if shared == 0:
        return CotempqaScore(em, 0.0, 0.0, 0.0, tuple(pred))
    precision = shared / len(pred)
    recall = shared / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return CotempqaScore(em, f1, precision, recall, tuple(pred))


def score_problem(problem: Problem, prediction: str | None, official: bool = False) -> dict[str, float]:
    """The ``cotempqa`` answer scorer: ``answer_acc`` (EM) and ``answer_f1`` (answer-level F1).

    The problem's ``context`` is the item's facts; ``meta["triple_element"]`` selects subjects or objects
    as candidates (default ``""``: subjects).
    """
    te = str(problem.meta.get("triple_element", ""))
    s = score(prediction, problem.answers, problem.context, problem.question, te, official=official)
    return {"answer_acc": s.em, "answer_f1": s.f1}


def score_problem_official(problem: Problem, prediction: str | None) -> dict[str, float]:
    """The ``cotempqa_official`` answer scorer: :func:`score_problem` with ``official=True``."""
    return score_problem(problem, prediction, official=True)


ANSWER_SCORERS = {"cotempqa": score_problem, "cotempqa_official": score_problem_official}
"""The scorers this metric provides, by name (declared on the cotempqa ``SourceSpec``)."""
