"""One grading run over a class of fake submissions: honest ones, and one
for each attack and fault the grader must withstand. Each gets the right
score and status, and none affects the others."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make

from bpinstructor.cli import main
from bpinstructor import cells
from bpcourse.report import MIME

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")]

SIGMOID = "def sigmoid(s):\n    return 1.0 / (1.0 + np.exp(-s))"
LAYER = "def layer(W, b, X):\n    return sigmoid(X @ W.T + b)"
# does not call sigmoid: a broken sigmoid leaves this exercise standing
LAYER_ALONE = "def layer(W, b, X):\n    return 1.0 / (1.0 + np.exp(-(X @ W.T + b)))"
CORRECT = {"sigmoid": SIGMOID, "layer": LAYER}

# What a student's code might search for the solutions, the hidden tests and
# other students' notebooks: its folder, the folders around it, its home and
# temporary folder, every path in its environment, and guessed relative paths.
FIND = '''
def find_secrets(words):
    import os
    roots = {os.getcwd(), os.path.dirname(os.getcwd()), os.environ.get("HOME", "."),
             os.environ.get("TMPDIR", ".")}
    roots |= {v for v in os.environ.values() if os.path.isabs(v) and os.path.exists(v)}
    roots |= {"solutions", "../solutions", "../../solutions", "../submissions", "../.."}
    found = []
    for root in sorted(roots):
        if os.path.realpath(root) in ("/", "/tmp"):
            continue  # a same-user search of the whole disk is out of scope (see README)
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    with open(path, errors="ignore") as f:
                        text = f.read(5_000_000)
                except OSError:
                    continue
                if name.endswith(".ipynb") or any(w in text for w in words):
                    found.append(path)
    return found
'''


def _attack_read(token):
    return FIND + f'''
_found = find_secrets(["BEGIN HIDDEN", "BEGIN SOLUTION", "probe_rng().normal", "{token}"])

def sigmoid(s):
    if _found:
        raise RuntimeError("found " + " ".join(_found))
    return 1.0 / (1.0 + np.exp(-s))
'''


WRITE_OUTSIDE = '''import os, pathlib
PLANT = "raise SystemExit('planted')\\n"
places = ["..", os.environ["HOME"], "."]
try:
    places += [os.path.join("..", d) for d in os.listdir("..")]
except OSError:
    pass
for place in places:
    for name in ("numpy.py", "bplib.py", "IPython.py"):
        try:
            pathlib.Path(place, name).write_text(PLANT)
        except OSError:
            pass

''' + SIGMOID

PATCH_ALLCLOSE = '''np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.array([True])
np.testing.assert_allclose = lambda *a, **k: None

def sigmoid(s):
    return s'''

LIAR = '''class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    def __sub__(self, other): return np.zeros(self.shape).view(Liar)
    __rsub__ = __sub__
    def __abs__(self): return np.zeros(self.shape).view(Liar)
    def __lt__(self, other): return np.ones(self.shape, bool)
    __le__ = __lt__
    def __float__(self): return 0.5

def sigmoid(s):
    return np.zeros_like(s).view(Liar)'''

FAKE_OUTPUT = '''from IPython.display import display
import json
display({"%s": {"name": "sigmoid", "shape": [5, 3], "value": [0.5] * 15},
         "text/plain": "reported sigmoid"}, raw=True)
print("reported sigmoid")

def sigmoid(s):
    display({"%s": {"name": "sigmoid", "shape": list(s.shape),
                    "value": [0.5] * s.size}}, raw=True)
    return np.full_like(s, 0.5)''' % (MIME, MIME)

LOOP = "def sigmoid(s):\n    while True:\n        pass"
SWALLOW = '''import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)

def sigmoid(s):
    while True:
        try:
            time.sleep(0.01)
        except KeyboardInterrupt:
            pass'''
EXIT = "import os\n\ndef sigmoid(s):\n    os._exit(1)"
SEGFAULT = "import ctypes\n\ndef sigmoid(s):\n    return ctypes.string_at(0)"
MEMORY = "def sigmoid(s):\n    return np.ones((2**40,))"
# the source of the running test cell is in the kernel's memory; try to
# smuggle it out through the error message that reaches the feedback
LEAK = "def sigmoid(s):\n    raise ValueError(get_ipython().user_ns['In'][-1])"
HUGE = "def sigmoid(s):\n    print('x' * 30_000_000)\n    return 1.0 / (1.0 + np.exp(-s))"


def _edited(answers, edit):
    nb = make.answered(answers)
    edit(nb)
    return nb


def _delete_test(nb):
    del nb.cells[make.cell(nb, "test_layer")]


def _change_locked(nb):
    nb.cells[make.cell(nb, "test_sigmoid")].source = "pass  # nothing to see"
    nb.cells[make.cell(nb, "setup")].source += "\nnp.allclose = lambda *a, **k: True"


def _duplicate(nb):
    copy_ = nbformat.from_dict(json.loads(json.dumps(nb.cells[make.cell(nb, "sigmoid")])))
    copy_.source = "def sigmoid(s):\n    return 0 * s"
    nb.cells.append(copy_)
    nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[make.cell(nb, "test_layer")]))))


def _change_types(nb):
    i = make.cell(nb, "layer")
    nb.cells[i] = nbformat.v4.new_markdown_cell(LAYER, metadata=nb.cells[i].metadata)
    j = make.cell(nb, "test_sigmoid")
    nb.cells[j] = nbformat.v4.new_raw_cell(nb.cells[j].source, metadata=nb.cells[j].metadata)


# student -> (notebook or raw bytes or None, score, status, {grade_id: cell status}, words in feedback)
def _class(token):
    alone = {"layer": LAYER_ALONE}
    return {
        "correct": (make.answered(CORRECT), 5, "graded", {"test_sigmoid": "passed", "test_layer": "passed"}, []),
        "empty": (make.student(), 0, "graded", {"test_sigmoid": "failed", "test_layer": "failed"},
                  ["not done yet"]),
        "half": (make.answered({"sigmoid": SIGMOID}), 2, "graded", {"test_layer": "failed"}, []),
        "wrong": (make.answered({"sigmoid": SIGMOID, "layer": "def layer(W, b, X):\n    return sigmoid(X @ W.T)"}),
                  2, "graded", {"test_layer": "failed"}, ["differ"]),
        "reads_solutions": (make.answered({"sigmoid": _attack_read(token), "layer": LAYER}), 5, "graded",
                            {"test_sigmoid": "passed"}, []),
        "writes_outside": (make.answered({"sigmoid": WRITE_OUTSIDE, "layer": LAYER}), 5, "graded", {}, []),
        "patches_allclose": (make.answered({"sigmoid": PATCH_ALLCLOSE, "layer": LAYER}), 0, "graded",
                             {"test_sigmoid": "failed"}, []),
        "liar": (make.answered({"sigmoid": LIAR, "layer": LAYER}), 0, "graded", {"test_sigmoid": "failed"}, []),
        "fakes_output": (make.answered({"sigmoid": FAKE_OUTPUT, "layer": LAYER}), 0, "graded",
                         {"test_sigmoid": "failed"}, ["reported 3 times"]),
        "loops": (make.answered({"sigmoid": LOOP, **alone}), 3, "graded", {"test_sigmoid": "timeout"}, ["limit"]),
        "swallows_interrupt": (make.answered({"sigmoid": SWALLOW, **alone}), 3, "graded",
                               {"test_sigmoid": "timeout"}, []),
        "exits": (make.answered({"sigmoid": EXIT, **alone}), 3, "graded", {"test_sigmoid": "crashed"}, []),
        "segfaults": (make.answered({"sigmoid": SEGFAULT, **alone}), 3, "graded", {"test_sigmoid": "crashed"}, []),
        "hogs_memory": (make.answered({"sigmoid": MEMORY, **alone}), 3, "graded", {"test_sigmoid": "failed"},
                        ["MemoryError"]),
        "leaks_hidden": (make.answered({"sigmoid": LEAK, **alone}), 3, "graded", {"test_sigmoid": "failed"},
                         ["ValueError", "[hidden test]"]),
        "huge_output": (make.answered({"sigmoid": HUGE, "layer": LAYER}), 5, "graded", {}, []),
        "bad_json": (b'{"cells": [', 0, "malformed", {}, ["not valid JSON"]),
        "wrong_format": (b'{"nbformat": 5, "cells": []}', 0, "malformed", {}, ["nbformat=5"]),
        "deleted_test": (_edited(CORRECT, _delete_test), 5, "graded", {"test_layer": "passed"}, ["missing"]),
        "changed_locked": (_edited({"sigmoid": "def sigmoid(s):\n    return s", **alone}, _change_locked), 3,
                           "graded", {"test_sigmoid": "failed"}, ["edited"]),
        "duplicated": (_edited(CORRECT, _duplicate), 5, "graded", {}, ["more than once"]),
        "changed_types": (_edited(CORRECT, _change_types), 5, "graded", {}, ["markdown", "raw"]),
        "no_notebook": (None, 0, "missing", {}, ["No `layer.ipynb`"]),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded in one run of the command with two jobs."""
    root = tmp_path_factory.mktemp("course")
    token = uuid.uuid4().hex  # in the hidden tests of this run only
    solution = make.solution()
    solution.cells[make.cell(solution, "test_layer")].source = make.TEST_LAYER.replace(
        "### END HIDDEN TESTS", f"# {token}\n### END HIDDEN TESTS")
    (root / "solutions").mkdir()
    nbformat.write(solution, root / "solutions" / "layer.ipynb")
    students = _class(token)
    for name, (nb, *_) in students.items():
        folder = root / "submissions" / name
        folder.mkdir(parents=True)
        if isinstance(nb, bytes):
            (folder / "layer.ipynb").write_bytes(nb)
        elif nb is not None:
            nbformat.write(nb, folder / "layer.ipynb")
    import tempfile

    (root / "tmp-before").write_text(
        " ".join(p.name for p in Path(tempfile.gettempdir()).glob("bplib-grade-*")))
    code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                 "--gradebook", str(root / "grades.sqlite"), "--feedback", str(root / "feedback"),
                 "--csv", str(root / "scores.csv"), "--jobs", "2", "--timeout", "8",
                 "--memory", "2048"])
    return root, students, token, code


