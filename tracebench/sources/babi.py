"""bAbI QA tasks (source ``babi``).

Dataset:
    The 20 bAbI question-answering tasks (Weston et al. 2015, "Towards AI-Complete Question Answering: A Set
    of Prerequisite Toy Tasks", arXiv:1502.05698), version 1.2. Licence: CC BY 3.0 (``LICENSE.txt`` in the
    archive). Variants read here: ``en`` (1,000 train and 1,000 test questions per task) and ``en-10k``
    (10,000 train questions per task, the same kind of test file).

Where the data comes from (first that works):
    1. Local files, found by :func:`~tracebench.sources.base.locate_data`: an explicit ``data_path``
       (function option, or the lm-eval task's ``metadata.data_path``), then ``$TRACEBENCH_BABI_PATH``, then
       ``$TRACEBENCH_DATA_DIR/babi``. Each may name the official archive ``tasks_1-20_v1-2.tar.gz`` (read
       directly with :mod:`tarfile`, nothing is extracted), the extracted folder ``tasks_1-20_v1-2/`` (or any
       folder holding ``en/``, ``en-10k/``), a folder that holds either of those, or a local copy of the hub's
       parquet export (folders ``en-qa1/test/*.parquet``, ...).
    2. The Hugging Face hub: ``facebook/babi_qa``, parquet export revision ``refs/convert/parquet``, configs
       ``en-qa1`` ... ``en-qa20`` and ``en-10k-qa1`` ... ``en-10k-qa20`` (one folder each), read with
       ``datasets.load_dataset("facebook/babi_qa", revision="refs/convert/parquet", data_dir=config,
       split=split)``. Used only when nothing local is found and the hub is not switched off (``HF_HUB_OFFLINE=1`` or
       ``HF_DATASETS_OFFLINE=1``); if it cannot be reached, :class:`~tracebench.sources.base.DataNotFoundError`
       says how to point tracebench at local files.

File format:
    ``ID text`` lines; question lines are ``ID question<TAB>answer<TAB>supporting ids``; IDs restart at 1 for
    each new story. Hub rows hold one story each: ``story`` = parallel lists ``id``, ``type`` (0 context,
    1 question), ``text``, ``supporting_ids``, ``answer``.

Decomposition (one Problem per question):
    * ``context``: the story's statement sentences before the question, in order (question lines excluded).
    * ``question``: the question text (surrounding white space stripped).
    * classification step: ``label`` = the task name from the file name (``qa1_single-supporting-fact`` ->
      ``single-supporting-fact``); ``labels`` = the 20 task names (:data:`LABELS`, in task order).
    * retrieval step: ``facts`` = the sentences of the question's supporting IDs, in context order.
    * ``answers``: the answer. Task 8 (``lists-sets``) answers are comma-separated (``football,apple``):
      ``answers`` = the elements, ``meta["answer_format"] = "set"``; task 19 (``path-finding``, ``s,e``):
      the elements, ``"sequence"``; both with ``meta["answer_sep"] = ","`` (bAbI's own rendering). Every
      other task: one answer, ``"text"``.
    * ``meta``: ``category`` (task name), ``task`` (1..20), ``variant``, ``split``, ``story`` (0-based index
      of the story in its file), ``question_index`` (0-based index of the question within its story), and
      ``answer_format`` / ``answer_sep``.
    * ``id``: ``babi/<variant>/qa<task>/<split>/s<story>/q<question_index>`` (``babi/en/qa1/test/s12/q0``).

Selection (:func:`load`):
    * ``split="test"`` (the study's test set): per task, ``max(1, floor(test_fraction * n))`` of the ``n``
      stories of the TEST file, drawn with ``random.Random(f"tracebench/babi/qa{task}/{seed}").sample`` and
      kept in file order; the first question of each (``questions="first"``) or all of them
      (``questions="all"``). Defaults: the study's tasks :data:`STUDY_TASKS` (1, 2, 4, 7, 8, 12, 14, 15, 16, 17,
      18), ``test_fraction=0.1``, ``seed=DEFAULT_SEED`` (2505). On ``en`` that is 20 problems for each task
      with 200 test stories, 25 for task 15 (250 stories), 100 for tasks 4 and 16 (1,000), 12 for task 17
      (125) and 19 for task 18 (199): 376 in all, the size of the study's test set.
    * ``split="train"``: every story of the TRAIN file (``test_fraction`` does not apply), first question
      each by default.
    * Problems come task by task (in the order given), then story by story in file order: same options,
      same problems, same order.

Example (``en``, task 1, test file, story 0, question 0)::

    Problem(id="babi/en/qa1/test/s0/q0", source="babi",
            context=("John travelled to the hallway.", "Mary journeyed to the bathroom."),
            question="Where is John?",
            steps=(Step.classification("single-supporting-fact", LABELS),
                   Step.retrieval(("John travelled to the hallway.",))),
            answers=("hallway",),
            meta={"category": "single-supporting-fact", "task": 1, "variant": "en", "split": "test",
                  "story": 0, "question_index": 0, "answer_format": "text"})
"""

