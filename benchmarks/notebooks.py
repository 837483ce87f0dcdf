"""How long does each notebook take to run top to bottom?

Runs every notebook of solutions/ and notebooks/ (or the ones named) with
nbclient, the way ``bplib student`` and the graders run them, and prints the
time of its cells and the total with the kernel's start. Nothing is written.
The goal is a total under 15 s per notebook on a 2-core machine.

Usage: python benchmarks/notebooks.py [NAME ...] [--repeat R]
"""
import argparse
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 15.0


def run_once(path):
    """(seconds for the cells, seconds in all) for one run of the notebook."""
    nb = nbformat.read(str(path), as_version=4)
    marks = {}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_notebook_start=lambda **_: marks.setdefault("cells", time.perf_counter()))
    start = time.perf_counter()
    client.execute()
    end = time.perf_counter()
    return end - marks.get("cells", start), end - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names, e.g. 04_forward_pass (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the median is shown")
    args = parser.parse_args(argv)

    paths = [p for folder in ("solutions", "notebooks") for p in sorted((ROOT / folder).glob("*.ipynb"))
             if not args.names or p.stem in args.names or p.name in args.names]
    width = max([len("notebook")] + [len(f"{p.parent.name}/{p.name}") for p in paths])
    print(f"{'notebook':{width}} {'cells':>8} {'total':>8}  goal: total < {GOAL_S:.0f} s")
    slow = 0
    for path in paths:
        runs = [run_once(path) for _ in range(args.repeat)]
        cells = statistics.median(r[0] for r in runs)
        total = statistics.median(r[1] for r in runs)
        verdict = "ok" if total < GOAL_S else "SLOW"
        slow += total >= GOAL_S
        print(f"{path.parent.name + '/' + path.name:{width}} {cells:7.1f}s {total:7.1f}s  {verdict}")
    print(f"{len(paths) - slow} of {len(paths)} notebooks within the goal")
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