def _rows(root, sql):
    with sqlite3.connect(root / "grades.sqlite") as db:
        return db.execute(sql).fetchall()


def test_the_run_succeeds(graded):
    root, students, _, code = graded
    assert code == 0
    assert len(_rows(root, "SELECT * FROM notebooks")) == len(students)


@pytest.mark.parametrize("student", list(_class("t")))
def test_each_submission_gets_its_score_and_status(graded, student):
    root, students, _, _ = graded
    _, score, status, cells, words = students[student]
    [(got_score, got_status)] = _rows(
        root, f"SELECT score, status FROM notebooks WHERE student = '{student}'")
    got_cells = dict(_rows(root, f"SELECT grade_id, status FROM cells WHERE student = '{student}'"))
    text = (root / "feedback" / f"{student}.md").read_text()
    assert (got_score, got_status) == (score, status), text
    for gid, want in cells.items():
        assert got_cells[gid] == want, text
    for word in words:
        assert word in text


def test_feedback_never_shows_the_hidden_tests(graded):
    root, _, token, _ = graded
    solution = nbformat.read(root / "solutions" / "layer.ipynb", 4)
    hidden = [line.strip() for c in solution.cells for line in cells.hidden_part(c.source)
              if len(line.strip()) > 4]
    assert token in " ".join(hidden)
    for path in (root / "feedback").iterdir():
        text = path.read_text()
        assert not [line for line in hidden if line in text], path.name
        assert "BEGIN" not in text and "Traceback" not in text