from __future__ import annotations

import os
import random
import re
import tarfile
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracebench.io import InputFileError
from tracebench.problem import Problem, Step
from tracebench.sources.base import (
    DataLocation,
    DataNotFoundError,
    SourceSpec,
    how_to_point,
    local_or_hub,
    locate_data,
    register_source,
)

SOURCE = "babi"
ENV_VAR = "TRACEBENCH_BABI_PATH"
HUB_ID = "facebook/babi_qa"
HUB_REVISION = "refs/convert/parquet"
ARCHIVE_NAME = "tasks_1-20_v1-2.tar.gz"
ARCHIVE_FOLDER = "tasks_1-20_v1-2"

TASK_NAMES: dict[int, str] = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    3: "three-supporting-facts",
    4: "two-arg-relations",
    5: "three-arg-relations",
    6: "yes-no-questions",
    7: "counting",
    8: "lists-sets",
    9: "simple-negation",
    10: "indefinite-knowledge",
    11: "basic-coreference",
    12: "conjunction",
    13: "compound-coreference",
    14: "time-reasoning",
    15: "basic-deduction",
    16: "basic-induction",
    17: "positional-reasoning",
    18: "size-reasoning",
    19: "path-finding",
    20: "agents-motivations",
}
"""Task number -> task name (the name in the official file names, and the gold label)."""

LABELS: tuple[str, ...] = tuple(TASK_NAMES[t] for t in range(1, 21))
"""The closed label set of the classification step: the 20 task names in task order."""

ALL_TASKS: tuple[int, ...] = tuple(range(1, 21))
STUDY_TASKS: tuple[int, ...] = (1, 2, 4, 7, 8, 12, 14, 15, 16, 17, 18)
"""The tasks of the study's test set (the default selection)."""

VARIANTS: tuple[str, ...] = ("en", "en-10k")
SPLITS: tuple[str, ...] = ("train", "test")
DEFAULT_SEED = 2505
"""Default seed of the test selection (from the study's arXiv number, 2505.13792)."""
DEFAULT_TEST_FRACTION = 0.1

ANSWER_FORMATS: dict[int, str] = {8: "set", 19: "sequence"}
"""Tasks whose answers are comma-separated lists (everything else is ``"text"``)."""
ANSWER_SEP = ","


# ----------------------------------------------------------------------------------------------- stories


@dataclass(frozen=True)
class BabiLine:
    """One line of a bAbI story.

    Attributes:
        id: The line's ID (1-based, restarts with each story).
        text: The statement or question text, stripped.
        answer: The answer (question lines), else ``None``.
        supporting: The supporting line IDs (question lines), as written.
    """

    id: int
    text: str
    answer: str | None = None
    supporting: tuple[int, ...] = ()

    @property
    def is_question(self) -> bool:
        """Whether the line is a question."""
        return self.answer is not None


@dataclass(frozen=True)
class BabiStory:
    """One story: its 0-based index in its file and its lines."""

    index: int
    lines: tuple[BabiLine, ...]
    where: str = ""

    @property
    def questions(self) -> tuple[BabiLine, ...]:
        """The story's question lines, in order."""
        return tuple(line for line in self.lines if line.is_question)


