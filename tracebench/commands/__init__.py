"""Sub-commands of the ``tracebench`` command line, one module each (see :mod:`tracebench.cli`)."""
