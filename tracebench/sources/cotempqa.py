"""CoTempQA (source ``cotempqa``).

Dataset:
    CoTempQA, "Living in the Moment: Can Large Language Models Grasp Co-Temporal Reasoning?" (Su et al.,
    ACL 2024). Licence: CC BY-SA 4.0. Hub id ``Warrieryes/CotempQA``: four JSON-lines files, one per
    co-temporal relation, ``equal.json`` (436 items), ``overlap.json`` (653), ``during.json`` (3,096) and
    ``mix.json`` (563); fields ``index``, ``triple_element``, ``question``, ``facts`` (list of sentences),
    ``answer`` (list). The hub's merged ``train`` split loses the relation, so the files are read one by one
    and the relation is the file name.

Where the data comes from (first that works):
    1. A local folder holding the four files, found by :func:`~tracebench.sources.base.locate_data`: an
       explicit ``data_path`` (function option, or the lm-eval task's ``metadata.data_path``; a path to one
       of the files means its folder), then ``$TRACEBENCH_COTEMPQA_PATH``, then
       ``$TRACEBENCH_DATA_DIR/cotempqa``.
    2. The hub: each file is fetched with :func:`huggingface_hub.hf_hub_download` (``repo_type="dataset"``).
       Not tried when ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE`` is set; if the hub cannot be reached,
       :class:`~tracebench.sources.base.DataNotFoundError` says how to point tracebench at local files.

Decomposition (one Problem per item):
    * ``context``: the item's ``facts``, in order. ``question``: the item's question.
    * classification step: ``label`` = the relation (``equal``, ``overlap``, ``during``, ``mix``), rendered
      with the study's sentence "The temporal relation between the event in question and the event in
      context is: {label}." (phrasing ``cotempqa``).
    * retrieval step: the facts that state a gold answer, in context order, rendered "I need to use the
      following facts to answer the question: [...]". The study's rule is a substring test (a fact is gold
      when any gold answer string occurs in it: ``fact_rule="paper"``). The default rule
      (``fact_rule="entity"``) reads each fact with the dataset's sentence template
      (``<subject> <relation> <object> [from A to B | from A | in A].``) and keeps a fact when its
      *answer slot* equals a gold answer exactly: the subject for ``S2_R1_O1`` items ("who else held Y"),
      the object for every other ``triple_element``; for ``S2_R1_O2`` / ``S2_R2_O2`` items (two people), a
      fact about the question's anchor person (the subject named first in the question) is not gold.
    * ``answers``: the gold list, de-duplicated in order (mix items have two to four).
    * ``meta``: ``category`` (the relation), ``index``, ``triple_element``, ``split``, ``phrasing``
      (``"cotempqa"``), ``answer_scorer`` (``"cotempqa"``: the official metric,
      :mod:`tracebench.sources.cotempqa_metric`), ``answer_format`` (``"set"``), ``answer_sep`` (``", "``),
      ``fact_rule``.
    * ``id``: ``cotempqa/<relation>/<index>``.

Ambiguities of the study's rule, and what tracebench decides (counts over the 2,271 local items: equal 436,
overlap 653, during 619, mix 563; 3,413 gold answer strings). The substring rule marks 119 facts gold that the
entity rule does not, in 82 items (equal 10, overlap 12, during 23, mix 37); the entity rule never adds a fact
the substring rule lacks. By case:
    * An answer string inside a longer or unrelated entity ("Republican Party" inside "Catalan Republican
      Party", "Red" inside "Red Electoral Alliance"): NOT gold (exact entity match). 35 facts. (No gold
      answer is a bare "bishop"; the "titular bishop" / "auxiliary bishop" kind of case is handled the same
      way: "titular bishop" is gold only for the answer "titular bishop".)
    * A fact naming the question's own event (the anchor fact, e.g. "... member of the Australian Labor Party
      (South Australian Branch)" when the question is about that membership and an answer is "Australian
      Labor Party"): NOT gold unless its answer slot equals an answer. 28 facts.
    * Two-person items (``S2_R1_O2`` / ``S2_R2_O2``): a fact of the anchor person (named first in the
      question) whose object equals the answer ("Benoit Mandelbrot attended University of Paris" when the
      question asks where Marie-Louise Dubreil-Jacotin worked): NOT gold. 56 facts.
    * Answers that are substrings of one another (13 answers, e.g. "University of California" and
      "University of California, Santa Cruz"): each answer keeps only the facts whose entity equals it.
    * One answer stated by several facts of the asked person (the same membership at two times; 6 answers):
      all of them are gold, as in the study (which interval the question needs is temporal reasoning, not
      retrieval).
    * An answer that matches no fact's answer slot (0 of 3,413 with the entity rule; 0 with the substring
      rule): the substring rule is used for that answer; if it still finds nothing the answer has no gold fact
      and ``meta["unsupported_answers"]`` lists it.
    * A repeated gold answer (1 item, overlap 480): answers are de-duplicated (3,412 remain).
    * Answers that also occur in their own question (21; 22 case-folded): a matter for the answer metric,
      see :mod:`tracebench.sources.cotempqa_metric`.
    Every decision is tested in ``tests/sources/test_cotempqa.py``.

Split (the study's): per relation, ``numpy.random.RandomState(seed).permutation(n)[:round(0.2 * n)]`` picks
the test positions (``pandas.DataFrame.sample(frac=0.2, random_state=42)`` on the relation's rows in file
order; ``n`` = the full file size, 436 / 653 / 3,096 / 563); train is the rest. Items are matched by their
``index`` field, so a partial file works: the ``during.json`` beside the project holds exactly the study's
619 ``during`` test items (verified: its indices equal the first 619 of that permutation of 3,096), so its
train split is empty. Test problems come in the permutation's order and train problems in file order;
relations in the study's order (overlap, during, mix, equal). Defaults: ``seed=42``, ``test_fraction=0.2``:
test = overlap 131, during 619, mix 113, equal 87 (950); train = overlap 522, mix 450, equal 349 (+ during
2,477 from the full hub file).

Example (``equal.json`` index 0)::

    Problem(id="cotempqa/equal/0", source="cotempqa",
            context=("Emma Carlsson Löfdahl is a member of the Denmark Democrats - Inger Støjberg in October 24, 2019.",
                     ..., "Emma Carlsson Löfdahl is a member of the Liberals in March 11, 2019.", ...),
            question="While Emma Carlsson Löfdahl was a member of independent politician, which political party "
                     "did Emma Carlsson Löfdahl belong to within the same time interval?",
            steps=(Step.classification("equal", LABELS),
                   Step.retrieval(("Emma Carlsson Löfdahl is a member of the Liberals in March 11, 2019.",))),
            answers=("Liberals",),
            meta={"category": "equal", "index": 0, "triple_element": "S1_R1_O2", "split": "test", ...})
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tracebench.io import JsonlError, iter_jsonl
from tracebench.normalize import normalize_answer
from tracebench.problem import Problem, Step
from tracebench.schemas import RecordError
from tracebench.sources.base import (
    CategoryTasks,
    DataLocation,
    DataNotFoundError,
    GenBudgets,
    SourceSpec,
    check_data_path,
    choose_labels,
    contains_answer,
    how_to_point,
    local_or_hub,
    locate_data,
    non_gold_sentences,
    register_source,
)
from tracebench.sources.cotempqa_metric import ANSWER_SCORERS
from tracebench.traces.paper import Phrasing

SOURCE = "cotempqa"
ENV_VAR = "TRACEBENCH_COTEMPQA_PATH"
HUB_ID = "Warrieryes/CotempQA"
LICENSE = "CC BY-SA 4.0"
LABELS: tuple[str, ...] = ("equal", "overlap", "during", "mix")
STUDY_ORDER: tuple[str, ...] = ("overlap", "during", "mix", "equal")
"""The order the study concatenated the relations in (its ``categories`` list)."""
FULL_COUNTS: dict[str, int] = {"equal": 436, "overlap": 653, "during": 3096, "mix": 563}
DEFAULT_SEED = 42
DEFAULT_TEST_FRACTION = 0.2
FACT_RULES = ("entity", "paper")
FIELDS = ("index", "triple_element", "question", "facts", "answer")

_DATE = r"(?:[A-Z][a-z]+(?: \d{1,2})?, )?\d{1,4}"
_FACT = re.compile(
    r"^(?P<subject>.+?) (?P<relation>(?:holds|held) the position of|(?:is|was) a member of the|attended"
    r"|(?:works|worked) for|(?:plays|played) for|(?:is|was) the chair of|(?:is|was) the head of|(?:is|was) owned by)"
    rf" (?P<object>.+?)(?P<time> (?:from {_DATE} to {_DATE}|from {_DATE}|in {_DATE}))?\.$"
)


# ------------------------------------------------------------------------------------------------ reading


DATA = DataLocation(
    env_var=ENV_VAR,
    candidates=("cotempqa", "CotempQA", "data"),
    hub_id=HUB_ID,
    what="the CoTempQA files (equal.json, overlap.json, during.json, mix.json)",
)
"""Where the CoTempQA files are looked for (:func:`data_files`)."""


def _how_to_point() -> str:
    what = "a folder holding equal.json, overlap.json, during.json and mix.json"
    return how_to_point(SOURCE, ENV_VAR, what, "cotempqa", "equal.json, ...") + "."


def _is_data_folder(path: Path) -> bool:
    return any((path / f"{label}.json").is_file() for label in LABELS)


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read one CoTempQA JSON-lines file and check every row.

    Args:
        path: The file (``equal.json``, ...).

    Returns:
        The rows in file order.

    Raises:
        RecordError: A line is not JSON or a field is missing / of the wrong type; the message names the
            file, the line and the field.
    """
    rows: list[dict[str, Any]] = []
    try:
        for number, row in iter_jsonl(path):
            _check_row(row, f"{path}:{number}")
            rows.append(row)
    except JsonlError as exc:
        raise RecordError(str(exc)) from None
    return rows