def task_file_name(task: int, split: str) -> str:
    """The official file name of a task's split (``qa1_single-supporting-fact_test.txt``)."""
    return f"qa{task}_{TASK_NAMES[task]}_{split}.txt"


def parse_stories(lines: Iterable[str], where: str = "<text>") -> list[BabiStory]:
    """Parse a task file's lines into stories.

    Args:
        lines: The file's lines (with or without line ends).
        where: The file name, for error messages.

    Returns:
        The stories in file order (a story starts at ID 1, or wherever the ID does not increase).

    Raises:
        ValueError: A malformed line; the message names ``where``, the line number and what is wrong.
    """
    stories: list[BabiStory] = []
    current: list[BabiLine] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        head, _, rest = line.lstrip().partition(" ")
        if not head.isdigit() or not rest.strip():
            raise ValueError(f"{where}:{number}: expected 'ID text', got {line!r}")
        line_id = int(head)
        if current and line_id <= current[-1].id:
            stories.append(BabiStory(len(stories), tuple(current), f"{where}:{start}"))
            current = []
        if not current:
            start = number
        if "\t" in rest:
            parts = rest.split("\t")
            if len(parts) > 3 or not parts[1].strip():
                raise ValueError(f"{where}:{number}: question line needs 'question<TAB>answer<TAB>ids': {line!r}")
            try:
                supporting = tuple(int(s) for s in (parts[2] if len(parts) == 3 else "").split())
            except ValueError:
                raise ValueError(f"{where}:{number}: supporting ids must be integers, got {parts[2]!r}") from None
            current.append(BabiLine(line_id, parts[0].strip(), parts[1].strip(), supporting))
        else:
            current.append(BabiLine(line_id, rest.strip()))
    if current:
        stories.append(BabiStory(len(stories), tuple(current), f"{where}:{start}"))
    return stories


def stories_from_rows(rows: Iterable[Mapping[str, Any]], where: str = "<rows>") -> list[BabiStory]:
    """Turn hub rows (``facebook/babi_qa`` schema, one story per row) into stories.

    Args:
        rows: Rows with a ``story`` mapping of parallel lists ``id``, ``type`` (0 context, 1 question),
            ``text``, ``supporting_ids``, ``answer``.
        where: The data's name, for error messages.

    Returns:
        The stories in row order.

    Raises:
        ValueError: A row does not match the schema; the message names ``where``, the row and the field.
    """
    stories: list[BabiStory] = []
    for r, row in enumerate(rows):
        story = row.get("story")
        if not isinstance(story, Mapping):
            raise ValueError(f"{where}: row {r}: field 'story' must be a struct of lists, got {type(story).__name__}")
        cols: dict[str, list[Any]] = {}
        for name in ("id", "type", "text", "supporting_ids", "answer"):
            value = story.get(name)
            if not isinstance(value, list):
                raise ValueError(f"{where}: row {r}: field 'story.{name}' is missing or not a list")
            cols[name] = value
        n = len(cols["id"])
        if any(len(v) != n for v in cols.values()):
            raise ValueError(f"{where}: row {r}: the lists of field 'story' differ in length")
        lines: list[BabiLine] = []
        for i in range(n):
            try:
                line_id = int(cols["id"][i])
                kind = cols["type"][i]
                is_question = kind in (1, "question")
                if kind not in (0, 1, "context", "question"):
                    raise ValueError(f"unknown type {kind!r}")
                supporting = tuple(int(s) for s in (cols["supporting_ids"][i] or ()) if str(s).strip())
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: row {r}: field 'story' item {i}: {exc}") from None
            text = str(cols["text"][i]).strip()
            if is_question:
                lines.append(BabiLine(line_id, text, str(cols["answer"][i]).strip(), supporting))
            else:
                lines.append(BabiLine(line_id, text))
        stories.append(BabiStory(len(stories), tuple(lines), f"{where}: row {r}"))
    return stories


