"""The published audit of the study: its released students rescored under every profile, side by side.

From a folder of generations laid out like the study's ``paper-outputs/`` (``babi/*.jsonl``,
``cotempqa/<category>/*.jsonl.gz``, optionally ``published/study_results.json``),
:func:`run_audit` rescores every file (:func:`tracebench.rescore.rescore`, every profile) and
:func:`write_audit` writes ``index.md``, ``index.html``, ``audit.json``, ``audit.csv`` and ``plots/``::

    from tracebench.audit import run_audit, write_audit
    audit = run_audit("../shared/data/paper-outputs", babi_data="tasks_1-20_v1-2.tar.gz", cotempqa_data="cotempqa")
    write_audit(audit, "leaderboard/study-audit")

Layering: this package uses :mod:`tracebench.rescore` and :mod:`tracebench.leaderboard`, never the commands.
"""

from tracebench.audit.finding import finding
from tracebench.audit.publish import AuditOutputError, render_all, write_audit
from tracebench.audit.study import (
    Audit,
    AuditInputError,
    AuditRow,
    ProfileResult,
    StudyFile,
    build_rows,
    find_study_files,
    run_audit,
)

__all__ = [
    "Audit",
    "AuditInputError",
    "AuditOutputError",
    "AuditRow",
    "ProfileResult",
    "StudyFile",
    "build_rows",
    "find_study_files",
    "finding",
    "render_all",
    "run_audit",
    "write_audit",
]
