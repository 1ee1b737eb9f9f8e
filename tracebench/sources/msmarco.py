r"""MS MARCO question answering (source ``msmarco``).

Dataset:
    MS MARCO QA (Bajaj et al. 2016, "MS MARCO: A Human Generated MAchine Reading COmprehension Dataset",
    arXiv:1611.09268). Hub id ``microsoft/ms_marco``, configs ``v1.1`` (train 82,326, validation 10,047,
    test 9,650) and ``v2.1`` (train 808,731, validation 101,093, test 101,092), parquet files
    ``<config>/<split>-NNNNN-of-NNNNN.parquet``. Fields: ``query``, ``query_id``, ``query_type``,
    ``passages`` (``is_selected``, ``passage_text``, ``url``: parallel lists), ``answers``,
    ``wellFormedAnswers``. Licence: research use only (Microsoft's MS MARCO terms: "intended for
    non-commercial research purposes only"); tracebench ships no MS MARCO data.

Where the data comes from (first that works):
    1. Local parquet files, found by :func:`~tracebench.sources.base.locate_data` (explicit ``data_path``
       / lm-eval ``metadata.data_path``, then ``$TRACEBENCH_MSMARCO_PATH``, then
       ``$TRACEBENCH_DATA_DIR/msmarco``): a folder in the hub layout (``v2.1/train-*.parquet``), the
       parquet-export layout (``v2.1/train/*.parquet``), or a folder holding ``<split>-*.parquet`` itself.
    2. The hub: the split's parquet files are fetched with :func:`huggingface_hub.snapshot_download`
       (``allow_patterns=<config>/<split>-*.parquet``) and read the same way. Not tried when
       ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE`` is set; failures raise
       :class:`~tracebench.sources.base.DataNotFoundError` saying how to point tracebench at local files.

    Files are STREAMED (:meth:`pyarrow.parquet.ParquetFile.iter_batches`): a first pass reads only
    ``query_type``, ``answers`` and ``passages.is_selected`` and draws the sample by reservoir sampling;
    a second pass converts only the chosen rows. Memory stays bounded by one batch plus the sample.

Decomposition (one Problem per query):
    * ``context``: the passages' ``passage_text``, in order. ``question``: ``query``.
    * classification step: ``label`` = ``query_type`` (``DESCRIPTION``, ``NUMERIC``, ``ENTITY``,
      ``LOCATION``, ``PERSON``), default phrasing.
    * retrieval step (``facts_rule``): ``"selected"`` (default) = every passage the annotators marked
      ``is_selected`` (the dataset's own annotation; several are kept when several are marked), in passage
      order; ``"overlap"`` = the study's rule: the one passage sharing the most distinct lower-cased words
      (``\w+``) with the first answer (ties: the earlier passage; none when no passage shares a word).
    * ``answers``: ``answers`` (any one matches). ``meta["well_formed_answers"]`` keeps ``wellFormedAnswers``.
    * ``meta``: ``category`` (query type), ``query_id``, ``config``, ``hub_split``, ``split``,
      ``answer_scorer`` (``"msmarco"``: exact match, ROUGE-L, BLEU-1, :mod:`tracebench.sources.msmarco_metric`),
      ``facts_rule``, ``no_answer``, ``well_formed_answers``.
    * ``id``: ``msmarco/<config>/<hub split>/<query_id>``.

Decided cases:
    * "No Answer Present." (the dataset's unanswerable marker): excluded by default
      (``no_answer="exclude"``), since the official BLEU/ROUGE ignore such queries and their retrieval
      step has no gold. ``no_answer="keep"`` keeps them as problems whose only answer is that string and
      whose facts are the selected passages (usually none).
    * An answerable query with no passage marked ``is_selected``: excluded by default under the
      ``selected`` rule (its retrieval step would be empty); ``require_facts=False`` keeps it with no facts.
    * A query type outside the five (or empty): skipped.
    * Empty answers list: skipped.

Sampling (the study's design): ``split="train"``: ``per_type`` (default 1,000) queries per query type from
the hub ``train`` split; ``split="test"``: ``per_type`` (default 200) per type from ``validation``. Each type
is sampled with its own reservoir (Algorithm R over the type's eligible rows in file order,
``random.Random("tracebench/msmarco/<config>/<hub split>/<type>/<seed>")``); the chosen rows come back type by
type (in :data:`LABELS` order), each in file order. Same files, same options, same bytes. Default config
``v2.1``; ``seed=0``.

Example (a hub row -> Problem)::

    Problem(id="msmarco/v2.1/validation/9652", source="msmarco",
            context=("Since 2007, the RBA's outstanding reputation ...", "The Reserve Bank of Australia ..."),
            question="walgreens store sales average",
            steps=(Step.classification("NUMERIC", LABELS), Step.retrieval(("The average Walgreens salary ...",))),
            answers=("Approximately $15,000 per year.",),
            meta={"category": "NUMERIC", "query_id": 9652, "config": "v2.1", "hub_split": "validation", ...})
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracebench.problem import Problem, Step
from tracebench.schemas import RecordError
from tracebench.sources.base import (
    CategoryTasks,
    DataLocation,
    DataNotFoundError,
    GenBudgets,
    SourceSpec,
    choose_labels,
    how_to_point,
    local_or_hub,
    locate_data,
    non_gold_sentences,
    register_source,
)
from tracebench.sources.msmarco_metric import ANSWER_SCORERS, NO_ANSWER

SOURCE = "msmarco"
ENV_VAR = "TRACEBENCH_MSMARCO_PATH"
HUB_ID = "microsoft/ms_marco"
LICENSE = "MS MARCO terms: non-commercial research use only"
CONFIGS = ("v1.1", "v2.1")
LABELS: tuple[str, ...] = ("DESCRIPTION", "NUMERIC", "ENTITY", "LOCATION", "PERSON")
HUB_SPLITS = {"train": "train", "test": "validation"}
DEFAULT_PER_TYPE = {"train": 1000, "test": 200}
DEFAULT_CONFIG = "v2.1"
DEFAULT_SEED = 0
FACTS_RULES = ("selected", "overlap")
COLUMNS = ("query", "query_id", "query_type", "passages", "answers", "wellFormedAnswers")
BATCH_ROWS = 4096
_WORD = re.compile(r"\w+")


# ------------------------------------------------------------------------------------------------ reading


DATA = DataLocation(env_var=ENV_VAR, candidates=("ms_marco",), hub_id=HUB_ID, what="MS MARCO parquet files")
"""Where the MS MARCO parquet files are looked for (:func:`split_files`; ``what`` gets the config)."""


def _how_to_point(config: str) -> str:
    what = f"a folder holding the hub's parquet files ({config}/train-*.parquet, {config}/validation-*.parquet)"
    return how_to_point(SOURCE, ENV_VAR, what, "ms_marco", f"{config}/...") + "."


def find_split_files(root: Path, config: str, hub_split: str) -> list[Path]:
    """The parquet files of one split under ``root`` (hub layout, export layout, or flat), sorted.

    Args:
        root: A local folder.
        config: ``"v1.1"`` or ``"v2.1"``.
        hub_split: ``"train"``, ``"validation"`` or ``"test"``.

    Returns:
        The files, or ``[]`` if none.
    """
    for pattern in (f"{config}/{hub_split}-*.parquet", f"{config}/{hub_split}/*.parquet", f"{hub_split}-*.parquet"):
        files = sorted(root.glob(pattern))
        if files:
            return files
    return []


def _is_data_folder(path: Path) -> bool:
    return any(path.glob("v*/*.parquet")) or any(path.glob("v*/*/*.parquet")) or any(path.glob("*.parquet"))


def _hub_folder(config: str, hub_split: str, revision: str | None) -> Path:
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            repo_id=HUB_ID,
            repo_type="dataset",
            revision=revision,
            allow_patterns=[f"{config}/{hub_split}-*.parquet"],
        )
    )


def split_files(
    config: str, hub_split: str, data_path: str | os.PathLike[str] | None = None, revision: str | None = None
) -> list[Path]:
    """Find one split's parquet files: local first, else the hub.

    Args:
        config: ``"v1.1"`` or ``"v2.1"``.
        hub_split: ``"train"``, ``"validation"`` or ``"test"``.
        data_path: Explicit local folder; wins when set.
        revision: Hub revision.

    Returns:
        The parquet files, sorted.

    Raises:
        DataNotFoundError: Not found locally and the hub is off or unreachable.
    """
    if config not in CONFIGS:
        raise ValueError(f"unknown MS MARCO config {config!r}: expected one of {CONFIGS}")

    def hub(exc: DataNotFoundError) -> Path:
        try:
            return _hub_folder(config, hub_split, revision)
        except Exception as hub_exc:  # any network / hub failure
            raise DataNotFoundError(
                f"{exc} The hub copy ({HUB_ID}, {config}/{hub_split}) could not be fetched: "
                f"{type(hub_exc).__name__}: {hub_exc}"
            ) from hub_exc

    root = local_or_hub(
        lambda: locate_data(
            SOURCE,
            ENV_VAR,
            DATA.candidates,
            explicit=data_path,
            what=f"MS MARCO {config} parquet files",
            accept=_is_data_folder,
        ),
        hub,
        HUB_ID,
        _how_to_point(config),
    )
    if root.is_file():
        return [root]
    files = find_split_files(root, config, hub_split)
    if not files:
        raise DataNotFoundError(
            f"{root} holds no parquet files for MS MARCO {config} split '{hub_split}' (looked for "
            f"{config}/{hub_split}-*.parquet, {config}/{hub_split}/*.parquet, {hub_split}-*.parquet). "
            + _how_to_point(config)
        )
    return files


def _check_columns(path: Path, names: Sequence[str]) -> None:
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RecordError(f"{path}: column(s) {', '.join(repr(m) for m in missing)} missing (expected {COLUMNS})")


def _iter_light(path: Path, batch_rows: int) -> Iterator[tuple[str | None, list[str] | None, list[int] | None]]:
    """Yield ``(query_type, answers, is_selected)`` per row, reading only those columns."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    _check_columns(path, pf.schema_arrow.names)
    for batch in pf.iter_batches(batch_size=batch_rows, columns=["query_type", "answers", "passages.is_selected"]):
        types = batch.column("query_type").to_pylist()
        answers = batch.column("answers").to_pylist()
        selected = batch.column("passages").field("is_selected").to_pylist()
        yield from zip(types, answers, selected, strict=True)


