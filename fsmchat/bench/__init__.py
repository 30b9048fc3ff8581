"""The speaker-selection benchmark and the engine's performance figures.

``fsmchat bench`` (see :mod:`fsmchat.cli._bench`) runs scenarios × modes ×
models × trials and reports how often each mode follows the ground-truth FSM,
what it costs, and whether it ever makes an illegal transition:

* :mod:`fsmchat.bench.scenarios` — the scenarios (specs with deterministic guards,
  the ground truth) and the ground-truth walk;
* :mod:`fsmchat.bench.models` — the selectors under test: ``oracle``,
  ``noisy:P`` (a seeded simulation), ``replay:FILE``, ``openai[:MODEL]``;
* :mod:`fsmchat.bench.runner` — the modes, running trials concurrently with
  :func:`fsmchat.arun_chat`, and the metrics;
* :mod:`fsmchat.bench.report` — ``results.json``, ``results.md``, ``results.png``;
* :mod:`fsmchat.bench.perf` — engine overhead, load time and memory figures.

Library use::

    import asyncio
    from fsmchat.bench.runner import BenchConfig, run_benchmark

    results = asyncio.run(run_benchmark(BenchConfig(trials=5)))
    for cell in results.cells:
        print(cell.scenario, cell.mode, cell.model, cell.exact_accuracy)
"""

__all__: list[str] = []