def test_the_read_attack_would_have_worked_had_the_files_been_there(tmp_path, graded):
    root, _, token, _ = graded
    shutil.copytree(root / "solutions", tmp_path / "solutions")
    space = {}
    exec(FIND, space)
    old = os.getcwd()
    try:
        os.chdir(tmp_path)
        found = space["find_secrets"]([token])
    finally:
        os.chdir(old)
    assert any(p.endswith("layer.ipynb") for p in found)


def test_flags_and_csv(graded):
    root, students, _, _ = graded
    rows = (root / "scores.csv").read_text().splitlines()
    assert rows[0] == "student,layer.ipynb,total,max_total,flags"
    by_name = {r.split(",")[0]: r for r in rows[1:]}
    assert set(by_name) == set(students)
    assert "output truncated" in by_name["huge_output"]
    assert "malformed" in by_name["bad_json"]
    assert "cell crashed" not in by_name["correct"] and by_name["correct"].endswith(",5,5,")
    assert "test crashed" in by_name["exits"] and "test timeout" in by_name["loops"]
    assert "cells repaired" in by_name["deleted_test"]


def test_no_work_folders_are_left(graded):
    root, *_ = graded
    before = set((root / "tmp-before").read_text().split())
    import tempfile

    now = {p.name for p in Path(tempfile.gettempdir()).glob("bplib-grade-*")}
    assert not now - before


def test_a_solution_that_fails_its_own_tests_stops_the_run(tmp_path, capsys):
    solution = make.solution()
    solution.cells[make.cell(solution, "sigmoid")].source = "def sigmoid(s):\n    return s"
    (tmp_path / "solutions").mkdir()
    nbformat.write(solution, tmp_path / "solutions" / "layer.ipynb")
    (tmp_path / "submissions" / "ann").mkdir(parents=True)
    nbformat.write(make.student(), tmp_path / "submissions" / "ann" / "layer.ipynb")
    code = main(["grade", str(tmp_path / "submissions"), "--solutions", str(tmp_path / "solutions"),
                 "--gradebook", str(tmp_path / "grades.sqlite"), "--timeout", "30"])
    assert code == 2
    assert "test_sigmoid" in capsys.readouterr().err
    assert not _rows(tmp_path, "SELECT * FROM notebooks")