def _iter_rows(path: Path, positions: set[int] | None, batch_rows: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row position, row dict)`` for the rows at ``positions`` (all rows when ``None``).

    Only the parquet row groups that hold a wanted row are read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    _check_columns(path, pf.schema_arrow.names)
    offset = 0
    for rg in range(pf.metadata.num_row_groups):
        n_rg = pf.metadata.row_group(rg).num_rows
        first, offset = offset, offset + n_rg
        if positions is not None and not any(first <= p < offset for p in positions):
            continue
        start = first
        for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=list(COLUMNS)):
            n = batch.num_rows
            if positions is None:
                take = list(range(n))
            else:
                take = [p - start for p in range(start, start + n) if p in positions]
            if take:
                sub = batch.take(pa.array(take, type=pa.int64()))
                for i, row in zip(take, sub.to_pylist(), strict=True):
                    yield start + i, row
            start += n


# ------------------------------------------------------------------------------------------- decomposition


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def overlap_passage(passages: Sequence[str], answer: str) -> int | None:
    """The study's rule: index of the passage sharing the most distinct words with ``answer``.

    Returns:
        The index (ties: the earlier passage), or ``None`` when no passage shares a word.
    """
    target = _words(answer)
    best, best_n = None, 0
    for i, text in enumerate(passages):
        n = len(_words(text) & target)
        if n > best_n:
            best, best_n = i, n
    return best


