"""Stopping the grader halfway loses nothing: a run killed after some
notebooks were recorded leaves them in the gradebook, and the next run
grades only the rest. Grading one student again replaces only their rows."""
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make

pytestmark = pytest.mark.slow

SIGMOID = "def sigmoid(s):\n    return 1.0 / (1.0 + np.exp(-s))"
LAYER = "def layer(W, b, X):\n    return sigmoid(X @ W.T + b)"
STUDENTS = {
    "ann": ({"sigmoid": SIGMOID, "layer": LAYER}, 5),
    "ben": ({"sigmoid": SIGMOID}, 2),
    "cai": ({}, 0),
    "dee": ({"sigmoid": "import os\n\ndef sigmoid(s):\n    os._exit(1)"}, 0),
    "eve": ({"layer": "def layer(W, b, X):\n    return 1 / (1 + np.exp(-(X @ W.T + b)))"}, 3),
}


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(make.solution(), tmp_path / "solutions" / "layer.ipynb")
    for name, (answers, _) in STUDENTS.items():
        (tmp_path / "submissions" / name).mkdir(parents=True)
        nbformat.write(make.answered(answers), tmp_path / "submissions" / name / "layer.ipynb")
    return tmp_path


def _command(course, *extra):
    return [sys.executable, "-m", "bpinstructor.cli", "grade", str(course / "submissions"),
            "--solutions", str(course / "solutions"), "--gradebook", str(course / "g.sqlite"),
            "--timeout", "10", "--jobs", "1", *extra]


def _rows(course):
    if not (course / "g.sqlite").exists():
        return {}
    with sqlite3.connect(course / "g.sqlite", timeout=30) as db:
        try:
            rows = db.execute("SELECT student, score, seed, graded_at FROM notebooks").fetchall()
        except sqlite3.OperationalError:  # the schema is not there yet
            return {}
    return {r[0]: r[1:] for r in rows}


def _kernels_of(pid):
    """Kernel processes started by the grader process ``pid``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"BPLIB_GRADE_SEED" in b" ".join(e.split(b"=")[0] for e in env) and \
                f"JPY_PARENT_PID={pid}".encode() in env:
            found.append(proc.name)
    return found


def _stop_after(course, rows, sig):
    """Start a run, send ``sig`` once ``rows`` notebooks are recorded.

    Returns the exit code, or the pid when ``sig`` is SIGKILL."""
    proc = subprocess.Popen(_command(course), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while len(_rows(course)) < rows and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be stopped"
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    # The sandbox dies with its grader at once; on two loaded cores the kernel's
    # exit can take a few seconds to be reaped.
    deadline = time.monotonic() + 30
    while _kernels_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _kernels_of(proc.pid)
    assert not left, [(Path("/proc", p, "cmdline").read_bytes()[:200],
                       Path("/proc", p, "stat").read_text().split()[2]) for p in left]
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        return proc.pid
    return proc.returncode


def test_a_stopped_run_loses_nothing_and_the_next_one_finishes(course):
    assert _stop_after(course, 1, signal.SIGTERM) == 130
    first = _rows(course)
    assert 1 <= len(first) < len(STUDENTS)

    killed = _stop_after(course, len(first) + 1, signal.SIGKILL)
    import tempfile  # nothing could remove its work folder
    assert list(Path(tempfile.gettempdir()).glob(f"bplib-grade-{killed}-*"))
    second = _rows(course)
    assert len(second) < len(STUDENTS)
    assert all(second[s] == first[s] for s in first)  # nothing graded twice

    done = subprocess.run(_command(course), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # the killed run's work folder went with the next run
    assert not list(Path(tempfile.gettempdir()).glob(f"bplib-grade-{killed}-*"))
    assert f"{len(second)} already in the gradebook" in done.stdout
    final = _rows(course)
    assert {s: r[0] for s, r in final.items()} == {s: v[1] for s, v in STUDENTS.items()}
    assert all(final[s] == second[s] for s in second)

    again = subprocess.run(_command(course, "--student", "ben", "--seed", "7", "--feedback",
                                    str(course / "fb")), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    after = _rows(course)
    assert after["ben"][:2] == (2, 7) and after["ben"] != final["ben"]
    assert all(after[s] == final[s] for s in final if s != "ben")
    assert sorted(p.name for p in (course / "fb").iterdir()) == [f"{s}.md" for s in sorted(STUDENTS)]
