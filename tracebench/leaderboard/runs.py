"""The records the leaderboard's readers share: an input :class:`Issue`, a :class:`ModelKey`, a :class:`TaskRun`.

Their own module so that every reader (:mod:`~tracebench.leaderboard.ingest` for lm-eval folders,
:mod:`~tracebench.leaderboard.rescore_runs`, :mod:`~tracebench.leaderboard.inspect_logs`) uses them without
importing the dispatcher that calls it (no import cycle); :mod:`~tracebench.leaderboard.ingest` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracebench.leaderboard.tasks import TaskName


@dataclass(frozen=True)
class Issue:
    """A problem found in an input file.

    Attributes:
        path: The file (as found under the given run folder).
        field: The failing field (``"results.tracebench_babi.trace_acc,none"``) or ``"<file>"``.
        message: What is wrong and what was done about it.
    """

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: field '{self.field}': {self.message}"

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"path": self.path, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ModelKey:
    """Identity of a model across runs.

    Attributes:
        id: Display and sort key: ``pretrained`` (``+ peft=...`` when an adapter is used); without a
            ``pretrained`` argument, the lm-eval model name (``tracebench-gold``) and its sorted arguments.
        model: lm-eval's model type (``hf``, ``tracebench-gold``, ...).
        pretrained: The ``pretrained`` argument, if any.
        peft: The ``peft`` argument, if any.
    """

    id: str
    model: str
    pretrained: str | None = None
    peft: str | None = None


@dataclass(frozen=True)
class TaskRun:
    """One task of one run: the aggregated metrics and, when logged, the samples file.

    Attributes:
        model: The model's key.
        name: The parsed task name.
        date_id: The run's timestamp as lm-eval wrote it in the file name.
        results_path: The results file.
        metrics: ``metric -> value`` from the results file (filter ``none``), with ``n`` = ``tb_record``.
        version: The task's ``metadata.version``, when recorded.
        samples_path: The samples file, or ``None`` when the run did not log samples.
        label: Short relative label of the results file (``<model folder>/<file name>``).
    """

    model: ModelKey
    name: TaskName
    date_id: str
    results_path: Path
    metrics: dict[str, float | None]
    version: str | None = None
    samples_path: Path | None = None
    label: str = ""
