"""Fixtures for the training tests: hand-made Problems and a tiny student."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import babi_problem

from tracebench.problem import Problem


@pytest.fixture
def babi_problems() -> list[Problem]:
    return [babi_problem(i, room) for i, room in enumerate(["kitchen", "garden", "office", "bedroom", "hallway"])]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracebench.train.models import build_tiny_student

    return build_tiny_student("tiny-bpe", tmp_path_factory.mktemp("base") / "tiny-bpe", seed=0)
