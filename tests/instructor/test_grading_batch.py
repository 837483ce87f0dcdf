"""One grading run over a class of fake submissions: honest ones, and one
for each attack and fault the grader must withstand (reading, escaping,
writing, resources, malformed files and names, leaks). Each gets the right
score and status, and none affects the others: the honest students graded
in the same run get exactly their scores."""
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
def find_secrets(words, wide=True):
    import os, stat, sys
    import bplib
    project = os.path.dirname(os.path.dirname(os.path.abspath(bplib.__file__)))
    roots = {os.getcwd(), os.path.dirname(os.getcwd()), "solutions", "../solutions",
             "../../solutions", "../submissions", "../.."}
    if wide:  # in the sandbox: its environment, bplib's path and the usual places
        roots |= {project, "/work", "/home", "/root", "/srv", "/mnt", "/proc/1/cwd"}
        roots |= {v for v in os.environ.values() if os.path.isabs(v) and os.path.exists(v)}
    found = []
    for root in sorted(roots):
        if os.path.realpath(root) in ("/", "/tmp"):
            continue  # the private /tmp of the sandbox holds nothing of anyone's
        for folder, dirs, files in os.walk(root):
            # the Python installation is shown to every kernel on purpose
            dirs[:] = [d for d in dirs
                       if os.path.join(folder, d) not in (sys.prefix, sys.base_prefix)]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    if not stat.S_ISREG(os.stat(path).st_mode):
                        continue
                    with open(path, errors="ignore") as f:
                        text = f.read(5_000_000)
                except OSError:
                    continue
                if name.endswith(".ipynb") or any(w in text for w in words):
                    found.append(path)
    return found
'''


# What a student's code might learn from the processes it can see: the
# grader's command line, environment and folders.
PROC = '''
def read_processes():
    import os
    found = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    text = f.read().decode(errors="ignore")
            except OSError:
                continue
            if any(w in text for w in ("solutions", "submissions", "grades.sqlite")):
                found.append(f"/proc/{pid}/{what}")
        for link in ("cwd", "root"):
            try:
                names = os.listdir(f"/proc/{pid}/{link}")
            except OSError:
                continue
            if {"solutions", "submissions", "grades.sqlite"} & set(names):
                found.append(f"/proc/{pid}/{link}")
    for secret in ("/etc/shadow", "/etc/gshadow", "/etc/ssh"):
        try:  # files of the machine's that only root may read
            os.listdir(secret) if os.path.isdir(secret) and os.listdir(secret) else \
                open(secret).close()
            found.append(secret)
        except OSError:
            pass
    return found
'''


def _attack_read(token):
    return FIND + PROC + f'''
_found = find_secrets(["BEGIN HIDDEN", "BEGIN SOLUTION", "probe_rng().normal", "{token}"])
_found += read_processes()

def sigmoid(s):
    if _found:
        raise RuntimeError("found " + " ".join(_found))
    return 1.0 / (1.0 + np.exp(-s))
'''


def _attack_write(token):
    return '''import os, pathlib, sys
import bplib, bpcourse, numpy
PLANT = "raise SystemExit('planted')\\n"
here = os.path.dirname(os.path.abspath(bplib.__file__))
places = ["..", os.environ["HOME"], ".", here, os.path.dirname(here),
          os.path.dirname(os.path.abspath(bpcourse.__file__)),
          os.path.dirname(os.path.dirname(numpy.__file__)), "/work", "/tmp", "/usr/lib"]
try:
    places += [os.path.join("..", d) for d in os.listdir("..")]
except OSError:
    pass
for place in places:
    for name in ("numpy.py", "bplib.py", "IPython.py", "planted_%s.py"):
        if place not in (".", os.environ["HOME"]) and "planted" not in name:
            continue  # where it should fail, only a harmless name is tried
        try:
            pathlib.Path(place, name).write_text(PLANT)
        except OSError:
            pass

