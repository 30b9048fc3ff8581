"""Only the floor section of ``fsmchat bench --perf``: quick, for checking a change.

``fsmchat bench --perf`` measures every figure (several minutes); this measures
only the pairs of :mod:`fsmchat.bench.floor` — a counting round beside one
``transitions`` trigger, ``fsmchat run`` beside ``python -c pass`` and beside
importing its dependencies alone, a model call beside a bare POST — and prints
their lines and goals. Run from the repository root::

    .venv/bin/python -m benchmarks.floor                    # all three pairs
    .venv/bin/python -m benchmarks.floor --parts round,start --blocks 9

Figures, never test bounds.
"""

from __future__ import annotations

import argparse

from fsmchat.bench.floor import PARTS, FloorConfig, floor_goals, run_floor


def main() -> None:
    """Parse the options, measure, print each pair's line and the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {PARTS}"
    )
    parser.add_argument(
        "--blocks", type=int, default=FloorConfig().blocks, help="interleaved blocks"
    )
    args = parser.parse_args()
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    try:
        floor = run_floor(FloorConfig(blocks=args.blocks), parts=parts)
    except ValueError as exc:
        parser.error(str(exc))
    for goal in floor_goals(floor):
        print(f"{'met' if goal['ok'] else 'NOT MET'}: {goal['goal']}")


if __name__ == "__main__":
    main()
