"""How long the secret scan takes on the benchmark's large backend (2,000 route modules).

Generates the large backend of `benchmarks/inputs.py` once (with a small
`.venv` and `node_modules`: the scan never enters them), then times the whole
hygiene scan and the token scan alone (with the walk), best of 5.

    python benchmarks/bench_secrets.py
"""

from __future__ import annotations

import json
import sys
import time

from benchmarks.inputs import LargeShape, large_input
from spacepack.check.hygiene import _token_findings, scan_hygiene
from spacepack.check.tree import load_tree

SHAPE = LargeShape(venv_small_files=100, venv_large_files=0, node_files=100)


def _best(function: object, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    root = large_input(SHAPE).root
    files = len(load_tree(root).files)

    def hygiene() -> None:
        scan_hygiene(load_tree(root), "app")

    def tokens() -> None:
        _token_findings(load_tree(root), ".")  # read, gate, decode and match every shipped file

    figures = {
        "files": files,
        "token_scan_seconds": round(_best(tokens), 3),
        "hygiene_seconds": round(_best(hygiene), 3),
    }
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