def is_no_answer(answers: Sequence[str] | None) -> bool:
    """Whether a row is unanswerable (its answers are exactly ``["No Answer Present."]``)."""
    return bool(answers) and all(a.strip() == NO_ANSWER for a in answers or ())


@dataclass(frozen=True)
class Eligibility:
    """Which rows may enter a sample (see the module docstring's decided cases).

    Attributes:
        no_answer: ``"exclude"`` or ``"keep"``.
        require_facts: Skip answerable rows with no selected passage (``selected`` rule only).
        facts_rule: ``"selected"`` or ``"overlap"``.
    """

    no_answer: str = "exclude"
    require_facts: bool = True
    facts_rule: str = "selected"

    def __post_init__(self) -> None:
        if self.no_answer not in ("exclude", "keep"):
            raise ValueError(f"unknown no_answer {self.no_answer!r}: expected 'exclude' or 'keep'")
        if self.facts_rule not in FACTS_RULES:
            raise ValueError(f"unknown facts_rule {self.facts_rule!r}: expected one of {FACTS_RULES}")

    def label(self, query_type: str | None, answers: list[str] | None, selected: list[int] | None) -> str | None:
        """The row's label if it is eligible, else ``None``."""
        if query_type not in LABELS or not answers:
            return None
        if is_no_answer(answers):
            return query_type if self.no_answer == "keep" else None
        if self.require_facts and self.facts_rule == "selected" and not any(selected or ()):
            return None
        return query_type