def load_parquet_export(
    path: str, config: str, split: str, revision: str | None = None, cache_dir: str | None = None
) -> list[BabiStory]:
    """Read one task split of the hub's parquet export with :func:`datasets.load_dataset`.

    The export holds one folder per config (``en-qa1``, ``en-10k-qa1``, ...) with the split's parquet files
    inside (``en-qa1/test/0000.parquet``); ``datasets`` finds the split from those names.

    Args:
        path: The hub id (``facebook/babi_qa``, with ``revision="refs/convert/parquet"``) or a local copy of
            the export.
        config: The config folder (``<variant>-qa<task>``).
        split: ``"train"`` or ``"test"``.
        revision: The hub revision.
        cache_dir: The :mod:`datasets` cache folder (default: its own).

    Returns:
        The stories in row order.
    """
    import datasets

    ds = datasets.load_dataset(path, data_dir=config, split=split, revision=revision, cache_dir=cache_dir)
    return stories_from_rows(ds, f"{path}@{revision}/{config}/{split}" if revision else f"{path}/{config}/{split}")


# --------------------------------------------------------------------------------------------- data access


class BabiData:
    """Where task files come from; subclasses read one kind of copy."""

    description = "bAbI data"

    def stories(self, variant: str, task: int, split: str) -> list[BabiStory]:
        """Return the stories of one task split.

        Raises:
            DataNotFoundError: The task file is missing; the message names task, variant, split and path.
        """
        raise NotImplementedError

    def _missing(self, variant: str, task: int, split: str, looked: str) -> DataNotFoundError:
        return DataNotFoundError(
            f"bAbI task qa{task} ({TASK_NAMES[task]}), variant '{variant}', split '{split}' is missing: "
            f"{looked} was not found in {self.description}"
        )


