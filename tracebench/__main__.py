"""``python -m tracebench`` runs the command line (also used by ``accelerate launch -m tracebench``)."""

from tracebench.cli import main

raise SystemExit(main())
