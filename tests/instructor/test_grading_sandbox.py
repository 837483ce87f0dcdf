"""The sandbox of the graded kernels: without one the grader refuses to run
student code unless told, and says each time what is then not protected;
and the attacks fail the same way when the grader runs as a normal user
(as root, the test makes one with setpriv)."""
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from grading_fixtures import make
from test_grading_batch import (CHILDREN_MEMORY, CORRECT, KILL_OTHERS, LAYER_ALONE, SIGMOID,
                                _attack_escape, _attack_read, _attack_write, _course, _escaped,
                                _link_to_solution, _write_class)

from bpinstructor.cli import main

pytestmark = [pytest.mark.slow]
NOBODY = 65534


@pytest.fixture
def short_tmp():
    """A folder of this test's own with a short path (the kernels' sockets live below it)."""
    folder = Path(tempfile.mkdtemp(prefix="bp-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _one_student(root):
    _course(root, "token")
    _write_class(root, {"ann": (make.answered(CORRECT),)})


def test_without_bwrap_nothing_runs_unless_asked(tmp_path, short_tmp, monkeypatch, capsys):
    _one_student(tmp_path)
    monkeypatch.setenv("BPLIB_BWRAP", str(tmp_path / "no-such-bwrap"))
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))  # the run's own
    args = ["grade", str(tmp_path / "submissions"), "--solutions", str(tmp_path / "solutions"),
            "--gradebook", str(tmp_path / "g.sqlite"), "--timeout", "30"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "bubblewrap (bwrap) is not installed" in err and "--no-sandbox" in err
    assert not (tmp_path / "g.sqlite").exists()

    assert main(args + ["--no-sandbox"]) == 0
    err = capsys.readouterr().err
    # said before and after the run, so it cannot scroll away
    assert err.count("WITHOUT a sandbox") == 2 and "read every file" in err
    with sqlite3.connect(tmp_path / "g.sqlite") as db:
        assert db.execute("SELECT student, score FROM notebooks").fetchall() == [("ann", 5.0)]


def _normal_user():
    """(command prefix, uid): how to run a command as a user without privileges.

    As root: setpriv to ``nobody``; when the interpreter lies in a folder
    only root may enter (pyenv under /root), bwrap (privileged, no user
    namespace) first shows that one installation in an otherwise empty
    folder, so the user can start it and nothing else of root's.
    """
    if os.geteuid() != 0:
        return [], os.geteuid()
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all"]
    # the interpreter, the environment and the project, each from the first folder
    # on its path that others may not enter
    shown = {}
    for path in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                 Path(__file__).resolve().parents[2]}:
        closed = [p for p in reversed(path.parents) if not p.stat().st_mode & stat.S_IXOTH]
        if closed:
            shown.setdefault(closed[0], []).append(path)
    if not shown:
        return drop, NOBODY
    cmd = [shutil.which("bwrap"), "--dev-bind", "/", "/"]
    for top, paths in shown.items():
        cmd += ["--tmpfs", str(top)]
        for path in sorted(paths):
            for folder in reversed(path.parents):
                if top in folder.parents:
                    cmd += ["--perms", "0755", "--dir", str(folder)]
            cmd += ["--ro-bind", str(path), str(path)]
    return cmd + ["--cap-add", "ALL", "--"] + drop, NOBODY


def test_the_attacks_fail_as_a_normal_user_too(short_tmp):
    prefix, uid = _normal_user()
    # a folder the user owns, in a place it can reach (pytest's own is root's alone)
    root = short_tmp
    token = uuid.uuid4().hex
    _course(root, token)
    alone = {"layer": LAYER_ALONE}
    students = {
        "correct": (make.answered(CORRECT), 5),
        "half": (make.answered({"sigmoid": SIGMOID}), 2),
        "reads": (make.answered({"sigmoid": _attack_read(token), **alone}), 5),
        "escapes": (make.answered({"sigmoid": _attack_escape(token), **alone}), 5),
        "writes": (make.answered({"sigmoid": _attack_write(token), **alone}), 5),
        "kills_others": (make.answered({"sigmoid": KILL_OTHERS, **alone}), 3),
        "children_memory": (make.answered({"sigmoid": CHILDREN_MEMORY, **alone}), 3),
        "link_to_solution": (_link_to_solution, 0),
    }
    _write_class(root, students)
    (root / "tmp").mkdir()
    for folder, dirs, files in os.walk(root):
        for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
            os.lchown(name, uid, uid)
    env = {"PATH": os.defpath, "HOME": str(root), "TMPDIR": str(root / "tmp"),
           "LANG": "C.UTF-8"}
    done = subprocess.run(
        prefix + [sys.executable, "-m", "bpinstructor.cli", "grade", str(root / "submissions"),
                  "--solutions", str(root / "solutions"), "--gradebook",
                  str(root / "g.sqlite"), "--jobs", "2", "--timeout", "8", "--memory", "2048"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(root / "g.sqlite") as db:
        scores = dict(db.execute("SELECT student, score FROM notebooks"))
    assert scores == {name: want for name, (_, want) in students.items()}
    assert not _escaped(token)
    assert not list((root / "tmp").iterdir())
    project = Path(__file__).parents[2]
    assert not list(project.glob("planted_*")) and not list(project.glob("*/planted_*"))


def test_one_deadline_per_notebook_covers_the_replays(short_tmp, monkeypatch):
    import time
    import types

    from nbformat.v4 import new_code_cell, new_notebook

    from bpinstructor.grading import kernel
    from bpinstructor.grading.kernel import run_notebook, run_sync

    # The grader's clock jumps 100 s at each kernel start, so what the deadline
    # lets run is the same however long starting takes on this machine.
    jumped = [0.0]
    clock = types.SimpleNamespace(monotonic=lambda: time.monotonic() + jumped[0])
    monkeypatch.setattr(kernel, "time", clock)
    start, run = kernel._Kernel.start, kernel._Kernel.run
    ran = []

    async def start_and_jump(self):
        await start(self)
        jumped[0] += 100

    async def counted(self, cell, index, timeout):
        ran.append(index)
        return await run(self, cell, index, timeout)

    monkeypatch.setattr(kernel._Kernel, "start", start_and_jump)
    monkeypatch.setattr(kernel._Kernel, "run", counted)
    # each crash restarts the kernel and replays the cell before it
    nb = new_notebook(cells=[new_code_cell("slow = 1")]
                      + [new_code_cell("import os\nos._exit(1)") for _ in range(3)]
                      + [new_code_cell("after = 1")])
    runs = run_sync(run_notebook(nb, short_tmp, 1, timeout=30, deadline=clock.monotonic() + 250))
    assert [(r.status, r.ename) for r in runs] == [
        ("ok", ""), ("crashed", ""), ("crashed", ""), ("not run", "TimeLimit"),
        ("not run", "TimeLimit")]
    # first kernel: cells 0, 1; second (at 200 s): cell 0 replayed, cell 2; the third
    # starts at 300 s, past the deadline: no replay (without the deadline, one more)
    assert ran == [0, 1, 0, 2]