class ArchiveData(BabiData):
    """The official ``tasks_1-20_v1-2.tar.gz``, read directly (one pass per variant, cached)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"the archive {path}"

    def stories(self, variant: str, task: int, split: str) -> list[BabiStory]:
        """Return the stories of one task split from the archive."""
        files = _archive_texts(str(self.path), self.path.stat().st_mtime_ns, variant)
        name = task_file_name(task, split)
        if name not in files:
            raise self._missing(variant, task, split, f"{ARCHIVE_FOLDER}/{variant}/{name}")
        member, text = files[name]
        return parse_stories(text.splitlines(), f"{self.path}:{member}")


@lru_cache(maxsize=4)
def _archive_texts(path: str, mtime_ns: int, variant: str) -> dict[str, tuple[str, str]]:
    """Read every task file of ``variant`` from the archive in one pass: file name -> (member, text)."""
    pattern = re.compile(rf"(?:^|/){re.escape(variant)}/(qa\d+_[a-z-]+_(?:train|test|valid)\.txt)$")
    out: dict[str, tuple[str, str]] = {}
    member_name = ""
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                member_name = member.name
                m = pattern.search(member.name)
                if m and member.isfile():
                    fh = tar.extractfile(member)
                    if fh is not None:
                        out[m.group(1)] = (member.name, fh.read().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}:{member_name}: not UTF-8 text (byte {exc.start})") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        after = f" after {member_name}" if member_name else ""
        raise InputFileError(
            f"{path}: the archive is truncated or damaged{after} ({type(exc).__name__}: {exc}); "
            f"download {ARCHIVE_NAME} again"
        ) from None
    return out


class FolderData(BabiData):
    """An extracted copy: a folder holding ``en/``, ``en-10k/`` (``tasks_1-20_v1-2/``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"the folder {path}"

    def stories(self, variant: str, task: int, split: str) -> list[BabiStory]:
        """Return the stories of one task split from the folder."""
        file = self.path / variant / task_file_name(task, split)
        if not file.is_file():
            raise self._missing(variant, task, split, str(file))
        return _read_file(str(file), file.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _read_file(path: str, mtime_ns: int) -> list[BabiStory]:
    try:
        with open(path, encoding="utf-8") as fh:
            return parse_stories(fh, path)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


class ParquetData(BabiData):
    """The hub's parquet export: a local copy (``<root>/en-qa1/test/*.parquet``) or the hub itself."""

    def __init__(
        self,
        root: str,
        description: str,
        revision: str | None = None,
        remote: bool = False,
        cache_dir: str | None = None,
    ) -> None:
        self.root = root
        self.description = description
        self.revision = revision
        self.remote = remote
        self.cache_dir = cache_dir
        self._cache: dict[tuple[str, int, str], list[BabiStory]] = {}

    def stories(self, variant: str, task: int, split: str) -> list[BabiStory]:
        """Return the stories of one task split from the parquet export (config ``<variant>-qa<task>``)."""
        key = (variant, task, split)
        if key in self._cache:
            return self._cache[key]
        config = f"{variant}-qa{task}"
        if not self.remote:
            folder = Path(self.root) / config
            if not any(folder.glob(f"{split}/*.parquet")) and not any(folder.glob(f"*{split}*.parquet")):
                raise self._missing(variant, task, split, f"{config}/{split}/*.parquet")
            stories = load_parquet_export(self.root, config, split, cache_dir=self.cache_dir)
        else:
            try:
                stories = load_parquet_export(self.root, config, split, self.revision, self.cache_dir)
            except Exception as exc:  # network, auth, missing config: all mean "no data"
                raise DataNotFoundError(
                    f"bAbI task qa{task}, variant '{variant}', split '{split}' could not be read from the hub "
                    f"({self.root}, revision {self.revision}, config {config}): {type(exc).__name__}: {exc}. "
                    + _how_to_point()
                ) from exc
        self._cache[key] = stories
        return stories


def hub_data() -> ParquetData:
    """The parquet export of ``facebook/babi_qa`` on the hub (revision ``refs/convert/parquet``)."""
    return ParquetData(HUB_ID, f"the hub dataset {HUB_ID} (revision {HUB_REVISION})", HUB_REVISION, remote=True)


DATA = DataLocation(
    env_var=ENV_VAR,
    candidates=(ARCHIVE_NAME, ARCHIVE_FOLDER, "babi_qa"),
    hub_id=HUB_ID,
    what=f"the bAbI tasks ({ARCHIVE_NAME})",
)
"""Where the bAbI data is looked for (:func:`open_data`)."""


def _how_to_point() -> str:
    what = f"a local copy of {ARCHIVE_NAME} (or its extracted folder)"
    return how_to_point(SOURCE, ENV_VAR, what, ARCHIVE_NAME, ARCHIVE_NAME) + "."


def _is_data_folder(path: Path) -> bool:
    if any((path / v).is_dir() for v in VARIANTS):
        return True
    return any(path.glob("en*-qa*/*/*.parquet")) or any(path.glob("en*-qa*/*.parquet"))


def open_data(data_path: str | os.PathLike[str] | None = None) -> BabiData:
    """Find the bAbI data: local files first, else the hub's parquet export.

    Args:
        data_path: An explicit location (archive, extracted folder, parquet export folder); wins when set.

    Returns:
        A :class:`BabiData` to read task splits from.

    Raises:
        DataNotFoundError: Nothing local and the hub is switched off; the message says how to point
            tracebench at local files.
    """
    found = local_or_hub(
        lambda: locate_data(
            SOURCE,
            ENV_VAR,
            DATA.candidates,
            explicit=data_path,
            what=DATA.what,
            accept=_is_data_folder,
        ),
        lambda _: hub_data(),
        f"{HUB_ID}, revision {HUB_REVISION}",
    )
    if not isinstance(found, Path):
        return found
    path = found
    if path.is_file():
        if not tarfile.is_tarfile(path):
            raise DataNotFoundError(f"{path} is not a tar archive; expected {ARCHIVE_NAME}. {_how_to_point()}")
        return ArchiveData(path)
    if _is_data_folder(path):
        if any((path / v).is_dir() for v in VARIANTS):
            return FolderData(path)
        return ParquetData(str(path), f"the parquet folder {path}")
    if (path / ARCHIVE_FOLDER).is_dir():
        return FolderData(path / ARCHIVE_FOLDER)
    raise DataNotFoundError(
        f"{path} holds no bAbI data (expected en/ or en-10k/ task files, or en-qa1/<split>/*.parquet). "
        + _how_to_point()
    )


# ------------------------------------------------------------------------------------------- decomposition


def _answers(task: int, answer: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    fmt = ANSWER_FORMATS.get(task)
    if fmt is None:
        return (answer,), {"answer_format": "text"}
    elements = tuple(a.strip() for a in answer.split(ANSWER_SEP) if a.strip())
    return elements, {"answer_format": fmt, "answer_sep": ANSWER_SEP}


def story_problems(story: BabiStory, *, variant: str, task: int, split: str, questions: str = "all") -> list[Problem]:
    """Decompose one story into Problems (one per question; see the module docstring).

    Args:
        story: The story.
        variant: ``"en"`` or ``"en-10k"`` (for ids and meta).
        task: The task number.
        split: ``"train"`` or ``"test"``.
        questions: ``"all"`` or ``"first"`` (only the story's first question).

    Returns:
        The problems, in question order.

    Raises:
        ValueError: A supporting ID does not name a statement before the question.
    """
    label = TASK_NAMES[task]
    out: list[Problem] = []
    statements: list[BabiLine] = []
    q_index = 0
    for line in story.lines:
        if not line.is_question:
            statements.append(line)
            continue
        by_id = {s.id: s for s in statements}
        missing = [i for i in line.supporting if i not in by_id]
        if missing:
            raise ValueError(
                f"{story.where}: qa{task} story {story.index}, question {line.id} ({line.text!r}): supporting "
                f"id(s) {missing} name no statement before the question"
            )
        wanted = set(line.supporting)
        facts = tuple(s.text for s in statements if s.id in wanted)
        answers, fmt = _answers(task, line.answer or "")
        meta: dict[str, Any] = {
            "category": label,
            "task": task,
            "variant": variant,
            "split": split,
            "story": story.index,
            "question_index": q_index,
            **fmt,
        }
        out.append(
            Problem(
                id=f"babi/{variant}/qa{task}/{split}/s{story.index}/q{q_index}",
                source=SOURCE,
                context=tuple(s.text for s in statements),
                question=line.text,
                steps=(Step.classification(label, LABELS), Step.retrieval(facts)),
                answers=answers,
                meta=meta,
            )
        )
        q_index += 1
        if questions == "first":
            break
    return out


# --------------------------------------------------------------------------------------------- selection


def parse_tasks(tasks: Any) -> tuple[int, ...]:
    """Normalise a ``tasks`` option.

    Accepts ``"all"``, ``"study"``, an int, a task name (``"counting"``), ``"qa7"``, a comma-separated
    string of those, or a list of them.

    Returns:
        Task numbers, in the order given, without repeats.

    Raises:
        ValueError: An unknown task.
    """
    if tasks is None or tasks == "study":
        return STUDY_TASKS
    if tasks == "all":
        return ALL_TASKS
    items: list[Any]
    if isinstance(tasks, str):
        items = [t.strip() for t in tasks.split(",") if t.strip()]
    elif isinstance(tasks, int):
        items = [tasks]
    else:
        items = list(tasks)
    by_name = {name: number for number, name in TASK_NAMES.items()}
    out: list[int] = []
    for item in items:
        text = str(item).strip().lower()
        if text in ("all", "study"):
            numbers = parse_tasks(text)
        elif text.removeprefix("qa").isdigit() and int(text.removeprefix("qa")) in TASK_NAMES:
            numbers = (int(text.removeprefix("qa")),)
        elif text in by_name:
            numbers = (by_name[text],)
        else:
            raise ValueError(f"unknown bAbI task {item!r}: expected 1..20, 'qaN', a task name, 'all' or 'study'")
        out.extend(n for n in numbers if n not in out)
    return tuple(out)


def _check(variant: str, split: str, questions: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown bAbI variant {variant!r}: expected one of {VARIANTS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for source 'babi': expected one of {SPLITS}")
    if questions not in ("first", "all"):
        raise ValueError(f"questions must be 'first' or 'all', got {questions!r}")


def selection_size(n_stories: int, fraction: float) -> int:
    """How many of ``n_stories`` test stories the selection keeps: ``max(1, floor(fraction * n))``.

    The product is exact (``fraction`` is read as the decimal it prints as), so 0.1 of 125 is 12.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"test_fraction must be in (0, 1], got {fraction}")
    if n_stories == 0:
        return 0
    return max(1, int(Fraction(str(fraction)) * n_stories))


def select_stories(n_stories: int, task: int, fraction: float, seed: int) -> list[int]:
    """The seeded test selection of one task: story indices, sorted.

    ``random.Random(f"tracebench/babi/qa{task}/{seed}").sample(range(n_stories), selection_size(...))``.
    """
    k = selection_size(n_stories, fraction)
    if k >= n_stories:
        return list(range(n_stories))
    rng = random.Random(f"tracebench/babi/qa{task}/{seed}")
    return sorted(rng.sample(range(n_stories), k))


def load(
    split: str = "test",
    *,
    variant: str = "en",
    tasks: Any = None,
    questions: str = "first",
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
    data_path: str | os.PathLike[str] | None = None,
    **_: Any,
) -> list[Problem]:
    """Load a selection of bAbI Problems (see the module docstring for the exact rule).

    Args:
        split: ``"test"`` (a seeded fraction of the test file's stories) or ``"train"`` (every train story).
        variant: ``"en"`` (default) or ``"en-10k"``.
        tasks: Task numbers or names, ``"all"`` or ``"study"`` (default: :data:`STUDY_TASKS`).
        questions: ``"first"`` (default: the first question of each story) or ``"all"``.
        test_fraction: Share of each task's test stories kept (test split only).
        seed: Seed of the test selection.
        data_path: Explicit data location (archive, folder or parquet export).
        **_: Other options are ignored (callers pass a common option set to every source).

    Returns:
        Problems task by task, story by story.

    Raises:
        DataNotFoundError: No data, or a requested task file is missing.
        ValueError: A bad option.
    """
    _check(variant, split, questions)
    numbers = parse_tasks(tasks)
    data = open_data(data_path)
    out: list[Problem] = []
    for task in numbers:
        stories = data.stories(variant, task, split)
        if split == "test":
            chosen = [stories[i] for i in select_stories(len(stories), task, float(test_fraction), int(seed))]
        else:
            chosen = stories
        for story in chosen:
            out.extend(story_problems(story, variant=variant, task=task, split=split, questions=questions))
    return out


def iter_all(
    *,
    variant: str = "en",
    data_path: str | os.PathLike[str] | None = None,
    missing: str = "warn",
    **_: Any,
) -> Iterator[Problem]:
    """Yield every Problem of a variant: all 20 tasks, train then test, every question of every story.

    Args:
        variant: ``"en"`` or ``"en-10k"``.
        data_path: Explicit data location.
        missing: What a missing task file does: ``"warn"`` (skip it; one warning at the end lists every
            skipped file) or ``"error"`` (raise :class:`DataNotFoundError` naming it).
        **_: Other options are ignored.

    Yields:
        Problems, task by task, split by split, in file order.
    """
    _check(variant, "test", "all")
    if missing not in ("warn", "error"):
        raise ValueError(f"missing must be 'warn' or 'error', got {missing!r}")
    data = open_data(data_path)
    skipped: list[str] = []
    for task in ALL_TASKS:
        for split in SPLITS:
            try:
                stories = data.stories(variant, task, split)
            except DataNotFoundError:
                if missing == "error" or (isinstance(data, ParquetData) and data.remote):
                    raise
                skipped.append(f"qa{task} {split}")
                continue
            for story in stories:
                yield from story_problems(story, variant=variant, task=task, split=split, questions="all")
    if skipped:
        warnings.warn(
            f"bAbI variant '{variant}': {len(skipped)} task file(s) missing in {data.description}, skipped: "
            + ", ".join(skipped),
            stacklevel=2,
        )


SPEC = register_source(
    SourceSpec(
        study_rules="babi",
        data=DATA,
        name=SOURCE,
        labels=LABELS,
        load=load,
        iter_all=iter_all,
        description="bAbI QA tasks 1-20 (Weston et al. 2015), label = task name, facts = supporting sentences",
        env_var=ENV_VAR,
        categories=LABELS,
    )
)
