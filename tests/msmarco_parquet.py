"""Test helper: write MS MARCO rows as parquet files in the hub's layout (``microsoft/ms_marco``).

The package only reads these files (:mod:`tracebench.sources.msmarco`); writing them is for tests and
``benchmarks/bench_sources.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tracebench.io import atomic_write_with


def hub_schema() -> pa.Schema:
    """The hub's parquet schema, for writing files in the same layout."""
    return pa.schema(
        [
            ("answers", pa.list_(pa.string())),
            (
                "passages",
                pa.struct(
                    [
                        ("is_selected", pa.list_(pa.int32())),
                        ("passage_text", pa.list_(pa.string())),
                        ("url", pa.list_(pa.string())),
                    ]
                ),
            ),
            ("query", pa.string()),
            ("query_id", pa.int32()),
            ("query_type", pa.string()),
            ("wellFormedAnswers", pa.list_(pa.string())),
        ]
    )


def write_hub_parquet(
    path: str | os.PathLike[str], rows: Sequence[dict[str, Any]], row_group_size: int = 10_000
) -> Path:
    """Write rows (dicts in the hub schema) as one parquet file, atomically.

    Args:
        path: Destination (e.g. ``root/v2.1/validation-00000-of-00001.parquet``).
        rows: The rows.
        row_group_size: Rows per parquet row group.

    Returns:
        The destination.
    """
    table = pa.Table.from_pylist(list(rows), schema=hub_schema())
    return atomic_write_with(path, lambda tmp: pq.write_table(table, tmp, row_group_size=row_group_size))
