"""Training module: SFT students on tracebench regimes (answer-only, correct / incorrect / swapped traces).

Public API: regime builders (:func:`build_regime`), data export (:func:`to_dataset`, :func:`write_examples`),
the configuration (:class:`TrainConfig`, :func:`load_recipe`), :func:`train`, and the base models
(:func:`ensure_smollm2`, :func:`build_tiny_student`). Heavy libraries (torch, transformers, TRL) are imported
inside functions.
"""

from tracebench.train.config import ConfigError, TrainConfig, load_recipe
from tracebench.train.data import examples_hash, load_training_problems, to_dataset, write_examples
from tracebench.train.models import (
    ModelNotAvailableError,
    build_tiny_student,
    cache_root,
    ensure_smollm2,
    resolve_base,
)
from tracebench.train.regimes import (
    REGIMES,
    Example,
    RegimeData,
    build_regime,
    derangement,
    perturb_steps,
)
from tracebench.train.trainer import PreparedTrainer, TrainResult, prepare_trainer, train

__all__ = [
    "REGIMES",
    "ConfigError",
    "Example",
    "ModelNotAvailableError",
    "PreparedTrainer",
    "RegimeData",
    "TrainConfig",
    "TrainResult",
    "build_regime",
    "build_tiny_student",
    "cache_root",
    "derangement",
    "ensure_smollm2",
    "examples_hash",
    "load_recipe",
    "load_training_problems",
    "perturb_steps",
    "prepare_trainer",
    "resolve_base",
    "to_dataset",
    "train",
    "write_examples",
]