def _check_row(row: dict[str, Any], where: str) -> None:
    for name in FIELDS:
        if name not in row:
            raise RecordError(f"{where}: field '{name}' is missing")
    if not isinstance(row["index"], int) or isinstance(row["index"], bool) or row["index"] < 0:
        raise RecordError(f"{where}: field 'index' must be a non-negative integer, got {row['index']!r}")
    for name in ("triple_element", "question"):
        if not isinstance(row[name], str) or not row[name].strip():
            raise RecordError(f"{where}: field '{name}' must be a non-empty string")
    for name in ("facts", "answer"):
        value = row[name]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise RecordError(f"{where}: field '{name}' must be a non-empty list of non-empty strings")


def _hub_file(label: str, revision: str | None) -> Path:
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id=HUB_ID, filename=f"{label}.json", repo_type="dataset", revision=revision))


def data_files(
    labels: Sequence[str] = LABELS, data_path: str | os.PathLike[str] | None = None, revision: str | None = None
) -> dict[str, Path]:
    """Find the JSON-lines file of each relation: a local folder first, else the hub.

    Args:
        labels: The relations wanted.
        data_path: An explicit folder (or one of its files); wins when set.
        revision: Hub revision (default: the main branch).

    Returns:
        ``{relation: file}``.

    Raises:
        DataNotFoundError: No local folder and the hub is off or unreachable, or a wanted file is missing
            from the local folder; the message says how to point tracebench at local files.
    """
    explicit = check_data_path(data_path)
    if explicit is not None and explicit.is_file():
        explicit = explicit.parent

    def hub(exc: DataNotFoundError) -> dict[str, Path]:
        out: dict[str, Path] = {}
        for label in labels:
            try:
                out[label] = _hub_file(label, revision)
            except Exception as hub_exc:  # any network / hub failure
                raise DataNotFoundError(
                    f"{exc} The hub copy ({HUB_ID}, file {label}.json) could not be fetched: "
                    f"{type(hub_exc).__name__}: {hub_exc}"
                ) from hub_exc
        return out

    found = local_or_hub(
        lambda: locate_data(
            SOURCE, ENV_VAR, DATA.candidates, explicit=explicit, what=DATA.what, accept=_is_data_folder
        ),
        hub,
        HUB_ID,
        _how_to_point(),
    )
    if not isinstance(found, Path):
        return found
    folder = found
    if folder.is_file():
        folder = folder.parent
    missing = [label for label in labels if not (folder / f"{label}.json").is_file()]
    if missing:
        raise DataNotFoundError(
            f"{folder} has no {', '.join(m + '.json' for m in missing)} (CoTempQA relation files). " + _how_to_point()
        )
    return {label: folder / f"{label}.json" for label in labels}


