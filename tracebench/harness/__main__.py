"""``python -m tracebench.harness ARGS``: lm-eval's CLI with tracebench plugged in.

The same as ``lm_eval ARGS`` in an installed environment; also works from an uninstalled source checkout
(the tasks and the reference models are registered in-process before lm-eval starts). When every requested
task is a tracebench task or group, lm-eval's built-in tasks are not indexed (see
:mod:`tracebench.harness.runner`).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run lm-eval's command line (``sys.argv`` as given) with tracebench plugged in (and its fast start)."""
    from tracebench.harness.runner import main as run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