def row_problem(
    row: dict[str, Any], *, config: str, hub_split: str, split: str, facts_rule: str = "selected", where: str = "row"
) -> Problem:
    """Decompose one MS MARCO row into a Problem (see the module docstring).

    Args:
        row: The row as the hub schema gives it.
        config: ``"v1.1"`` or ``"v2.1"`` (recorded in the id and ``meta``).
        hub_split: The hub split it comes from.
        split: tracebench split (``"train"``/``"test"``/``"all"``).
        facts_rule: ``"selected"`` or ``"overlap"``.
        where: Location for error messages (``file:row``).

    Returns:
        The Problem.

    Raises:
        RecordError: A malformed row; the message names ``where`` and the field.
    """
    passages = row.get("passages") or {}
    texts = passages.get("passage_text")
    flags = passages.get("is_selected")
    if not isinstance(texts, list) or not isinstance(flags, list) or len(texts) != len(flags):
        raise RecordError(f"{where}: field 'passages' must hold parallel lists passage_text and is_selected")
    if not isinstance(row.get("query"), str) or not row["query"].strip():
        raise RecordError(f"{where}: field 'query' must be a non-empty string")
    answers = tuple(a for a in (row.get("answers") or []) if isinstance(a, str) and a.strip())
    if not answers:
        raise RecordError(f"{where}: field 'answers' is empty")
    if row.get("query_type") not in LABELS:
        raise RecordError(f"{where}: field 'query_type' is {row.get('query_type')!r}, expected one of {LABELS}")
    context = tuple(str(t) for t in texts)
    no_answer = is_no_answer(answers)
    if facts_rule == "overlap" and not no_answer:
        best = overlap_passage(context, answers[0])
        facts: tuple[str, ...] = (context[best],) if best is not None else ()
    else:
        facts = tuple(t for t, f in zip(context, flags, strict=True) if f)
    query_id = row.get("query_id")
    return Problem(
        id=f"{SOURCE}/{config}/{hub_split}/{query_id}",
        source=SOURCE,
        context=context,
        question=row["query"].strip(),
        steps=(Step.classification(row["query_type"], LABELS), Step.retrieval(facts)),
        answers=answers,
        meta={
            "category": row["query_type"],
            "query_id": query_id,
            "config": config,
            "hub_split": hub_split,
            "split": split,
            "answer_scorer": "msmarco",
            "facts_rule": facts_rule,
            "no_answer": no_answer,
            "well_formed_answers": [str(a) for a in (row.get("wellFormedAnswers") or [])],
        },
    )


# ---------------------------------------------------------------------------------------------- selection