# ------------------------------------------------------------------------------------------- decomposition


def parse_fact(fact: str) -> tuple[str, str, str] | None:
    """Read a fact with the dataset's sentence template.

    Args:
        fact: ``"<subject> <relation> <object>[ from A to B| from A| in A]."``.

    Returns:
        ``(subject, relation, object)`` or ``None`` if the sentence does not follow the template.
    """
    m = _FACT.match(fact)
    return (m["subject"], m["relation"], m["object"]) if m else None


def _anchor_subject(question: str, subjects: Iterable[str]) -> str | None:
    positions = {s: question.find(s) for s in subjects if s and s in question}
    return min(positions, key=lambda s: (positions[s], -len(s))) if positions else None


def gold_facts(
    facts: Sequence[str], answers: Sequence[str], question: str, triple_element: str, rule: str = "entity"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The retrieval step's gold facts (see the module docstring for both rules).

    Args:
        facts: The item's facts.
        answers: The gold answers.
        question: The question (locates the anchor person of two-person items).
        triple_element: The item's ``triple_element``.
        rule: ``"entity"`` (default) or ``"paper"`` (the study's substring rule).

    Returns:
        ``(gold facts in context order, answers no fact supports)``.
    """
    if rule == "paper":
        gold = [f for f in facts if any(a in f for a in answers)]
        return tuple(gold), tuple(a for a in answers if not any(a in f for f in gold))
    if rule != "entity":
        raise ValueError(f"unknown fact_rule {rule!r}: expected one of {FACT_RULES}")
    parsed = [parse_fact(f) for f in facts]
    by_subject = triple_element.startswith("S2_R1_O1")
    anchor = None
    if triple_element.startswith("S2_") and not by_subject:
        anchor = _anchor_subject(question, {p[0] for p in parsed if p})
    keep: set[int] = set()
    unsupported: list[str] = []
    for answer in answers:
        hits = {
            i
            for i, p in enumerate(parsed)
            if p is not None and (p[0] if by_subject else p[2]) == answer and (anchor is None or p[0] != anchor)
        }
        if not hits:
            hits = {i for i, f in enumerate(facts) if answer in f}
        if not hits:
            unsupported.append(answer)
        keep |= hits
    return tuple(f for i, f in enumerate(facts) if i in keep), tuple(unsupported)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def row_problem(row: dict[str, Any], label: str, split: str, fact_rule: str = "entity") -> Problem:
    """Decompose one CoTempQA row into a Problem.

    Args:
        row: The row (checked by :func:`read_rows`).
        label: Its relation (the file it comes from).
        split: ``"train"`` or ``"test"`` (recorded in ``meta``).
        fact_rule: ``"entity"`` or ``"paper"``.

    Returns:
        The Problem.
    """
    facts = tuple(row["facts"])
    answers = _dedupe(row["answer"])
    gold, unsupported = gold_facts(facts, answers, row["question"], row["triple_element"], fact_rule)
    meta: dict[str, Any] = {
        "category": label,
        "index": row["index"],
        "triple_element": row["triple_element"],
        "split": split,
        "phrasing": "cotempqa",
        "answer_scorer": "cotempqa",
        "answer_format": "set",
        "answer_sep": ", ",
        "fact_rule": fact_rule,
    }
    if unsupported:
        meta["unsupported_answers"] = list(unsupported)
    return Problem(
        id=f"{SOURCE}/{label}/{row['index']}",
        source=SOURCE,
        context=facts,
        question=row["question"],
        steps=(Step.classification(label, LABELS), Step.retrieval(gold)),
        answers=answers,
        meta=meta,
    )


# ---------------------------------------------------------------------------------------------- selection


def split_test_indices(label: str, n_rows: int, max_index: int, seed: int, test_fraction: float) -> list[int]:
    """The study's test split of one relation: ``index`` values in the permutation's order.

    Args:
        label: The relation (its full size comes from :data:`FULL_COUNTS`).
        n_rows: Rows present in the file.
        max_index: Largest ``index`` present.
        seed: The split seed (the study: 42).
        test_fraction: Share of the relation in the test split (the study: 0.2).

    Returns:
        The test items' ``index`` values, in the order the study's test file lists them.
    """
    n = max(FULL_COUNTS.get(label, 0), n_rows, max_index + 1)
    k = round(test_fraction * n)
    return [int(i) for i in np.random.RandomState(seed).permutation(n)[:k]]


def _labels(categories: Any) -> tuple[str, ...]:
    return choose_labels(categories, LABELS, STUDY_ORDER, "CoTempQA relation(s)")


def load(
    split: str = "test",
    *,
    categories: Any = None,
    seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    fact_rule: str = "entity",
    data_path: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    **_: Any,
) -> list[Problem]:
    """Load the study's train or test split of CoTempQA (see the module docstring).

    Args:
        split: ``"test"``, ``"train"`` or ``"all"`` (every item, in file order).
        categories: Relations to load, in the order given (names or a comma list; ``"all"``/``None`` = all four
            in the study's order).
        seed: Split seed.
        test_fraction: Test share per relation.
        fact_rule: ``"entity"`` (default) or ``"paper"``.
        data_path: Explicit local folder.
        revision: Hub revision.
        **_: Other options are ignored (callers pass a common option set to every source).

    Returns:
        Problems relation by relation.

    Raises:
        DataNotFoundError: No data.
        RecordError: A bad row.
        ValueError: A bad option.
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"unknown split {split!r}: expected 'train', 'test' or 'all'")
    if fact_rule not in FACT_RULES:
        raise ValueError(f"unknown fact_rule {fact_rule!r}: expected one of {FACT_RULES}")
    labels = _labels(categories)
    files = data_files(labels, data_path, revision)
    out: list[Problem] = []
    for label in labels:
        rows = read_rows(files[label])
        by_index = {r["index"]: r for r in rows}
        test = split_test_indices(label, len(rows), max(by_index, default=-1), int(seed), float(test_fraction))
        test_set = set(test)
        if split == "test":
            chosen = [(by_index[i], "test") for i in test if i in by_index]
        elif split == "train":
            chosen = [(r, "train") for r in rows if r["index"] not in test_set]
        else:
            chosen = [(r, "test" if r["index"] in test_set else "train") for r in rows]
        out.extend(row_problem(r, label, s, fact_rule) for r, s in chosen)
    return out


def iter_all(
    *,
    seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    fact_rule: str = "entity",
    data_path: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    **_: Any,
) -> Iterator[Problem]:
    """Yield every CoTempQA Problem (all four relations, file order; ``meta["split"]`` says which split).

    Args:
        seed: Split seed (only sets ``meta["split"]``).
        test_fraction: Test share (only sets ``meta["split"]``).
        fact_rule: ``"entity"`` or ``"paper"``.
        data_path: Explicit local folder.
        revision: Hub revision.
        **_: Other options are ignored.

    Yields:
        Problems.
    """
    yield from load(
        "all", seed=seed, test_fraction=test_fraction, fact_rule=fact_rule, data_path=data_path, revision=revision
    )


def wrong_facts(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    """The study's CoTempQA wrong fact: one non-gold context fact that does not state a gold answer.

    Args:
        problem: The problem.
        step: Its retrieval step.
        rng: The seeded random source.

    Returns:
        One fact, or ``None`` when every other fact states an answer.
    """
    pool = [s for s in non_gold_sentences(problem, step) if not contains_answer(s, problem)]
    return (rng.choice(pool),) if pool else None


def fact_frame_answer(problem: Problem, steps: Sequence[Step]) -> tuple[str, ...] | None:
    """The answers forced facts state, read in CoTempQA's sentence form (the ``fact_frame`` reader).

    Facts read as ``<subject> <relation> <object> ...`` (:func:`parse_fact`). When every gold fact shares one
    frame -- the same subject and relation with the answers as objects, or the same relation and object with
    the answers as subjects -- the implied answers are the answer-role entities of the forced facts in that
    frame, in order.

    Args:
        problem: The problem (its gold facts and answers define the frame).
        steps: The forced steps.

    Returns:
        The implied answers; ``None`` when the gold facts share no frame or no forced fact is in it.
    """
    gold = [parse_fact(f) for f in problem.facts]
    if not gold or any(p is None for p in gold):
        return None
    answers = {normalize_answer(a) for a in problem.answers}
    triples = [p for p in gold if p is not None]
    if all(normalize_answer(p[2]) in answers for p in triples):
        role, frame_of = 2, (lambda p: (p[0], p[1]))
    elif all(normalize_answer(p[0]) in answers for p in triples):
        role, frame_of = 0, (lambda p: (p[1], p[2]))
    else:
        return None
    frames = {frame_of(p) for p in triples}
    if len(frames) != 1:
        return None
    frame = frames.pop()
    forced = [f for s in steps if s.kind == "retrieval" for f in s.facts]
    implied: list[str] = []
    for fact in forced:
        p = parse_fact(fact)
        if p is not None and frame_of(p) == frame and p[role] not in implied:
            implied.append(p[role])
    return tuple(implied) or None


PHRASING = Phrasing(
    classification="The temporal relation between the event in question and the event in context is: {label}.",
    retrieval="I need to use the following facts to answer the question: {facts}",
)
"""The study's CoTempQA sentences (``paper`` style, phrasing ``cotempqa``; synth_timeline uses them too)."""


SPEC = register_source(
    SourceSpec(
        name=SOURCE,
        labels=LABELS,
        load=load,
        iter_all=iter_all,
        description="CoTempQA (Su et al. 2024), label = co-temporal relation, facts = the facts stating an answer",
        env_var=ENV_VAR,
        categories=LABELS,
        phrasings={"paper": PHRASING},
        data=DATA,
        answer_scorers=ANSWER_SCORERS,
        study_rules="cotempqa",
        wrong_facts=wrong_facts,
        implied_answer=fact_frame_answer,
        budgets=GenBudgets(
            trace=768,
            direct=128,
            forced=128,
            trace_why="CoTempQA's longest gold target is ~250 tokens (a mix item with four facts); >3x",
            direct_why="the longest gold answer list is ~45 tokens; >3x",
        ),
        category_tasks=CategoryTasks(
            "tracebench-cotempqa-categories",
            kwargs_lines={
                "during": (
                    "# The during.json beside the project (and in many copies) is only the study's test split: "
                    "no train",
                    "# split, so no few-shot examples for this subtask (the same on the full hub file, "
                    "for comparability).",
                    "splits: [test]",
                )
            },
            top_lines={"during": ("training_split: null", "fewshot_split: null")},
        ),
    )
)