''' % token + SIGMOID

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
# 30 MB per call, in messages under the grader's largest (one larger is a crashed cell)
HUGE = ("def sigmoid(s):\n    for _ in range(15):\n        print('x' * 2_000_000, flush=True)\n"
        "    return 1.0 / (1.0 + np.exp(-s))")


# A child in a session of its own, meant to outlive its kernel and the grader.
def _attack_escape(token):
    return f'''import subprocess, sys
_child = subprocess.Popen([sys.executable, "-c",
                           "import time  # {token}-escaped\\ntime.sleep(300)"],
                          start_new_session=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

''' + SIGMOID


# Kill every process it may signal, for 30 s: other students' kernels included, were they visible.
KILL_OTHERS = '''import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import os, time\\nfor _ in range(300):\\n"
                  "    try:\\n        os.kill(-1, 9)\\n    except OSError:\\n        pass\\n"
                  "    time.sleep(0.1)"], start_new_session=True)
import time
time.sleep(2)

''' + SIGMOID

# Three children of 800 MB each: each under --memory 2048, together over it.
# They never end on their own, so only the memory limit can stop the test
# (graded with a long timeout: a loaded machine only makes it slower).
CHILDREN_MEMORY = '''import subprocess, sys

def sigmoid(s):
    kids = [subprocess.Popen([sys.executable, "-c",
                              "import time\\nb = b'x' * (800 * 2**20)\\ntime.sleep(3600)"])
            for _ in range(3)]
    for kid in kids:
        kid.wait()
    return 1.0 / (1.0 + np.exp(-s))'''

MANY_PROCESSES = '''import subprocess

def sigmoid(s):
    kids = [subprocess.Popen(["sleep", "3600"]) for _ in range(300)]
    for kid in kids:
        kid.wait()
    return 1.0 / (1.0 + np.exp(-s))'''

# Reports the grader must check before numpy sees them.
FAKE_REPORT = '''from IPython.display import display

def sigmoid(s):
    display({"%s": {"name": "sigmoid", "shape": %s, "value": %s}}, raw=True)
    return 1.0 / (1.0 + np.exp(-s))'''
HUGE_NUMBER = FAKE_REPORT % (MIME, "[5, 3]", "[10**400] * 15")
DEEP_ARRAY = FAKE_REPORT % (MIME, "[1] * 100", "[0.5]")

# The running test cell's source, smuggled out through an exception's class
# name, and through the names of reports.
LEAK_CLASS = '''def sigmoid(s):
    source = get_ipython().user_ns["In"][-1]
    raise type("E" + source.encode().hex(), (Exception,), {})(source)'''
LEAK_NAMES = '''from bpcourse.report import report