def reservoir_positions(
    files: Sequence[Path],
    per_type: int,
    rng_key: str,
    eligibility: Eligibility,
    labels: Sequence[str] = LABELS,
    batch_rows: int = BATCH_ROWS,
) -> dict[Path, dict[int, str]]:
    """First pass: draw ``per_type`` eligible rows per query type with one seeded reservoir per type.

    Args:
        files: The split's parquet files, in order.
        per_type: Sample size per type.
        rng_key: Seed prefix; each type uses ``random.Random(f"{rng_key}/{type}")``.
        eligibility: Which rows may be drawn.
        labels: Query types wanted.
        batch_rows: Rows per streamed batch.

    Returns:
        ``{file: {row position: query type}}`` of the chosen rows.
    """
    rngs = {t: random.Random(f"{rng_key}/{t}") for t in labels}
    seen = dict.fromkeys(labels, 0)
    chosen: dict[str, list[tuple[int, int]]] = {t: [] for t in labels}
    for file_no, path in enumerate(files):
        for pos, (qtype, answers, selected) in enumerate(_iter_light(path, batch_rows)):
            label = eligibility.label(qtype, answers, selected)
            if label is None or label not in rngs:
                continue
            seen[label] += 1
            res = chosen[label]
            if len(res) < per_type:
                res.append((file_no, pos))
            else:
                j = rngs[label].randrange(seen[label])
                if j < per_type:
                    res[j] = (file_no, pos)
    out: dict[Path, dict[int, str]] = {p: {} for p in files}
    for label, items in chosen.items():
        for file_no, pos in items:
            out[files[file_no]][pos] = label
    return out


def sample(
    files: Sequence[Path],
    *,
    config: str,
    hub_split: str,
    split: str,
    per_type: int,
    seed: int,
    eligibility: Eligibility,
    labels: Sequence[str] = LABELS,
    batch_rows: int = BATCH_ROWS,
) -> list[Problem]:
    """Stream ``files`` twice and return the seeded per-type sample as Problems (type by type, file order).

    Args:
        files: The split's parquet files.
        config: Config name (ids and ``meta``).
        hub_split: Hub split name.
        split: tracebench split name.
        per_type: Sample size per type.
        seed: Sampling seed.
        eligibility: Which rows may be drawn.
        labels: Query types wanted.
        batch_rows: Rows per streamed batch.

    Returns:
        The Problems.
    """
    key = f"tracebench/{SOURCE}/{config}/{hub_split}/{seed}"
    picked = reservoir_positions(files, per_type, key, eligibility, labels, batch_rows)
    by_type: dict[str, list[Problem]] = {t: [] for t in labels}
    for path in files:
        positions = picked[path]
        if not positions:
            continue
        for pos, row in _iter_rows(path, set(positions), batch_rows):
            problem = row_problem(
                row,
                config=config,
                hub_split=hub_split,
                split=split,
                facts_rule=eligibility.facts_rule,
                where=f"{path}:row {pos}",
            )
            by_type[positions[pos]].append(problem)
    return [p for t in labels for p in by_type[t]]


def _labels(categories: Any) -> tuple[str, ...]:
    return choose_labels(categories, LABELS, LABELS, "MS MARCO query type(s)", lambda c: str(c).upper())


def load(
    split: str = "test",
    *,
    config: str = DEFAULT_CONFIG,
    per_type: int | None = None,
    categories: Any = None,
    seed: int = DEFAULT_SEED,
    facts_rule: str = "selected",
    no_answer: str = "exclude",
    require_facts: bool = True,
    data_path: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    batch_rows: int = BATCH_ROWS,
    **_: Any,
) -> list[Problem]:
    """Load the study's MS MARCO sample (see the module docstring).

    Args:
        split: ``"train"`` (from the hub ``train`` split) or ``"test"`` (from ``validation``).
        config: ``"v1.1"`` or ``"v2.1"``.
        per_type: Queries per query type (default 1,000 train, 200 test).
        categories: Query types (default: all five).
        seed: Sampling seed.
        facts_rule: ``"selected"`` (default) or ``"overlap"`` (the study's rule).
        no_answer: ``"exclude"`` (default) or ``"keep"``.
        require_facts: Skip answerable rows without a selected passage (``selected`` rule).
        data_path: Explicit local folder.
        revision: Hub revision.
        batch_rows: Rows per streamed batch.
        **_: Other options are ignored.

    Returns:
        Problems, type by type, each in file order.

    Raises:
        DataNotFoundError: No data.
        RecordError: A malformed file or row.
        ValueError: A bad option.
    """
    if split not in HUB_SPLITS:
        raise ValueError(f"unknown split {split!r}: expected 'train' or 'test'")
    hub_split = HUB_SPLITS[split]
    k = DEFAULT_PER_TYPE[split] if per_type is None else int(per_type)
    if k < 0:
        raise ValueError(f"per_type must be >= 0, got {k}")
    elig = Eligibility(no_answer=no_answer, require_facts=bool(require_facts), facts_rule=facts_rule)
    files = split_files(config, hub_split, data_path, revision)
    return sample(
        files,
        config=config,
        hub_split=hub_split,
        split=split,
        per_type=k,
        seed=int(seed),
        eligibility=elig,
        labels=_labels(categories),
        batch_rows=batch_rows,
    )


