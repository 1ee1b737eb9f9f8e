"""inspect_ai tasks for tracebench (the ``inspect`` extra): ``inspect eval tracebench/<source> --model ...``.

Every source has five tasks, registered through inspect's ``inspect_ai`` entry point
(:mod:`tracebench.inspect._registry`):

* ``tracebench/<source>``: the trace prompt (``render_prompt(problem, "trace")``), every trace metric;
* ``tracebench/<source>_direct``: the answer-only prompt, ``answer_acc``;
* ``tracebench/<source>_forced_{gold,corrupt,swapped}``: the trace prompt, then an assistant turn that already
  holds a forced trace (assistant prefill); the model writes only the answer.

They use the same Problems (:mod:`tracebench.sources`), the same prompt (:func:`tracebench.traces.render_prompt`),
the same generation settings as the lm-eval tasks (read from their YAML files) and the same one-sample scoring
as the lm-eval tasks' ``process_results`` (so per-sample metrics are identical for identical outputs).
Task options travel as ``-T``: ``-T profile=paper``, ``-T data_path=/data/...``, ``-T size=50``, ...

This package needs ``inspect_ai`` (``pip install 'tracebench[inspect]'``); nothing else in tracebench imports it.
"""