def sigmoid(s):
    source = get_ipython().user_ns["In"][-1]
    report(source.encode().hex(), 0.5)
    report(source, 0.5)
    return 1.0 / (1.0 + np.exp(-s))'''


def _raw(nb):
    """A notebook's file as bytes, \\uXXXX escapes kept (lone surrogates cannot be UTF-8)."""
    return json.dumps(nb, ensure_ascii=True).encode()


def _with_surrogate_id():
    nb = make.answered(CORRECT)
    cell = nbformat.v4.new_code_cell("extra = 1")
    cell.metadata["nbgrader"] = {"grade_id": "x\ud800", "grade": False, "solution": False,
                                 "locked": False, "schema_version": 3}
    nb.cells.append(cell)
    return _raw(nb)


# Submissions that are not regular files in a real folder: made in the fixture.
def _link_to_solution(folder, root):
    folder.mkdir()
    (folder / "layer.ipynb").symlink_to(root / "solutions" / "layer.ipynb")


def _link_to_other(folder, root):
    folder.mkdir()
    (folder / "layer.ipynb").symlink_to(root / "submissions" / "correct" / "layer.ipynb")


def _link_to_dev_zero(folder, root):
    folder.mkdir()
    (folder / "layer.ipynb").symlink_to("/dev/zero")


def _fifo(folder, root):
    folder.mkdir()
    os.mkfifo(folder / "layer.ipynb")


def _folder_link(folder, root):
    folder.symlink_to(root / "submissions" / "correct")


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


# A folder name that is not UTF-8 (Latin-1, as unzipped from an old archive),
# and how the gradebook shows it.
NON_UTF8 = b"l\xe9a"
NON_UTF8_SHOWN = "l\\xe9a"
HONEST = ["correct", "empty", "half", "wrong", NON_UTF8_SHOWN]


# student -> (notebook, raw bytes, a function making the folder, or None;
#             score, status, {grade_id: cell status}, words in feedback)
def _class(token):
    alone = {"layer": LAYER_ALONE}
    return {
        "correct": (make.answered(CORRECT), 5, "graded",
                    {"test_sigmoid": "passed", "test_layer": "passed"}, []),
        "empty": (make.student(), 0, "graded", {"test_sigmoid": "failed", "test_layer": "failed"},
                  ["not done yet"]),
        "half": (make.answered({"sigmoid": SIGMOID}), 2, "graded", {"test_layer": "failed"}, []),
        "wrong": (make.answered({"sigmoid": SIGMOID,
                                 "layer": "def layer(W, b, X):\n    return sigmoid(X @ W.T)"}),
                  2, "graded", {"test_layer": "failed"}, ["differ"]),
        "reads_solutions": (make.answered({"sigmoid": _attack_read(token), "layer": LAYER}), 5, "graded",
                            {"test_sigmoid": "passed"}, []),
        "writes_outside": (make.answered({"sigmoid": _attack_write(token), "layer": LAYER}), 5,
                           "graded", {}, []),
        "patches_allclose": (make.answered({"sigmoid": PATCH_ALLCLOSE, "layer": LAYER}), 0, "graded",
                             {"test_sigmoid": "failed"}, []),
        "liar": (make.answered({"sigmoid": LIAR, "layer": LAYER}), 0, "graded",
                 {"test_sigmoid": "failed"}, []),
        "fakes_output": (make.answered({"sigmoid": FAKE_OUTPUT, "layer": LAYER}), 0, "graded",
                         {"test_sigmoid": "failed"}, ["reported 3 times"]),
        "loops": (make.answered({"sigmoid": LOOP, **alone}), 3, "graded",
                  {"test_sigmoid": "timeout"}, ["limit"]),
        "swallows_interrupt": (make.answered({"sigmoid": SWALLOW, **alone}), 3, "graded",
                               {"test_sigmoid": "timeout"}, []),
        "exits": (make.answered({"sigmoid": EXIT, **alone}), 3, "graded",
                  {"test_sigmoid": "crashed"}, []),
        "segfaults": (make.answered({"sigmoid": SEGFAULT, **alone}), 3, "graded",
                      {"test_sigmoid": "crashed"}, []),
        "hogs_memory": (make.answered({"sigmoid": MEMORY, **alone}), 3, "graded", {"test_sigmoid": "failed"},
                        ["ran out of memory"]),
        "leaks_hidden": (make.answered({"sigmoid": LEAK, **alone}), 3, "graded", {"test_sigmoid": "failed"},
                         ["raised an error"]),
        "huge_output": (make.answered({"sigmoid": HUGE, "layer": LAYER}), 5, "graded", {}, []),
        "bad_json": (b'{"cells": [', 0, "malformed", {}, ["not valid JSON"]),
        "wrong_format": (b'{"nbformat": 5, "cells": []}', 0, "malformed", {}, ["nbformat 5"]),
        "deleted_test": (_edited(CORRECT, _delete_test), 5, "graded", {"test_layer": "passed"}, ["missing"]),
        "changed_locked": (_edited({"sigmoid": "def sigmoid(s):\n    return s", **alone}, _change_locked), 3,
                           "graded", {"test_sigmoid": "failed"}, ["edited"]),
        "duplicated": (_edited(CORRECT, _duplicate), 5, "graded", {}, ["more than once"]),
        "changed_types": (_edited(CORRECT, _change_types), 5, "graded", {}, ["markdown", "raw"]),
        "no_notebook": (None, 0, "missing", {}, ["No `layer.ipynb`"]),
        # reading: the grader's processes (see also reads_solutions)
        # escaping
        "escapes": (make.answered({"sigmoid": _attack_escape(token), "layer": LAYER}), 5, "graded",
                    {}, []),
        "kills_others": (make.answered({"sigmoid": KILL_OTHERS, **alone}), 3, "graded",
                         {"test_sigmoid": "failed"}, ["stopped the kernel"]),
        # resources (those only the watchdog ends are in RESOURCES)
        "huge_number": (make.answered({"sigmoid": HUGE_NUMBER, **alone}), 3, "graded",
                        {"test_sigmoid": "failed"}, ["too large for a float"]),
        "deep_array": (make.answered({"sigmoid": DEEP_ARRAY, **alone}), 3, "graded",
                       {"test_sigmoid": "failed"}, ["32 dimensions"]),
        # malformed files and names
        "link_to_solution": (_link_to_solution, 0, "malformed", {}, ["symbolic link"]),
        "link_to_other": (_link_to_other, 0, "malformed", {}, ["symbolic link"]),
        "link_to_dev_zero": (_link_to_dev_zero, 0, "malformed", {}, ["symbolic link"]),
        "fifo": (_fifo, 0, "malformed", {}, ["FIFO"]),
        "folder_link": (_folder_link, 0, "malformed", {}, ["folder is a symbolic link"]),
        "surrogate_source": (_raw(make.answered({"sigmoid": SIGMOID + "  # \ud800",
                                                  "layer": LAYER})), 5, "graded", {}, []),
        "surrogate_id": (_with_surrogate_id(), 5, "graded", {}, ["not part of this assignment"]),
        NON_UTF8_SHOWN: (make.answered(CORRECT), 5, "graded", {}, []),
        # leaks
        "leaks_class_name": (make.answered({"sigmoid": LEAK_CLASS, **alone}), 3, "graded",
                             {"test_sigmoid": "failed"}, ["raised an error"]),
        "leaks_report_names": (make.answered({"sigmoid": LEAK_NAMES, **alone}), 3, "graded",
                               {"test_sigmoid": "failed"}, ["does not ask for"]),
    }


def _folder(root, name):
    return root / "submissions" / (os.fsdecode(NON_UTF8) if name == NON_UTF8_SHOWN else name)


def _write_class(root, students):
    for name, (nb, *_) in students.items():
        folder = _folder(root, name)
        if callable(nb):
            (root / "submissions").mkdir(exist_ok=True)
            nb(folder, root)
            continue
        folder.mkdir(parents=True)
        if isinstance(nb, bytes):
            (folder / "layer.ipynb").write_bytes(nb)
        elif nb is not None:
            nbformat.write(nb, folder / "layer.ipynb")


def _course(root, token):
    """Solutions whose hidden tests hold ``token``."""
    solution = make.solution()
    solution.cells[make.cell(solution, "test_layer")].source = make.TEST_LAYER.replace(
        "### END HIDDEN TESTS", f"# {token}\n### END HIDDEN TESTS")
    (root / "solutions").mkdir()
    nbformat.write(solution, root / "solutions" / "layer.ipynb")


def _escaped(token):
    """Processes on this machine that a graded kernel started and left behind."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if f"{token}-escaped".encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded in one run of the command with two jobs, in its own TMPDIR."""
    import tempfile

    root = tmp_path_factory.mktemp("course")
    token = uuid.uuid4().hex  # in the hidden tests of this run only
    _course(root, token)
    students = _class(token)
    _write_class(root, students)
    before = {p.name for p in Path(__file__).parents[2].rglob(f"planted_{token}*")}
    (root / "tmp").mkdir()
    saved, tempfile.tempdir = tempfile.tempdir, str(root / "tmp")
    try:
        code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                     "--gradebook", str(root / "grades.sqlite"), "--feedback",
                     str(root / "feedback"), "--csv", str(root / "scores.csv"), "--jobs", "2",
                     "--timeout", "8", "--memory", "2048"])
    finally:
        tempfile.tempdir = saved
    assert not before
    return root, students, token, code


# student -> (sigmoid's source, words in feedback): attacks that never end on
# their own, graded with a cell timeout far beyond what they need to be caught.
RESOURCES = {
    "children_memory": (CHILDREN_MEMORY, "more memory than allowed"),
    "many_processes": (MANY_PROCESSES, "too many processes"),
}


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    root = tmp_path_factory.mktemp("resources")
    _course(root, uuid.uuid4().hex)
    _write_class(root, {name: (make.answered({"sigmoid": source, "layer": LAYER_ALONE}),)
                        for name, (source, _) in RESOURCES.items()})
    code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                 "--gradebook", str(root / "grades.sqlite"), "--feedback", str(root / "feedback"),
                 "--csv", str(root / "scores.csv"), "--timeout", "600", "--memory", "2048"])
    return root, code


@pytest.mark.parametrize("student", list(RESOURCES))
def test_the_watchdog_stops_what_passes_a_limit(resources, student):
    root, code = resources
    assert code == 0
    text = (root / "feedback" / f"{student}.md").read_text()
    assert _rows(root, f"SELECT score, status FROM notebooks WHERE student = '{student}'") == [
        (3, "graded")], text
    assert dict(_rows(root, f"SELECT grade_id, status FROM cells WHERE student = '{student}'")) == {
        "test_sigmoid": "crashed", "test_layer": "passed"}, text
    assert RESOURCES[student][1] in text
    row = next(r for r in (root / "scores.csv").read_text().splitlines() if r.startswith(student))
    assert "test crashed" in row


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
    if student in HONEST:  # graded beside every attack, they get exactly their due
        assert got_cells and all(c == "passed" for c in got_cells.values()) == (score == 5)
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
    encoded = [line.encode().hex() for line in hidden]
    for path in (root / "feedback").iterdir():
        text = path.read_text(encoding="utf-8")
        assert not [line for line in hidden + encoded if line in text], path.name
        assert "BEGIN" not in text and "Traceback" not in text and token not in text


def test_every_feedback_file_renders_without_markup_of_a_student(graded, need):
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return need(False, "markdown-it-py is missing (the test extra installs it)")
    root, *_ = graded
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    for path in (root / "feedback").iterdir():
        tokens = [t for b in md.parse(path.read_text(encoding="utf-8")) for t in [b] + (b.children or [])]
        kinds = {t.type for t in tokens}
        assert not kinds & {"html_inline", "html_block", "link_open", "image", "blockquote_open",
                            "ordered_list_open", "fence", "code_block", "s_open", "em_open"}, path.name
        assert [t.tag for t in tokens if t.type == "heading_open"] == ["h1", "h2"], path.name


def test_the_read_attack_would_have_worked_had_the_files_been_there(tmp_path, graded):
    root, _, token, _ = graded
    shutil.copytree(root / "solutions", tmp_path / "solutions")
    # two levels down, so that the attack's "../.." is this test's own folder
    student = tmp_path / "submissions" / "ann"
    student.mkdir(parents=True)
    space = {}
    exec(FIND, space)
    old = os.getcwd()
    try:
        os.chdir(student)
        found = space["find_secrets"]([token], wide=False)
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
    assert not list((root / "tmp").iterdir())


def test_nothing_escaped_and_nothing_was_written_outside(graded):
    root, students, token, _ = graded
    assert not _escaped(token)
    project = Path(__file__).parents[2]
    import numpy

    places = [project, project / "bplib", project / "bpcourse", Path(numpy.__file__).parents[1],
              root, root / "solutions", *(root / "submissions").iterdir()]
    planted = [p for place in places for p in place.glob("planted_*")]
    for p in planted:
        p.unlink()
    assert not planted
    assert nbformat.read(root / "solutions" / "layer.ipynb", 4).cells[-1].source.count(token) == 1
    # the raw bytes of a folder name are kept beside the name shown
    with sqlite3.connect(root / "grades.sqlite") as db:
        raw = db.execute("SELECT student_bytes FROM notebooks WHERE student = ?",
                         (NON_UTF8_SHOWN,)).fetchall()
    assert raw == [(NON_UTF8,)]


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


SHARDED = ["correct", "empty", "half", "wrong", NON_UTF8_SHOWN, "deleted_test", "surrogate_source",
           "link_to_solution"]


def _table(book, students):
    """The results of ``students`` in a gradebook, without when and how fast they were graded."""
    marks = ",".join("?" * len(students))
    with sqlite3.connect(book) as db:
        notebooks = db.execute(
            f"SELECT student, notebook, status, score, max_score, notes, flags, student_bytes "
            f"FROM notebooks WHERE student IN ({marks}) ORDER BY student", students).fetchall()
        cells = db.execute(
            f"SELECT student, notebook, grade_id, position, status, score, max_score, message "
            f"FROM cells WHERE student IN ({marks}) ORDER BY student, position",
            students).fetchall()
    return notebooks, cells


def test_a_class_graded_in_four_shards_merges_into_the_same_gradebook(graded, tmp_path):
    root, *_ = graded
    for name in SHARDED:
        shutil.copytree(_folder(root, name), tmp_path / "submissions" / _folder(root, name).name,
                        symlinks=True)
    base = [sys.executable, "-m", "bpinstructor.cli", "grade", str(tmp_path / "submissions"),
            "--solutions", str(root / "solutions"), "--timeout", "8", "--memory", "2048"]
    env = dict(os.environ, TMPDIR=str(root / "tmp"))  # short: the kernels' sockets live there
    # shard 3 takes its index from the variable a Kubernetes Indexed Job sets
    shards = [subprocess.Popen(base + ["--shard", f"{i}/4", "--gradebook", f"g{i}.sqlite"],
                               cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
              for i in range(3)]
    shards.append(subprocess.Popen(base + ["--shard", "4"], cwd=tmp_path, stderr=subprocess.PIPE,
                                   text=True, env=dict(env, JOB_COMPLETION_INDEX="3")))
    for shard in shards:
        assert shard.wait(timeout=600) == 0, shard.stderr.read()
    books = [tmp_path / f"g{i}.sqlite" for i in range(3)]
    books.append(tmp_path / "grades.shard-3-of-4.sqlite")
    sizes = [len(_table(b, SHARDED)[0]) for b in books]
    assert sum(sizes) == len(SHARDED) and max(sizes) == 2  # round robin: 2 each
    code = main(["grade", "merge", *map(str, books), "--gradebook", str(tmp_path / "all.sqlite"),
                 "--csv", str(tmp_path / "all.csv"), "--submissions", str(tmp_path / "submissions"),
                 "--solutions", str(root / "solutions")])
    assert code == 0
    assert _table(tmp_path / "all.sqlite", SHARDED) == _table(root / "grades.sqlite", SHARDED)
    lines = (root / "scores.csv").read_text(encoding="utf-8").splitlines()
    merged = (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines()
    assert merged == lines[:1] + [r for r in lines[1:] if r.split(",")[0] in SHARDED]

    # a row that two shards hold with different results is refused
    with sqlite3.connect(books[0]) as db:
        db.execute("UPDATE notebooks SET score = score + 1")
    with sqlite3.connect(root / "grades.sqlite") as db:
        graded_here = db.execute("SELECT score FROM notebooks").fetchall()
    code = main(["grade", "merge", str(books[0]), str(root / "grades.sqlite"),
                 "--gradebook", str(tmp_path / "other.sqlite"), "--submissions",
                 str(tmp_path / "submissions"), "--solutions", str(root / "solutions")])
    assert code == 2 and not (tmp_path / "other.sqlite").exists()
    with sqlite3.connect(root / "grades.sqlite") as db:
        assert db.execute("SELECT score FROM notebooks").fetchall() == graded_here
