"""What the grader needs is bounded whatever a notebook does: floods of output,
display updates and widget messages cost it no memory, a later cell cannot
rewrite a finished test's reports, memory kept in tmpfs or memfds counts
without a cgroup, nothing a kernel leaves behind stops the next one, every
notebook ends with a row, and no kernel outlives a killed grader."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make
from nbformat.v4 import new_code_cell, new_notebook
from test_grading_batch import CORRECT, LAYER, SIGMOID

from bpcourse.report import MIME
from bpinstructor.grading import kernel, sandbox
from bpinstructor.grading.kernel import run_notebook, run_sync

pytestmark = [pytest.mark.slow]

# 60 widget-state messages of 10 MB: nbclient keeps widget state
COMM_FLOOD = '''from ipykernel.comm import Comm
_c = Comm(target_name="flood", data={})
_big = "x" * 10_000_000
for _ in range(60):
    _c.send(data={"state": {"value": _big}})
'''
# 60 displays, each updated to 10 MB: nbclient rewrites the outputs kept
UPDATE_FLOOD = '''from IPython.display import display
_big = "x" * 10_000_000
for _ in range(60):
    display({"text/plain": "small"}, raw=True, display_id=True).update(
        {"text/plain": _big}, raw=True)
'''
# cells each printing just under the former per-cell cap: 150 x 1.9 MB, over the budget together
CELL_FLOOD = 'print("x" * 1_900_000)'
# the answer is (0, 0) where it counts; a later cell rewrites the test's report
# (made with a display id it slipped in) with the right numbers on the test's inputs
REWRITES_REPORT = '''import IPython.display as _shown
_display = _shown.display

def _with_id(*objs, **kw):
    kw.setdefault("display_id", "the-report")
    return _display(*objs, **kw)

_shown.display = _with_id

def sigmoid(s):
    return np.where(s == 0, 0.5, 0.0)
'''
REWRITE = f'''from IPython.display import update_display
_shown.display = _display  # later reports stay apart
_s = probe_rng().normal(size=(5, 3)) * 4
_right = 1.0 / (1.0 + np.exp(-_s))
update_display({{"{MIME}": {{"name": "sigmoid", "shape": [5, 3],
                 "value": _right.ravel().tolist()}}}}, display_id="the-report", raw=True)
'''
# what might stop every later kernel: an IPython startup file that ends the
# kernel, the connection file replaced by a folder; then the kernel ends itself
POISON = '''import glob, os
_places = {os.environ.get("IPYTHONDIR", ""), os.path.join(os.environ["HOME"], ".ipython"),
           os.path.join(os.getcwd(), ".ipython")}
for _place in _places:
    try:
        os.makedirs(os.path.join(_place, "profile_default", "startup"), exist_ok=True)
        with open(os.path.join(_place, "profile_default", "startup", "00.py"), "w") as f:
            f.write("import os\\nos._exit(0)\\n")
    except OSError:
        pass
from ipykernel.connect import get_connection_file
for _file in {get_connection_file(), *glob.glob(os.path.join(os.getcwd(), "*.json"))}:
    try:
        os.remove(_file)
        os.mkdir(_file)
    except OSError:
        pass
os._exit(0)
'''
# a display the kernel sends as 20,000 nested lists (json.dumps would refuse: packed by hand)
DEEP_DISPLAY = '''_session = get_ipython().kernel.session
_pack = _session.pack
_deep = b'{"data": {"text/plain": ' + b"[" * 20000 + b"]" * 20000 + b'}, "metadata": {}}'
_session.pack = lambda o: _deep if isinstance(o, dict) and "data" in o else _pack(o)
display("deep")
_session.pack = _pack
'''


def _with_cells(answers, extra, after="test_sigmoid"):
    """A submission with ``answers``, and the cells ``extra`` right after the cell ``after``."""
    nb = make.answered(answers)
    at = make.cell(nb, after) + 1
    nb.cells[at:at] = [new_code_cell(source) for source in extra]
    return nb


def _deep_file(levels):
    inner = "[" * levels + "]" * levels
    return ('{"cells": [], "metadata": {"x": ' + inner + '}, "nbformat": 4, '
            '"nbformat_minor": 5}').encode()


def _course(root, students):
    (root / "solutions").mkdir()
    nbformat.write(make.solution(), root / "solutions" / "layer.ipynb")
    for name, nb in students.items():
        (root / "submissions" / name).mkdir(parents=True)
        path = root / "submissions" / name / "layer.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)


def _grade(root, *extra, timeout=60):
    """Run the grader in a process of its own; its exit code, its output, its peak memory (MB)."""
    peak = root / "peak"
    # VmHWM, not getrusage's ru_maxrss: that one keeps the peak of the process
    # this one was started from (here pytest's, which grows with the tests run)
    script = ("import sys\nfrom bpinstructor.cli import main\ncode = main(sys.argv[2:])\n"
              "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
              "open(sys.argv[1], 'w').write(str(int(hwm[0]) // 1024))\nsys.exit(code)")
    env = dict(os.environ, TMPDIR=str(root / "tmp"))  # short: the kernels' sockets live there
    (root / "tmp").mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", script, str(peak), "grade", str(root / "submissions"),
         "--solutions", str(root / "solutions"), "--gradebook", str(root / "g.sqlite"),
         "--timeout", str(timeout), "--memory", "2048", *extra],
        env=env, capture_output=True, text=True, timeout=1200)
    return done.returncode, done.stdout + done.stderr, int(peak.read_text())


def _rows(root):
    with sqlite3.connect(root / "g.sqlite") as db:
        rows = db.execute("SELECT student, status, score, flags, notes FROM notebooks")
        return {r[0]: (r[1], r[2], json.loads(r[3]), " ".join(json.loads(r[4]))) for r in rows}


def _cells(root, student):
    with sqlite3.connect(root / "g.sqlite") as db:
        return dict(db.execute("SELECT grade_id, status FROM cells WHERE student = ?",
                               (student,)))


@pytest.fixture
def short_tmp():
    """A folder of this test's own with a short path (a socket's path holds 107 bytes)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bp-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_floods_cost_the_grader_no_memory_and_stop_at_the_budget(short_tmp, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    # each flood comes after the first test: graded as far as it got
    students = {
        "comm_flood": _with_cells({"sigmoid": SIGMOID}, [COMM_FLOOD]),
        "update_flood": _with_cells({"sigmoid": SIGMOID}, [UPDATE_FLOOD]),
        "cell_flood": _with_cells({"sigmoid": SIGMOID}, [CELL_FLOOD] * 150),
        "zz_honest": make.answered(CORRECT),  # graded after them all, in the same run
    }
    _course(short_tmp, students)
    # A kernel may hold what the grader has not read yet (on a loaded machine, most of
    # a flood): with room for all 600 MB of it, only the grader's budget can end it.
    code, said, peak = _grade(short_tmp, "--jobs", "1", "--memory", "4096")
    assert code == 0, said
    rows = _rows(short_tmp)
    assert rows["zz_honest"][:2] == ("graded", 5)
    for name in ("comm_flood", "update_flood", "cell_flood"):
        status, score, flags, notes = rows[name]
        assert (status, score) == ("graded", 2), (name, rows[name])
        assert "limit passed" in flags and "256 MB of output" in notes, (name, rows[name])
        assert _cells(short_tmp, name) == {"test_sigmoid": "passed", "test_layer": "not run"}
    # 600 MB sent by each flood: before, the grader grew from 65 MB to 700 MB. What a
    # kernel faster than the grader queues in it is MAX_QUEUED messages a channel, so
    # the peak is the same on a loaded machine.
    assert peak < 300, f"the grader's peak memory was {peak} MB"


def test_a_later_cell_cannot_rewrite_a_finished_tests_reports(short_tmp, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    _course(short_tmp, {"rewrites": _with_cells({"sigmoid": REWRITES_REPORT, "layer": LAYER},
                                               [REWRITE])})
    code, said, _ = _grade(short_tmp)
    assert code == 0, said
    assert _cells(short_tmp, "rewrites")["test_sigmoid"] == "failed"
    assert _rows(short_tmp)["rewrites"][1] == 0  # layer calls the broken sigmoid


def test_every_notebook_ends_with_a_row_and_what_a_kernel_leaves_stops_no_other(short_tmp, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    students = {
        # a poisoned work folder, then the kernel ends itself: the rest is graded afresh
        "poisons": _with_cells(CORRECT, [POISON]),
        "deep_display": _with_cells(CORRECT, [DEEP_DISPLAY]),
        # one message over the largest the grader reads: what follows it would be lost
        "one_huge_print": _with_cells(CORRECT, ["print('x' * 20_000_000)"]),
        "deep_file": _deep_file(100_000),
        "nested_file": _deep_file(200),  # decodes, but deeper than the grader reads
    }
    _course(short_tmp, students)
    code, said, _ = _grade(short_tmp, timeout=20)
    assert code == 0 and "0 not graded" in said, said
    rows = _rows(short_tmp)
    assert set(rows) == set(students)
    for name in ("poisons", "deep_display", "one_huge_print"):
        status, score, flags, _ = rows[name]
        assert (status, score) == ("graded", 5) and "cell crashed" in flags, (name, rows[name])
    for name in ("deep_file", "nested_file"):
        assert rows[name][0] == "malformed" and "deep" in rows[name][3], rows[name]


def test_a_kernel_that_does_not_start_is_a_crashed_cell(short_tmp, monkeypatch, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    start, tries = kernel._Kernel.start, []

    async def fails_once(self):
        tries.append(self)
        if len(tries) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return await start(self)

    monkeypatch.setattr(kernel._Kernel, "start", fails_once)
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("y = 2\nprint(y)")])
    runs = run_sync(run_notebook(nb, short_tmp, 1, timeout=60,
                                 deadline=time.monotonic() + 600))
    assert [(r.status, r.ename) for r in runs] == [("crashed", "Limit"), ("ok", "")]
    assert runs[0].evalue == "the kernel did not start" and len(tries) == 2


# Memory a sandbox holds outside any process: files in /dev/shm and memfds,
# each memfd under the file size limit (200 MB), together 1.5 GB.
SHM = '''import os
try:
    with open("/dev/shm/big", "wb") as f:
        for _ in range(1536):
            f.write(b"x" * 2**20)
    shm = "written"
except OSError as e:
    shm = type(e).__name__
'''
MEMFDS = '''import os, time
_fds = []
for _ in range(10):
    fd = os.memfd_create("big")
    for _ in range(150):
        os.write(fd, b"x" * 2**20)
    _fds.append(fd)
time.sleep(300)
'''


def test_memory_in_tmpfs_and_memfds_counts_without_a_cgroup(short_tmp, monkeypatch, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(sandbox, "make_cgroup", lambda *a: None)  # as a normal user
    nb = new_notebook(cells=[new_code_cell(SHM), new_code_cell("assert shm == 'OSError', shm"),
                             new_code_cell(MEMFDS), new_code_cell("after = 1")])
    runs = run_sync(run_notebook(nb, short_tmp, 1, timeout=600, limits=(1024, 200),
                                 deadline=time.monotonic() + 1800))
    # /dev/shm is 16 MB: the write fails, it is not silently kept
    assert runs[0].status == "ok" and runs[1].status == "ok"
    assert (runs[2].status, runs[2].ename) == ("crashed", "Limit"), runs[2]
    assert "more memory than allowed" in runs[2].evalue
    assert runs[3].status == "ok"


def test_the_dev_folder_is_read_only_and_shm_small(need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bp-", dir="/tmp") as folder:
        probe = ("import os\nfor p in ('/dev/x', '/dev/shm/x'):\n    try:\n"
                 "        open(p, 'wb').write(b'x' * 2**25)\n        print(p, 'written')\n"
                 "    except OSError as e:\n        print(p, e.errno)\n"
                 "s = os.statvfs('/dev/shm')\nprint(s.f_blocks * s.f_frsize)")
        done = subprocess.run(sandbox.command(Path(folder), 16) + [sys.executable, "-c", probe],
                               capture_output=True, text=True, timeout=120,
                               env={"PATH": os.defpath})
    import errno

    lines = done.stdout.split("\n")
    assert lines[0] == f"/dev/x {errno.EROFS}", done.stdout + done.stderr
    assert lines[1] == f"/dev/shm/x {errno.ENOSPC}"
    assert int(lines[2]) == sandbox.SHM_MB * 2**20


def _processes(what, keep):
    """The pids whose /proc file ``what`` (split at NUL bytes) passes ``keep``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / what).read_bytes().split(b"\0")
        except OSError:
            continue
        if keep(fields):
            found.append(proc.name)
    return found


def _processes_with(seed):
    """Processes of a grading run with ``seed``: launchers, sandboxes, kernels, their children."""
    return _processes("environ", lambda env: f"{kernel.SEED_VARIABLE}={seed}".encode() in env)


SLEEPS = "import time\ntime.sleep(600)\n" + SIGMOID


def test_nothing_outlives_a_grader_killed_with_its_group(short_tmp, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    _course(short_tmp, {name: make.answered({"sigmoid": SLEEPS, "layer": LAYER})
                       for name in ("ann", "ben", "cai")})
    seed = 700_000_000 + os.getpid()  # this test's own
    (short_tmp / "tmp").mkdir()
    grader = subprocess.Popen(
        [sys.executable, "-m", "bpinstructor.cli", "grade", str(short_tmp / "submissions"),
         "--solutions", str(short_tmp / "solutions"), "--gradebook", str(short_tmp / "g.sqlite"),
         "--timeout", "900", "--jobs", "3", "--seed", str(seed)],
        env=dict(os.environ, TMPDIR=str(short_tmp / "tmp")), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # midway: three students' kernels sleeping in their answers
        deadline = time.monotonic() + 600
        while len(_kernels(seed)) < 3 and time.monotonic() < deadline:
            assert grader.poll() is None, "the grader ended before it was killed"
            time.sleep(0.5)
        assert len(_kernels(seed)) >= 3
    finally:
        os.killpg(grader.pid, signal.SIGKILL)
        grader.wait(timeout=60)
    # Each sandbox dies with the grader at once; on a loaded machine reaping takes a while.
    deadline = time.monotonic() + 120
    while _processes_with(seed) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = _processes_with(seed)
    assert not left, [Path("/proc", p, "cmdline").read_bytes()[:200] for p in left]


def _kernels(seed):
    """The ipykernel processes among a run's processes."""
    found = []
    for pid in _processes_with(seed):
        try:
            if b"ipykernel" in Path("/proc", pid, "cmdline").read_bytes() and \
                    b"bwrap" not in Path("/proc", pid, "cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


# A stand-in grader that launches, as the grader does, a command whose own child
# has no parent-death signal (as a sandbox still being set up when bwrap dies),
# then waits to be killed.
COMMAND = "import os, time\nif os.fork() == 0:\n    time.sleep(600)\ntime.sleep(600)"
STAND_IN = f'''import os, subprocess, sys
from bpinstructor.grading import kernel
launch = [sys.executable, "-c", kernel._LAUNCH, "0", "200", "", str(os.getpid()),
          str(kernel._alive_fd()), sys.executable, "-c", {COMMAND!r}, sys.argv[1]]
subprocess.Popen(launch, pass_fds=(kernel._alive_fd(),), start_new_session=True)
print("launched", flush=True)
sys.stdin.read()
'''


def test_what_a_kernel_launch_starts_dies_with_the_grader():
    import uuid

    mark = uuid.uuid4().hex
    grader = subprocess.Popen([sys.executable, "-c", STAND_IN, mark], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert grader.stdout.readline() == "launched\n"
        deadline = time.monotonic() + 120
        while len(_running(mark)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_running(mark)) == 2  # the command and its child
    finally:
        grader.kill()
        grader.wait(timeout=60)
    deadline = time.monotonic() + 120
    while _running(mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(mark), "a process the launch started outlived the grader"


def _running(mark):
    """The processes running COMMAND with ``mark``."""
    return _processes("cmdline", lambda args: args[2:4] == [COMMAND.encode(), mark.encode()])