def iter_all(
    *,
    config: str = DEFAULT_CONFIG,
    facts_rule: str = "selected",
    no_answer: str = "exclude",
    require_facts: bool = True,
    data_path: str | os.PathLike[str] | None = None,
    revision: str | None = None,
    batch_rows: int = BATCH_ROWS,
    **_: Any,
) -> Iterator[Problem]:
    """Yield every eligible Problem of a config, streaming: ``train`` then ``validation``, file order.

    Args:
        config: ``"v1.1"`` or ``"v2.1"``.
        facts_rule: ``"selected"`` or ``"overlap"``.
        no_answer: ``"exclude"`` or ``"keep"``.
        require_facts: Skip answerable rows without a selected passage.
        data_path: Explicit local folder.
        revision: Hub revision.
        batch_rows: Rows per streamed batch.
        **_: Other options are ignored.

    Yields:
        Problems (``meta["split"]`` is ``"train"`` or ``"test"``).
    """
    elig = Eligibility(no_answer=no_answer, require_facts=bool(require_facts), facts_rule=facts_rule)
    for split, hub_split in HUB_SPLITS.items():
        for path in split_files(config, hub_split, data_path, revision):
            for pos, row in _iter_rows(path, None, batch_rows):
                sel = (row.get("passages") or {}).get("is_selected")
                if elig.label(row.get("query_type"), row.get("answers"), sel) is None:
                    continue
                yield row_problem(
                    row,
                    config=config,
                    hub_split=hub_split,
                    split=split,
                    facts_rule=facts_rule,
                    where=f"{path}:row {pos}",
                )


def wrong_facts(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    """The study's MS MARCO wrong passage: the non-gold passage sharing the fewest words with the answer.

    Args:
        problem: The problem.
        step: Its retrieval step.
        rng: The seeded random source (breaks ties).

    Returns:
        One passage, or ``None`` when the context has no non-gold passage.
    """
    pool = non_gold_sentences(problem, step)
    if not pool:
        return None
    answer_words = set(_WORD.findall(problem.target_answer().casefold()))

    def overlap(text: str) -> int:
        return len(answer_words & set(_WORD.findall(text.casefold())))

    fewest = min(overlap(p) for p in pool)
    return (rng.choice([p for p in pool if overlap(p) == fewest]),)


SPEC = register_source(
    SourceSpec(
        name=SOURCE,
        labels=LABELS,
        load=load,
        iter_all=iter_all,
        description="MS MARCO QA (Bajaj et al. 2016), label = query type, facts = the selected passages",
        env_var=ENV_VAR,
        categories=LABELS,
        answer_scorers=ANSWER_SCORERS,
        study_rules="msmarco",
        data=DATA,
        wrong_facts=wrong_facts,
        budgets=GenBudgets(
            trace=1024,
            direct=256,
            forced=256,
            trace_why="selected passages are copied into the trace: gold targets reach several hundred tokens; >3x",
            direct_why="MS MARCO answers are often whole sentences; >3x",
        ),
        category_tasks=CategoryTasks("tracebench-msmarco-query-types"),
    )
)
