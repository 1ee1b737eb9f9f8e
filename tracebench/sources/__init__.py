"""Dataset sources: each turns raw rows (hub, local files or a generator) into Problems."""

from tracebench.sources.base import (
    DATA_DIR_ENV,
    DataNotFoundError,
    DataPathError,
    SourceSpec,
    get_source,
    hub_offline,
    load_problems,
    locate_data,
    register_source,
    source_names,
)

__all__ = [
    "DATA_DIR_ENV",
    "DataNotFoundError",
    "DataPathError",
    "SourceSpec",
    "get_source",
    "hub_offline",
    "load_problems",
    "locate_data",
    "register_source",
    "source_names",
]
