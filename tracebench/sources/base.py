"""The source registry and data location rules shared by every dataset module.

A source is registered as a :class:`SourceSpec`: a name, its closed label set, a ``load`` function that
returns a selection (a split, with options) and an ``iter_all`` function that yields every Problem the
source can produce (used by ``tracebench rescore`` to join external generations), plus everything else
source-specific the flow needs (its phrasings, answer scorers, study rules, how to make a step wrong, the
answer a forced trace implies, generation budgets, where its data is looked for): see :class:`SourceSpec`.

Adding a source: one module under ``tracebench/sources/`` that calls :func:`register_source` (found without
any other edit), then ``python -m tracebench.harness.task_files`` writes its task folder and the groups.

Local data is found, in order, from: an explicit path (function argument, ``--data``, or the lm-eval
task's ``metadata.data_path``); the source's own environment variable (``TRACEBENCH_BABI_PATH``, ...); the
common root ``TRACEBENCH_DATA_DIR`` (holding ``babi/``, ``cotempqa/``, ... as sub-folders).

An explicit path or the source's environment variable is final: when it does not exist, cannot be read or
holds no data, :class:`DataPathError` names it at once and nothing else (no other root, no hub) is tried.
Only when no location was given (or ``TRACEBENCH_DATA_DIR`` lacks the source's sub-folder) may a source
fall back to its hub copy.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tracebench.problem import Problem, Step
from tracebench.registry import Registry
from tracebench.traces.perturb import contains_answer as contains_answer  # re-exported for the hooks
from tracebench.traces.perturb import non_gold_sentences as non_gold_sentences
from tracebench.traces.phrasings import add_phrasing_loader, register_style_phrasing

DATA_DIR_ENV = "TRACEBENCH_DATA_DIR"
_OFFLINE_VALUES = frozenset({"1", "true", "yes", "on"})


def hub_offline() -> bool:
    """Whether the Hugging Face hub is switched off (``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` set true)."""
    return any(
        os.environ.get(v, "").strip().lower() in _OFFLINE_VALUES for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


class DataNotFoundError(FileNotFoundError):
    """A source's data could not be found locally (and no hub was reachable)."""


class DataPathError(DataNotFoundError):
    """A location the user gave (argument, ``data_path``, environment variable) is missing, unreadable or empty.

    Never answered by trying another copy: sources re-raise it instead of falling back to the hub.
    """


WrongFacts = Callable[[Problem, Step, random.Random], "tuple[str, ...] | None"]
"""``wrong_facts(problem, retrieval_step, rng) -> facts``: context sentences that make the step verifiably
wrong (``None`` when the problem has none)."""

WrongLabel = Callable[[Problem, Step, random.Random], "str | None"]
"""``wrong_label(problem, classification_step, rng) -> label``: a label that makes the step verifiably wrong
(``None`` when the closed label set has no other)."""

ImpliedAnswer = Callable[[Problem, Sequence[Step]], "tuple[str, ...] | None"]
"""``implied_answer(problem, forced_steps) -> answers``: the answers the forced steps state (``None``: they
imply none)."""

AnswerScorer = Callable[[Problem, "str | None"], dict[str, float]]
"""``scorer(problem, prediction) -> metrics``: always ``answer_acc`` (1.0 or 0.0); ``prediction`` ``None`` when
no answer was found."""


@dataclass(frozen=True)
class GenBudgets:
    """Generation budgets (``max_gen_toks``) of a source's lm-eval tasks.

    A budget equal to the task template's (trace 256, direct and forced 64) writes no ``generation_kwargs``
    into the source's task files; another one does, with the reason as a comment.

    Attributes:
        trace: Trace tasks (``tracebench_<source>``).
        direct: Direct (answer-only) tasks.
        forced: Forced-trace intervention tasks (the answer after a given trace).
        trace_why: Why the trace budget differs from the template's (the YAML comment).
        direct_why: Why the direct budget differs from the template's (the YAML comment).
    """

    trace: int = 256
    direct: int = 64
    forced: int = 64
    trace_why: str = ""
    direct_why: str = ""


@dataclass(frozen=True)
class CategoryTasks:
    """Per-category lm-eval subtasks of a source (``tracebench-<source>-<category>[-direct]``) and their group.

    Attributes:
        group: The group's name (``tracebench-cotempqa-categories``).
        kwargs_lines: ``category -> extra YAML lines`` inside ``dataset_kwargs`` (indented two spaces).
        top_lines: ``category -> extra top-level YAML lines`` (after ``dataset_kwargs``).
    """

    group: str
    kwargs_lines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    top_lines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DataLocation:
    """Where a source's data is looked for (see :func:`locate_data`; generated sources have none).

    Attributes:
        env_var: The source's own environment variable (``TRACEBENCH_BABI_PATH``).
        candidates: File or folder names looked for inside each root (the archive, the extracted folder).
        hub_id: The Hugging Face hub dataset used when nothing local was given (empty: none).
        what: Words for messages (``"the bAbI archive"``).
    """

    env_var: str = ""
    candidates: tuple[str, ...] = ()
    hub_id: str = ""
    what: str = "data"


@dataclass(frozen=True)
class SourceSpec:
    """A registered source: everything source-specific the flow needs, declared in the source's own module.

    Consumers look a problem's spec up with ``get_source(problem.source)`` and call its hooks; a hook left
    ``None`` means "use the generic rule" (the caller's default).

    Attributes:
        name: Source name (``"babi"``, ``"synth_world"``, ...).
        labels: The closed label set of its classification step.
        load: ``load(split, **options) -> list[Problem]``: a selection (``split`` is ``"train"`` or ``"test"``).
        iter_all: ``iter_all(**options) -> Iterable[Problem]``: every Problem the source can produce.
        description: One line for listings.
        env_var: The environment variable naming its local data (empty for generated sources).
        categories: Keys of ``problem.meta["category"]`` for per-category breakdowns.
        option_types: Options taken through ``**options`` (generator knobs): ``name -> type`` (``int``,
            ``float``, ``bool``, ``str``); the named parameters of ``load``/``iter_all`` are known anyway.
        phrasings: The source's trace sentences per trace style: ``style name -> phrasing`` (for ``paper``: a
            :class:`tracebench.traces.paper.Phrasing`). :func:`register_source` registers each under the
            source's name in that style's phrasing registry; problems select it with
            ``meta["phrasing"] = <source name>``. Empty: the style's default phrasing.
        answer_scorers: The source's own answer metrics: ``scorer name -> scorer`` (:data:`AnswerScorer`),
            selected per problem by ``meta["answer_scorer"]``; the scoring layer registers them on first use.
        study_rules: Name of the study's rules (``paper``/``released`` profiles) for this source in
            :mod:`tracebench.scoring.study` (empty: none; those profiles fall back to the generic rules).
        wrong_facts: :data:`WrongFacts` hook: ``wrong_facts(problem, step, rng) -> tuple[str, ...] | None``,
            how a retrieval step is made wrong (training regimes, reference models, interventions);
            ``None``: the generic rule in :mod:`tracebench.traces` (non-gold context sentences).
        wrong_label: :data:`WrongLabel` hook: ``wrong_label(problem, step, rng) -> str | None``, how a
            classification step is made wrong; ``None``: the generic rule (another label of the closed set).
        implied_answer: :data:`ImpliedAnswer` hook: ``implied_answer(problem, forced_steps) ->
            tuple[str, ...] | None``, the answer a (corrupt) forced trace states; ``None``: undefined.
        budgets: Generation budgets of its lm-eval tasks (:class:`GenBudgets`).
        category_tasks: Per-category subtasks (one per entry of ``categories``) and their group
            (:class:`CategoryTasks`); ``None``: none. The task files are generated from the spec
            (``python -m tracebench.harness.task_files``).
        data: Where its local data is looked for (:class:`DataLocation`); ``None`` for generated sources.
    """

    name: str
    labels: tuple[str, ...]
    load: Callable[..., list[Problem]]
    iter_all: Callable[..., Iterable[Problem]]
    description: str = ""
    env_var: str = ""
    categories: tuple[str, ...] = field(default=())
    option_types: Mapping[str, type] = field(default_factory=dict)
    phrasings: Mapping[str, Any] = field(default_factory=dict)
    answer_scorers: Mapping[str, AnswerScorer] = field(default_factory=dict)
    study_rules: str = ""
    wrong_facts: WrongFacts | None = None
    wrong_label: WrongLabel | None = None
    implied_answer: ImpliedAnswer | None = None
    budgets: GenBudgets = field(default_factory=GenBudgets)
    category_tasks: CategoryTasks | None = None
    data: DataLocation | None = None


# Sources are imported lazily (first use), so ``import tracebench`` stays cheap. This table only says which
# module registers which name (and the order of tracebench's task groups); a module added under
# tracebench/sources/ without a line here is found by :func:`_discover_sources` when a name is missed.
_MODULES: dict[str, str] = {
    "babi": "tracebench.sources.babi",
    "synth_world": "tracebench.sources.synth.world",
    "cotempqa": "tracebench.sources.cotempqa",
    "msmarco": "tracebench.sources.msmarco",
    "synth_timeline": "tracebench.sources.synth.timeline",
}

SOURCES: Registry[SourceSpec] = Registry("source", lazy=_MODULES)
"""Every source, by name (built-in ones imported on first use)."""

_PACKAGE = __name__.rsplit(".", 1)[0]


def _discover_sources() -> None:
    """Import every module of the ``tracebench.sources`` package (each source module registers itself)."""
    import importlib
    import pkgutil

    package = importlib.import_module(_PACKAGE)
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{_PACKAGE}."):
        importlib.import_module(info.name)


SOURCES.add_loader(_discover_sources)

_REGISTRY = SOURCES  # the former name


def register_source(spec: SourceSpec) -> SourceSpec:
    """Register (or replace) a source, and its phrasings in the trace styles' phrasing registries.

    Args:
        spec: The source.

    Returns:
        ``spec`` (so a module can write ``SPEC = register_source(SourceSpec(...))``).
    """
    for style, phrasing in spec.phrasings.items():
        register_style_phrasing(style, spec.name, phrasing)
    return SOURCES.register(spec.name, spec)


def builtin_source_names() -> list[str]:
    """The sources shipped with tracebench (modules of this package), in listing order (the task groups' order).

    The sources of the lazy table first, in its order, then any other source module of the package by name.
    """
    found = {name for name, spec in SOURCES.items() if spec.load.__module__.startswith(f"{_PACKAGE}.")}
    return [*(_MODULES), *sorted(found - set(_MODULES))]


def source_names() -> list[str]:
    """Names of every known source (registered or importable)."""
    return SOURCES.names()


def get_source(name: str) -> SourceSpec:
    """Return the source ``name``, importing its module on first use.

    Raises:
        KeyError: Unknown source; the message lists the known ones.
    """
    return SOURCES.get(name)


def load_all_sources() -> list[SourceSpec]:
    """Every source, each module imported (registering its phrasings, scorers and hooks)."""
    return [spec for _, spec in SOURCES.items()]


def _load_source_phrasings() -> None:
    load_all_sources()


# The parser accepts every registered phrasing: listing a style's phrasings imports every source first.
add_phrasing_loader(_load_source_phrasings)


def known_options(spec: SourceSpec) -> dict[str, str]:
    """Every option a source accepts, with its type as text (``"int"``, ``"float | None"``, ``"Any"``, ...).

    The named parameters of ``load`` and ``iter_all`` (``split`` excepted) and :attr:`SourceSpec.option_types`.
    """
    import inspect

    out: dict[str, str] = {}
    for fn in (spec.load, spec.iter_all):
        for name, param in inspect.signature(fn).parameters.items():
            if name != "split" and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                ann = param.annotation
                out.setdefault(name, "Any" if ann is inspect.Parameter.empty else str(getattr(ann, "__name__", ann)))
    for name, kind in spec.option_types.items():
        out.setdefault(name, kind.__name__)
    return out


def options_closed(spec: SourceSpec) -> bool:
    """Whether :func:`known_options` lists every option ``spec`` understands (so others can be refused).

    True when the source declares :attr:`SourceSpec.option_types`, or when its ``load``/``iter_all`` take
    no ``**kwargs`` other than the ignored ``**_`` (which swallows options meant for other sources).
    """
    import inspect

    if spec.option_types:
        return True
    for fn in (spec.load, spec.iter_all):
        for name, param in inspect.signature(fn).parameters.items():
            if param.kind is param.VAR_KEYWORD and name != "_":
                return False
    return True


def convert_option(source: str, name: str, value: str, kind: str) -> Any:
    """Convert a command-line option value (text) to the type a source's option declares.

    Args:
        source: Source name (for messages).
        name: Option name.
        value: The text given (``--option name=value``).
        kind: The declared type as text (from :func:`known_options`).

    Returns:
        ``int``/``float``/``bool`` for such options (``None`` for ``none``/empty when the type allows it),
        else the text unchanged.

    Raises:
        ValueError: The text is not of the declared type; the message names the option.
    """
    parts = {p.strip() for p in kind.split("|")}
    if value.strip().lower() in ("", "none", "null") and "None" in parts:
        return None
    try:
        if "bool" in parts:
            low = value.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return low in ("1", "true", "yes", "on")
        if "int" in parts:
            return _whole_number(value)
        if "float" in parts:
            return float(value)
    except ValueError:
        expected = "true or false" if "bool" in parts else ("a whole number" if "int" in parts else "a number")
        raise ValueError(f"source '{source}': option {name!r}: expected {expected}, got {value!r}") from None
    return value


def _whole_number(text: str) -> int:
    """``"12"`` -> 12; ``"1e3"`` -> 1000 (a whole number written as a float); else ``ValueError``."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


def option_list(value: Any, default: Sequence[Any]) -> tuple[Any, ...]:
    """A list option as a loader gets it: ``None`` or ``"all"`` give ``default``; ``"a, b"`` gives ``("a", "b")``.

    lm-eval metadata and ``--option`` pass lists as comma-separated text; Python callers pass sequences.

    Args:
        value: The option's value.
        default: What ``None`` and ``"all"`` stand for.

    Returns:
        The items, as given (not checked).
    """
    if value is None or value == "all":
        return tuple(default)
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def choose_labels(
    value: Any,
    known: Sequence[str],
    default: Sequence[str],
    what: str,
    canon: Callable[[Any], Any] = lambda item: item,
) -> tuple[str, ...]:
    """The labels a ``categories`` option names (:func:`option_list`), each checked against ``known``.

    Args:
        value: The option's value.
        known: The source's labels.
        default: The labels ``None`` and ``"all"`` stand for.
        what: The labels' name in the error (``"CoTempQA relation(s)"``).
        canon: Maps each given item to its label (e.g. ``str.upper``).

    Returns:
        The chosen labels, in the order given.

    Raises:
        ValueError: An unknown label, or none at all.
    """
    if value is None or value == "all":
        return tuple(default)
    chosen = tuple(canon(item) for item in option_list(value, default))
    bad = [c for c in chosen if c not in known]
    if bad or not chosen:
        raise ValueError(f"unknown {what} {bad or chosen}: expected some of {tuple(known)}")
    return chosen


def load_problems(source: str, split: str = "test", **options: Any) -> list[Problem]:
    """Load a source's selection: ``get_source(source).load(split, **options)``."""
    return get_source(source).load(split, **options)


def locate_data(
    source: str,
    env_var: str,
    candidates: Sequence[str],
    explicit: str | os.PathLike[str] | None = None,
    what: str = "data",
    accept: Callable[[Path], bool] | None = None,
) -> Path:
    """Find a source's local data.

    Args:
        source: Source name (also the sub-folder looked for under ``TRACEBENCH_DATA_DIR``).
        env_var: The source's own environment variable.
        candidates: File or folder names looked for inside each root (e.g. the archive, the extracted folder).
        explicit: A path given by the caller (argument or task ``metadata.data_path``); wins when set.
        what: Words for the error message.
        accept: Whether a root folder is itself the data (e.g. holds ``en/qa1_*``); default: never.

    Returns:
        For each root in order (``explicit``, ``$env_var``, ``$TRACEBENCH_DATA_DIR/<source>``): the root
        if it is a file or ``accept(root)``, else the first candidate inside it that exists.

    Raises:
        DataPathError: A given location (``explicit``, ``$env_var``, ``$TRACEBENCH_DATA_DIR``) does not
            exist, cannot be read, or (``explicit``, ``$env_var``) holds no data; never retried elsewhere.
        DataNotFoundError: Nothing found; the message lists every place looked at and how to point
            tracebench at the data.
    """
    given = _given_root(source, env_var, explicit)
    if given is not None:
        origin, root = given
        found = _resolve(root, candidates, accept)
        if found is None:
            raise DataPathError(
                f"{what} for source '{source}': {root} ({origin}) holds none of: {', '.join(candidates)}; "
                "a given path is never replaced by another copy: fix it, or unset it to use the default locations"
            )
        return found
    looked: list[str] = []
    if os.environ.get(DATA_DIR_ENV):
        common = Path(os.environ[DATA_DIR_ENV]).expanduser()
        _check_readable(common, f"${DATA_DIR_ENV}", source)
        found = _resolve(common / source, candidates, accept) if (common / source).exists() else None
        if found is not None:
            return found
        looked.append(f"{common / source} (${DATA_DIR_ENV}/{source})")
    example = candidates[0] if candidates else source
    raise DataNotFoundError(
        f"{what} for source '{source}': not found locally"
        + (f"; looked in: {'; '.join(looked)}" if looked else " (no location was given)")
        + ". "
        + how_to_point(source, f"the environment variable {env_var}", "it", example, example)
        + " (README: 'Pointing tracebench at local data')."
    )


def how_to_point(source: str, env_var: str, what: str, target: str, holding: str) -> str:
    """The one text saying how to point tracebench at a source's local data (every source's messages use it).

    Args:
        source: Source name (its sub-folder under ``TRACEBENCH_DATA_DIR``).
        env_var: The source's environment variable.
        what: What to point at (``"a folder holding equal.json, ..."``).
        target: The example path's last part (``"cotempqa"``, the archive's name).
        holding: What ``$TRACEBENCH_DATA_DIR/<source>/`` holds (``"equal.json, ..."``).

    Returns:
        ``"Point tracebench at {what} with {env_var}=/path/to/{target}, or TRACEBENCH_DATA_DIR=... (holding
        {source}/{holding}), or the lm-eval task option --metadata '{"data_path": ...}'"`` (no final full stop).
    """
    return (
        f"Point tracebench at {what} with {env_var}=/path/to/{target}, or {DATA_DIR_ENV}=/path/to/root "
        f"(holding {source}/{holding}), or the lm-eval task option "
        f'--metadata \'{{"data_path": "/path/to/{target}"}}\''
    )


T = TypeVar("T")


def local_or_hub(
    locate: Callable[[], Path], hub: Callable[[DataNotFoundError], T], hub_copy: str, pointer: str = ""
) -> Path | T:
    """A source's local data if found, else its hub copy: the one local-or-hub rule every source follows.

    Args:
        locate: Finds the local data (usually :func:`locate_data`).
        hub: Gets the hub copy; given the local error (to quote when the hub fails too).
        hub_copy: The hub copy in words (``"Warrieryes/CotempQA"``), for the message when the hub is off.
        pointer: How to point at local data (:func:`how_to_point`), added to that message.

    Returns:
        ``locate()``, or ``hub(error)`` when nothing local was found.

    Raises:
        DataPathError: A location the user gave is missing, unreadable or empty (never replaced by the hub).
        DataNotFoundError: Nothing local and the hub is switched off (``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE``).
    """
    try:
        return locate()
    except DataPathError:  # a path the user gave is final: never replaced by the hub copy
        raise
    except DataNotFoundError as exc:
        if hub_offline():
            raise DataNotFoundError(
                f"{exc} {pointer + ' ' if pointer else ''}The hub copy ({hub_copy}) was not tried: the hub is "
                "switched off (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)."
            ) from None
        return hub(exc)


def check_data_path(value: Any, name: str = "data_path") -> Path | None:
    """Check a user-given data location's type: a non-empty path, or ``None``/``""`` for "not given".

    Args:
        value: The value as given (``--data``, task metadata, a source option).
        name: The option's name, for the message.

    Returns:
        The path (``~`` expanded), or ``None``.

    Raises:
        DataPathError: ``value`` is not text or a path (``{"data_path": 5}``).
    """
    if value is None or value == "":
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise DataPathError(f"{name} {value!r}: expected a file or folder path (text), got {type(value).__name__}")
    return Path(value).expanduser()


def _given_root(source: str, env_var: str, explicit: Any) -> tuple[str, Path] | None:
    """The location the user gave (explicit path first, then the source's variable), checked; else None."""
    path = check_data_path(explicit)
    if path is not None:
        origin = "the data_path argument / --data / metadata.data_path"
    elif env_var and os.environ.get(env_var):
        path, origin = Path(os.environ[env_var]).expanduser(), f"${env_var}"
    else:
        return None
    _check_readable(path, origin, source)
    return origin, path


def _check_readable(path: Path, origin: str, source: str) -> None:
    if not path.exists():
        raise DataPathError(
            f"data for source '{source}': {path} ({origin}) does not exist; fix the path, or unset it to use "
            "the default locations (a given path is never replaced by another copy)"
        )
    mode = os.R_OK | (os.X_OK if path.is_dir() else 0)
    if not os.access(path, mode):
        raise DataPathError(f"data for source '{source}': {path} ({origin}) cannot be read (permission denied)")


def _resolve(root: Path, candidates: Sequence[str], accept: Callable[[Path], bool] | None) -> Path | None:
    if root.is_file() or (root.is_dir() and accept is not None and accept(root)):
        return root
    for c in candidates:
        p = root / c
        if p.exists():
            return p
    return None
