"""Grading throughput: seconds per submission, against running the solution alone.

    .venv/bin/python benchmarks/grading.py [--students 3] [--solutions solutions]

Grades ``--students`` copies of the solution notebooks (every exercise
answered, every cell run) with ``--jobs 1`` and then ``--jobs 2``, and
prints

- the time to run the solution notebooks once with plain nbclient (the
  floor: one kernel, no checks),
- seconds per submission with ``--jobs 1`` (goal: at most 1.5 x the floor),
  both as wall time of the whole run divided by the number of students and
  as the time spent on the notebooks themselves (without the one reference
  run of the solutions and the start-up of the command),
- the speed-up of ``--jobs 2`` over ``--jobs 1`` (at most 2 on two cores),
- seconds per submission with ``--jobs 1 --no-sandbox``: the cost of the
  sandbox (bubblewrap, one per kernel) is the difference (each measured
  twice, in the order with, without, without, with; the faster kept),
- from the ``--jobs 2`` figure, the hours a class of 1,000 students takes on
  one such machine, and on 16 machines as a job array.

Uses ``solutions/`` when it holds notebooks, else the grading tests' fixture.
"""
import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "instructor" / "grading_fixtures" / "solutions"


def run_alone(solutions, names, timeout):
    """Seconds to execute the solution notebooks once, each in a fresh kernel."""
    total = 0.0
    for name in names:
        nb = nbformat.read(solutions / name, 4)
        with tempfile.TemporaryDirectory() as work:
            started = time.perf_counter()
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": work}}).execute()
            total += time.perf_counter() - started
    return total


def grade(submissions, solutions, jobs, timeout, book, *extra):
    """(wall seconds, seconds spent in the notebooks) of one ``bplib grade`` run."""
    from bpinstructor.cli import main

    started = time.perf_counter()
    code = main(["grade", str(submissions), "--solutions", str(solutions), "--gradebook",
                 str(book), "--jobs", str(jobs), "--timeout", str(timeout), "--seed", "1",
                 *extra])
    wall = time.perf_counter() - started
    if code != 0:
        sys.exit(f"bplib grade exited with {code}")
    with sqlite3.connect(book) as db:
        inside = db.execute("SELECT SUM(seconds) FROM notebooks").fetchone()[0]
    return wall, inside


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    solutions = args.solutions if any(args.solutions.glob("*.ipynb")) else FIXTURE
    names = sorted(p.name for p in solutions.glob("*.ipynb"))
    print(f"solutions: {solutions} ({len(names)} notebooks), {args.students} students, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k in range(args.students):
            folder = tmp / "submissions" / f"student{k:02d}"
            folder.mkdir(parents=True)
            for name in names:
                shutil.copy(solutions / name, folder / name)
        # The machine may be shared: the floor is the faster of a run before
        # and a run after the grading.
        alone = run_alone(solutions, names, args.timeout)
        # with and without the sandbox in the order A B B A, the faster of each kept,
        # so that a change of the machine's load counts against neither
        runs = {True: [], False: []}
        for k, sandboxed in enumerate((True, False, False, True)):
            runs[sandboxed].append(grade(tmp / "submissions", solutions, 1, args.timeout,
                                         tmp / f"g1-{k}.sqlite",
                                         *([] if sandboxed else ["--no-sandbox"])))
        (wall1, inside1), (bare, bare_inside) = min(runs[True]), min(runs[False])
        wall2, _ = grade(tmp / "submissions", solutions, 2, args.timeout, tmp / "g2.sqlite")
        alone = min(alone, run_alone(solutions, names, args.timeout))
        per_wall, per_inside = wall1 / args.students, inside1 / args.students
        print(f"solution notebooks run alone:   {alone:7.1f} s")
        print(f"--jobs 1, per submission:       {per_wall:7.1f} s wall  "
              f"({per_wall / alone:.2f} x alone; goal <= 1.5)")
        print(f"          in the notebooks:     {per_inside:7.1f} s       "
              f"({per_inside / alone:.2f} x alone)")
        print(f"--jobs 2, per submission:       {wall2 / args.students:7.1f} s wall")
        print(f"speed-up of --jobs 2 over 1:    {wall1 / wall2:7.2f} x")
        print(f"--jobs 1 --no-sandbox, per submission: {bare / args.students:7.1f} s wall, "
              f"{bare_inside / args.students:.1f} s in the notebooks "
              f"(the sandbox costs {(inside1 - bare_inside) / args.students:+.1f} s "
              f"per submission of {len(names)} notebooks)")
        hours = 1000 * wall2 / args.students / 3600
        print(f"1,000 students x {len(names)} notebooks at --jobs 2: {hours:.1f} h on one "
              f"such machine, {hours / 16:.1f} h as an array of 16 jobs")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
