"""``python -m tracebench.harness ARGS``: lm-eval's CLI with tracebench plugged in.

The same as ``lm_eval ARGS`` in an installed environment; also works from an uninstalled source checkout
(the tasks and the reference models are registered in-process before lm-eval starts).
"""

from __future__ import annotations


def main() -> None:
    """Install the tracebench hooks, then run lm-eval's command line (``sys.argv`` as given)."""
    from tracebench.harness.discovery import install

    install()
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


if __name__ == "__main__":
    main()
