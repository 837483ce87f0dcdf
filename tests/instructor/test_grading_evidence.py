"""What the submitted source holds against an answer, read by the grader.

Unit tests read source snippets put into the project's own notebooks (the
honest answers of every exercise give no finding; each evasion is found);
the end-to-end tests grade submissions with ``bplib grade`` and see each
evasion scored 0 or flagged, with the grader's reason in the feedback.
"""
import copy
import sqlite3
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make

from bpinstructor import cells
from bpinstructor.cli import main
from bpinstructor.grading import evidence, merge, sandbox
from bpinstructor.grading.grade import CellResult, NotebookResult

ROOT = Path(__file__).parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _solution(name):
    return nbformat.read(ROOT / "solutions" / name, as_version=4)


NB06, NB08 = "06_chain_rule.ipynb", "08_backprop_mlp.ipynb"


def findings(name, answers, added=None, solution=None):
    """The findings on the solution ``name`` with ``answers`` (grade_id -> source) put in.

    ``added``: the source of a cell the student added after the setup cell.
    """
    solution = solution or _solution(name)
    sub = copy.deepcopy(solution)
    for c in sub.cells:
        c.source = cells.student_version(c.source, c.cell_type)
        if cells.grade_id(c) in answers:
            c.source = answers[cells.grade_id(c)]
    if added is not None:
        sub.cells.insert(2, nbformat.v4.new_code_cell(added))
    nb, _ = merge.restore(solution, sub)
    return evidence.read(solution, nb)


def kinds(found):
    return {f.what: f for f in found}


# -- the honest corpus -------------------------------------------------------------------

def _answers(solution):
    """Every exercise's worked answer: the code between the solution markers, in its cell."""
    out = {}
    for c in solution.cells:
        if cells.kind(c) == "answer" and c.cell_type == "code":
            inner = cells.strip_cell(c.source)[1].solution
            assert inner, f"{cells.grade_id(c)} has no solution region"
            out[cells.grade_id(c)] = "\n".join(line for line in c.source.split("\n")
                                               if line.strip() not in cells.SOLUTION)
    return out


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_worked_answers_of_every_exercise_give_no_finding(path):
    solution = nbformat.read(path, as_version=4)
    answers = _answers(solution)
    assert answers
    assert findings(path.name, answers, solution=solution) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_notebooks_own_cells_give_no_finding_even_when_counted_as_the_students(path):
    solution = nbformat.read(path, as_version=4)
    nb, _ = merge.restore(solution, solution)
    bare = copy.deepcopy(solution)   # without its plain cells, every one of them is the student's
    bare.cells = [c for c in bare.cells if cells.kind(c) != "plain" or c.cell_type != "code"]
    assert evidence.editable(nb, bare)
    assert evidence.read(bare, nb) == []


def test_the_exercises_come_with_the_rules_their_hidden_tests_watch():
    from bpcourse import nb08

    by_test = {e.test: e for e in evidence.exercises(_solution(NB08))}
    # the pass is checked with the pieces it is built from
    assert by_test["nb08_backward_test"].answers == {"nb08_backward", "nb08_layer_backward",
                                                     "nb08_local"}
    assert by_test["nb08_backward_test"].rules is nb08.RULES
    assert by_test["nb08_layer_backward_test"].answers == {"nb08_layer_backward"}
    assert by_test["nb08_layer_backward_test"].rules is nb08.LAYER
    assert by_test["nb08_local_test"].rules is nb08.LOCAL and by_test["nb08_local_test"].methodical
    assert not by_test["nb08_backward_test"].methodical


# -- each evasion, in an answer -----------------------------------------------------------

BACKWARD = "def backward(net, trace, dl_dxL):\n    return {}"
EVASIONS = {
    "thread": ("import threading\ndef backward(net, trace, dl_dxL):\n    out = {}\n"
               "    t = threading.Thread(target=lambda: out.update(g=net.backward(trace, dl_dxL)))\n"
               "    t.start(); t.join()\n    return out['g']", "threads", True),
    "thread pool": ("from concurrent.futures import ThreadPoolExecutor as Pool\n"
                    "def backward(net, trace, dl_dxL):\n    with Pool() as p:\n"
                    "        return p.submit(helper, trace, dl_dxL).result()", "threads", True),
    "profiler off": ("import sys as s\ndef backward(net, trace, dl_dxL):\n    old = s.getprofile()\n"
                     "    s.setprofile(None)\n    g = helper(trace, dl_dxL)\n    s.setprofile(old)\n"
                     "    return g", "profiler", True),
    "threading profiler": ("from threading import setprofile as sp\nsp(None)", "profiler", True),
    "copied code": ("import inspect\nfrom bpcourse import nb08 as m\n"
                    "exec(inspect.getsource(m.backward))", "exec", True),
    "inspect alone": ("import inspect as i\nsrc = i.getsource(len)\n" + BACKWARD.format("None"),
                      "inspect", True),
    "code object": ("from bpcourse import nb08\ndef backward(net, trace, dl_dxL):\n    pass\n"
                    "backward.__code__ = nb08.backward.__code__.replace()", "code", True),
    "types.CodeType": ("import types\nc = types.CodeType", "code", True),
    "eval": ("f = eval('lambda net, t, d: net.backward(t, d)')", "exec", True),
    "compile": ("code = compile('x = 1', 'x', 'exec')", "exec", True),
    "importlib": ("import importlib\nm = importlib.import_module('bpcourse.' + 'nb08')", "import", True),
    "sys.modules": ("import sys\nm = sys.modules['bpcourse.report']", "import", True),
    "dunder import": ("m = __import__('bplib')", "import", True),
    "patched watch": ("import bpcourse.report, contextlib\n"
                      "bpcourse.report.watch = lambda *a: contextlib.nullcontext()", "patch", True),
    "patched watch by alias": ("from bpcourse import report as r\nr.watch = None", "patch", True),
    "patched watch by setattr": ("import bpcourse.report as r\nsetattr(r, 'watch', None)", "patch", True),
    "patched display": ("import IPython.display as D\nD.display = lambda *a, **k: None", "patch", True),
    "patched display from": ("from IPython import display\ndisplay.display = print", "patch", True),
    "patched library": ("from bplib.mlp import MLP\nMLP.backward = lambda *a: None", "patch", True),
    "rebound check": ("check = lambda *a: None", "patch", True),
    "input transformer": ("get_ipython().input_transformers_cleanup.append(lambda lines: lines)",
                          "ipython", True),
    "input transformer by alias": ("ip = get_ipython()\nip.input_transformers_post.append(str)",
                                   "ipython", True),
    "ast transformer": ("from IPython import get_ipython as g\ng().ast_transformers.append(None)",
                        "ipython", True),
    "events": ("get_ipython().events.register('pre_run_cell', print)", "ipython", True),
    "run_cell": ("get_ipython().run_cell('x = 1')", "exec", True),
    "display publisher": ("get_ipython().display_pub.publish = print", "ipython", True),
}


@pytest.mark.parametrize("case", list(EVASIONS))
def test_each_evasion_is_found_and_scores_the_exercise_0(case):
    source, what, zero = EVASIONS[case]
    found = kinds(findings(NB08, {"nb08_backward": source}))
    assert what in found, found
    f = found[what]
    assert f.flag == evidence.EVASION
    assert ("nb08_backward_test" in f.tests) == zero
    assert evidence.POLICY[what][0] in ("later", "zero")


def test_changes_to_the_kernels_own_objects_are_flagged_for_review():
    found = kinds(findings(NB08, {}, added="s = get_ipython().kernel.session\ns.pack = repr"))
    assert found["kernel"].flag == evidence.REVIEW and found["kernel"].tests == ()


def test_a_kernel_wide_evasion_scores_every_exercise_after_it_0():
    found = kinds(findings(NB08, {"nb08_output_weight": "import threading\n" + make.SIGMOID}))
    tests = found["threads"].tests
    assert tests[0] == "nb08_output_weight_test" and "nb08_backward_test" in tests
    # a cell the student added after the setup counts against every exercise
    found = kinds(findings(NB08, {}, added="import sys\nsys.settrace(None)"))
    every = [cells.grade_id(c) for c in _solution(NB08).cells if cells.kind(c) == "test"]
    assert list(found["profiler"].tests) == every and len(every) > 2


DELEGATIONS = {
    # notebook, answer, source, kind, scored 0
    "bplib's backward pass": (NB08, "nb08_backward", BACKWARD.format("net.backward(trace, dl_dxL)"),
                              "delegated", True),
    "by getattr": (NB08, "nb08_backward", BACKWARD.format("getattr(net, 'backward')(trace, dl_dxL)"),
                   "delegated", True),
    "the checks' reference": (NB08, "nb08_backward", "from bpcourse.nb08 import backward as b\n"
                              "def backward(net, trace, dl_dxL):\n    return b(net, trace, dl_dxL)",
                              "delegated", True),
    "lazy object": (NB08, "nb08_backward",
                    "class Grads:\n    def __init__(self, net, trace, d):\n"
                    "        self.net, self.trace, self.d = net, trace, d\n    @property\n"
                    "    def W(self):\n        return self.net.backward(self.trace, self.d).W\n"
                    "    @property\n"
                    "    def b(self):\n        return self.net.backward(self.trace, self.d).b\n"
                    "def backward(net, trace, dl_dxL):\n    return Grads(net, trace, dl_dxL)",
                    "delegated", True),
    "lazy object, unknown receiver": (NB08, "nb08_backward",
                                      "class G:\n    def __getattr__(self, k):\n"
                                      "        n, t, d = self.a\n"
                                      "        return getattr(n.backward(t, d), k)\n"
                                      "def backward(net, trace, dl_dxL):\n    g = G()\n"
                                      "    g.a = net, trace, dl_dxL\n    return g",
                                      "maybe delegated", False),
    "a bplib function the exercise does not list": (
        NB08, "nb08_local", "import bplib\n"
        "def local_derivative(name, s, x):\n    return bplib.activations.get(name)(s) * 0 + x",
        "unlisted", False),
    "a bplib method the exercise does not list": (
        NB08, "nb08_backward", BACKWARD.format("net.copy() and net.backward(trace, dl_dxL)"),
        "unlisted", False),
    "private helper": (NB08, "nb08_local",
                       "from bplib.activations import _dsigmoid_from_x as d\n"
                       "def local_derivative(name, s, x):\n    return d(x)", "private", True),
    "bplib's dl/ds step": (NB08, "nb08_backward", BACKWARD.format(
        "net.activation(1).backward(trace.s[1], trace.x[1], dl_dxL)"), "delegated", True),
    "bplib's sigma'": (NB08, "nb08_backward", BACKWARD.format(
        "net.activation(1).derivative(trace.s[1])"), "delegated", True),
    "the checks' layer step": (NB08, "nb08_layer_backward", "from bpcourse import nb08\n"
                               "def layer_backward(dl_ds, x_prev, W):\n"
                               "    return nb08.layer_backward(dl_ds, x_prev, W)", "delegated", True),
    "private attribute": (NB08, "nb08_backward",
                          BACKWARD.format("net._backward(trace, dl_dxL)"), "delegated", True),
    "Function.df": (NB08, "nb08_local", "def local_derivative(name, s, x):\n"
                    "    return bplib.activations.get(name).df(s)", "delegated", True),
    "df_from_x": (NB08, "nb08_local", "def local_derivative(name, s, x):\n"
                  "    return bplib.activations.get(name).df_from_x(x)", "delegated", True),
    "CrossEntropy.grad": (NB08, "nb08_softmax_ce", "def softmax_cross_entropy_delta(xL, y):\n"
                          "    return bplib.cross_entropy.grad(xL, y)", "delegated", True),
    "np.asarray strips a watched input": (NB08, "nb08_output_weight",
                                          "def output_weight_gradient(net, trace, y):\n"
                                          "    y = np.asarray(y)\n    return y", "stripped", False),
    ".tolist strips a watched input": (NB08, "nb08_hidden_weight",
                                       "def hidden_weight_gradient(net, trace, y):\n"
                                       "    return y.tolist()", "stripped", False),
    "sympy": (NB06, "nb06_df", "import sympy as sp\nX = sp.Symbol('x')\n"
              "F = sp.lambdify(X, sp.diff(sp.exp(sp.sin(X ** 2)), X), 'numpy')\n"
              "def df(x):\n    return F(x)", "autodiff", True),
    "sympy from": (NB06, "nb06_graph", "from sympy import diff as d\n"
                   "def graph_gradients(x, w):\n    return d", "autodiff", True),
    "complex step": (NB06, "nb06_df", "def df(x):\n    h = 1e-20\n"
                     "    return np.imag(np.exp(np.sin((x + 1j * h) ** 2))) / h", "complex", True),
    "complex()": (NB06, "nb06_df", "def df(x):\n    return complex(0, 1)", "complex", True),
    "graph's stored locals": (NB06, "nb06_graph", "from bplib import graph as g\n"
                              "def graph_gradients(x, w):\n    return g.nodes", "delegated", True),
    "bplib's engine for the student's": (NB06, "nb06_engine", "from bplib.graph import Value",
                                         "delegated", True),
    "an engine built on bplib's": (NB06, "nb06_engine", "import bplib.graph\n"
                                   "class Value(bplib.graph.Value):\n    pass", "delegated", True),
    "an engine by finite differences": (NB06, "nb06_engine", "class Value:\n"
                                        "    def __init__(self, data):\n"
                                        "        self.data, self.grad = data, 0.0\n"
                                        "    def backward(self):\n"
                                        "        self.grad = bplib.derivative(lambda t: t, self.data)",
                                        "delegated", True),
}


# A piece the backward pass is built from counts against the pass too.
BUILT_ON = {"nb08_local": ("nb08_backward_test",), "nb08_layer_backward": ("nb08_backward_test",)}


@pytest.mark.parametrize("case", list(DELEGATIONS))
def test_what_an_exercise_forbids_is_found(case):
    name, gid, source, what, zero = DELEGATIONS[case]
    found = kinds(findings(name, {gid: source}))
    assert what in found, found
    assert bool(found[what].tests) == zero
    if zero:
        assert found[what].tests == (gid + "_test",) + BUILT_ON.get(gid, ())


def test_a_students_own_nodes_with_grad_are_theirs():
    own = ("class Node:\n    def __init__(self, v):\n        self.v, self.grad = v, 0.0\n"
           "def graph_gradients(x, w):\n    n = Node(x)\n    n.grad = 2 * x\n"
           "    return {'x': n.grad}")
    found = kinds(findings(NB06, {"nb06_graph": own}))
    assert set(found) == {"maybe delegated"} and found["maybe delegated"].tests == ()
    bplibs = "def graph_gradients(x, w):\n    return {'x': x.grad}"
    assert kinds(findings(NB06, {"nb06_graph": bplibs}))["delegated"].tests == ("nb06_graph_test",)


def test_an_engine_that_is_the_answer_owns_its_grad_and_backward_steps():
    engine = _answers(_solution(NB06))["nb06_engine"]
    assert "._backward" in engine and ".grad" in engine
    assert findings(NB06, {"nb06_engine": engine}) == []
    # the engine's .grad is not the graph exercise's: there x.grad is still bplib's node's
    both = {"nb06_engine": engine, "nb06_graph": "def graph_gradients(x, w):\n    return {'x': x.grad}"}
    assert kinds(findings(NB06, both))["delegated"].tests == ("nb06_graph_test",)


def test_calling_the_network_is_its_forward_pass():
    source = "def forward(net, x):\n    return net(x)"
    found = kinds(findings("04_forward_pass.ipynb", {"nb04_forward": source}))
    assert "forward pass" in found["delegated"].name
    assert found["delegated"].tests == ("nb04_forward_test",)


def test_forbidden_calls_in_a_helper_of_another_cell_count_against_the_answer_that_uses_it():
    found = kinds(findings(NB08, {"nb08_backward": BACKWARD.format("helper(net, trace, dl_dxL)")},
                           added="def helper(net, t, d):\n    return net.backward(t, d)"))
    assert found["delegated"].tests == ("nb08_backward_test",)
    # the same call in a scratch cell no answer uses is the student's own comparison: no finding
    answers = _answers(_solution(NB08))
    assert findings(NB08, answers, added="g = net.backward(t, d)\nimport sympy\nz = 1j") == []


def test_importing_again_what_the_setup_cell_imports_is_no_finding():
    honest = _answers(_solution(NB08))["nb08_backward"]
    again = "import numpy as np\nimport bplib\nfrom bpcourse import check, nb08\n" + honest
    assert findings(NB08, {"nb08_backward": again}) == []
    found = kinds(findings(NB08, {"nb08_backward": "import numpy as nb08\n" + honest}))
    assert "nb08" in found["patch"].name and found["patch"].tests == ("nb08_backward_test",)
    found = kinds(findings(NB08, {}, added="f = __builtins__['ex' 'ec']"))
    assert "exec" in found


def test_sympy_and_complex_numbers_count_only_where_a_derivative_is_asked():
    nb01 = {"nb01_weight_shape": "import sympy\ndef weight_shape(sizes, l):\n"
                                 "    z = 1j\n    return (sizes[l], sizes[l - 1])"}
    assert findings("01_start_here.ipynb", nb01) == []


# -- cells the grader cannot read, and what it says ------------------------------------

def test_unreadable_cells_and_magics_do_not_crash_the_reading():
    found = kinds(findings(NB08, {"nb08_backward": "def backward(net, trace, dl_dxL:\n    return 1"}))
    assert set(found) == {"unreadable"} and found["unreadable"].tests == ()
    # %%time runs its body as the cell: what is in it is read
    found = kinds(findings(NB08, {"nb08_backward": "%%time\n" + BACKWARD.format(
        "net.backward(trace, dl_dxL)")}))
    assert found["delegated"].tests == ("nb08_backward_test",)
    found = kinds(findings(NB08, {}, added="%timeit -n1 import threading"))
    assert "threads" in found
    found = kinds(findings(NB08, {}, added="%run other.py\n!ls\nx?"))
    assert found["magic"].flag == evidence.REVIEW and found["magic"].tests == ()
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    assert {f.what for f in findings(NB08, {}, added=deep)} == {"unreadable"}
    # a statement Python reads but nested deeper than the grader follows hides nothing beside it
    found = kinds(findings(NB08, {}, added="y = x" + ".a" * 1000 + "\nimport threading"))
    assert found["unreadable"].tests == () and found["threads"].tests


def test_the_reason_is_the_graders_own_words():
    planted = "<img src=x onerror=alert(1)> **bold** [link](http://evil)"
    source = (f"import threading as t\nx = getattr(t, {planted!r})\n"
              f"y = getattr(t, '{planted}'[0:3])\n# {planted}")
    found = findings(NB08, {"nb08_backward": source})
    assert found
    for f in found:
        assert "<img" not in f.reason and "evil" not in f.reason and "bold" not in f.reason


def test_apply_scores_the_test_cells_0_and_flags_the_notebook():
    result = NotebookResult("s", "n.ipynb", "graded", max_score=6, cells=[
        CellResult("a_test", "passed", 2.0, 2.0), CellResult("b_test", "failed", 0.0, 4.0, "wrong")])
    found = [evidence.Finding("threads", 3, 2, "`threading`", ("a_test", "b_test")),
             evidence.Finding("magic", 4, 1, "magic %run")]
    evidence.apply(result, found)
    a, b = result.cells
    assert (a.status, a.score, b.score, result.score) == ("failed", 0.0, 0.0, 0.0)
    assert "threads or processes (`threading`)" in a.message and "code cell 4, line 2" in a.message
    assert b.message.endswith(" wrong") and "threads" in b.message
    assert result.flags == [evidence.EVASION, evidence.REVIEW]
    assert any("flagged for a look by hand" in n and "magic %run" in n for n in result.notes)


def test_the_reason_for_0_points_survives_a_long_message():
    from bpinstructor.grading.gradebook import MAX_TEXT, safe_text

    numbers = "`dW[1]`: 15 of 15 numbers differ from the expected values. " * 60
    result = NotebookResult("s", "n.ipynb", "graded", max_score=4,
                            cells=[CellResult("b_test", "failed", 0.0, 4.0, numbers)])
    evidence.apply(result, [evidence.Finding("delegated", 34, 6, "net.backward", ("b_test",))])
    kept = safe_text(result.cells[0].message)   # what the gradebook stores
    assert len(numbers) > MAX_TEXT and "net.backward" in kept and "0 points" in kept


# -- end to end: bplib grade --------------------------------------------------------------

FIXTURE = {
    # student -> (answers of the fixture course, flag, words of the reason)
    "honest": ({"sigmoid": "def sigmoid(s):\n    return 1.0 / (1.0 + np.exp(-s))",
                "layer": "def layer(W, b, X):\n    return sigmoid(X @ W.T + b)"}, None, None),
    "thread": ({"sigmoid": "import threading\ndef sigmoid(s):\n    out = []\n"
                           "    t = threading.Thread(target=lambda: out.append(1 / (1 + np.exp(-s))))\n"
                           "    t.start(); t.join()\n    return out[0]"}, evidence.EVASION, "threads"),
    "profiler_off": ({"sigmoid": "import sys\ndef sigmoid(s):\n    old = sys.getprofile()\n"
                                 "    sys.setprofile(None)\n    v = 1 / (1 + np.exp(-s))\n"
                                 "    sys.setprofile(old)\n    return v"}, evidence.EVASION, "profiler"),
    "copied_code": ({"sigmoid": "import inspect\nfrom bplib import activations\n"
                                "exec('def sigmoid(s):\\n    return 1 / (1 + np.exp(-s))')\n"
                                "src = inspect.getsource(activations)"}, evidence.EVASION,
                    "runs code from a string"),
    "patched_watch": ({"sigmoid": "import bpcourse.report, contextlib\n"
                                  "bpcourse.report.watch = lambda *a: contextlib.nullcontext()\n"
                                  "def sigmoid(s):\n    return 1 / (1 + np.exp(-s))"},
                      evidence.EVASION, "replaces `bpcourse.report.watch`"),
    "patched_display": ({"sigmoid": "import IPython.display\nkept = IPython.display.display\n"
                                    "IPython.display.display = lambda *a, **k: kept(*a, **k)\n"
                                    "def sigmoid(s):\n    return 1 / (1 + np.exp(-s))"},
                        evidence.EVASION, "replaces `IPython.display.display`"),
    "input_transformer": ({"sigmoid": "get_ipython().input_transformers_cleanup.append("
                                      "lambda lines: lines)\n"
                                      "def sigmoid(s):\n    return 1 / (1 + np.exp(-s))"},
                          evidence.EVASION, "changes how IPython runs the cells"),
    "private_helper": ({"sigmoid": "from bplib.activations import _sigmoid as sigmoid"},
                       evidence.ANSWER_DELEGATED, "private helper"),
}


def _rows(db, sql, *args):
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchall()


def grade_real(root, submissions, jobs=2):
    """Grade ``{student: (notebook, {grade_id: source})}``, each answered into the student version.

    The solutions of those notebooks go to ``root / "solutions"``; returns the gradebook.
    """
    (root / "solutions").mkdir()
    for name in {name for name, _ in submissions.values()}:
        nbformat.write(_solution(name), root / "solutions" / name)
    for student, (name, answers) in submissions.items():
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        for c in nb.cells:
            if cells.grade_id(c) in answers:
                c.source = answers[cells.grade_id(c)]
        (root / "submissions" / student).mkdir(parents=True)
        nbformat.write(nb, root / "submissions" / student / name)
    code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                 "--gradebook", str(root / "grades.sqlite"), "--feedback",
                 str(root / "feedback"), "--jobs", str(jobs), "--memory", "2048"])
    assert code == 0
    return root / "grades.sqlite"


@pytest.fixture(scope="module")
def fixture_course(tmp_path_factory):
    """The small course, every evasion of FIXTURE graded in one run."""
    root = tmp_path_factory.mktemp("evasions")
    (root / "solutions").mkdir()
    nbformat.write(make.solution(), root / "solutions" / "layer.ipynb")
    layer = FIXTURE["honest"][0]["layer"]
    for student, (answers, _, _) in FIXTURE.items():
        (root / "submissions" / student).mkdir(parents=True)
        nbformat.write(make.answered({"layer": layer, **answers}),
                       root / "submissions" / student / "layer.ipynb")
    return root


@pytest.mark.slow
def test_each_evasion_scores_0_with_the_graders_reason(fixture_course, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    root = fixture_course
    code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                 "--gradebook", str(root / "grades.sqlite"), "--feedback", str(root / "feedback"),
                 "--jobs", "2", "--timeout", "20", "--memory", "2048"])
    assert code == 0
    db = root / "grades.sqlite"
    for student, (_, flag, words) in FIXTURE.items():
        [(score, flags)] = _rows(db, "SELECT score, flags FROM notebooks WHERE student = ?", student)
        text = (root / "feedback" / f"{student}.md").read_text()
        if flag is None:
            assert score == 5 and evidence.EVASION not in flags, text
            continue
        assert flag in flags, (student, flags)
        cell = dict((g, (s, m)) for g, s, m in _rows(
            db, "SELECT grade_id, score, message FROM cells WHERE student = ?", student))
        assert cell["test_sigmoid"][0] == 0, (student, cell)
        assert words in cell["test_sigmoid"][1] and "0 points" in cell["test_sigmoid"][1], cell
        assert words.replace("`", "") in text.replace("`", "").replace("\\", ""), text


NB08_CASES = {
    # student -> (answers of notebooks/08, test cell, flag, words, scored 0)
    "lazy_object": ({"nb08_backward": DELEGATIONS["lazy object"][2]}, "nb08_backward_test",
                    evidence.ANSWER_DELEGATED, "net.backward", True),
    "stripped_array": ({"nb08_output_weight": _answers(_solution(NB08))["nb08_output_weight"].replace(
        "x1, x2 = trace.x[1], trace.x[2]", "x1, x2 = np.asarray(trace.x[1]), trace.x[2]\n"
        "    y = np.asarray(y)")}, "nb08_output_weight_test", evidence.REVIEW, "np.asarray", False),
    "thread": ({"nb08_backward": "import threading\ndef backward(net, trace, dl_dxL):\n    box = []\n"
                "    t = threading.Thread(target=lambda: box.append(net.backward(trace, dl_dxL)))\n"
                "    t.start(); t.join()\n    return box[0]"},
               "nb08_backward_test", evidence.EVASION, "threads", True),
}


@pytest.mark.slow
def test_evasions_in_a_real_notebook_score_0_or_are_flagged(tmp_path, need):
    need(sandbox.bwrap_path(), "bubblewrap (bwrap) is not installed")
    db = grade_real(tmp_path, {name: (NB08, answers) for name, (answers, *_) in NB08_CASES.items()},
                    jobs=3)
    for name, (_, test, flag, words, zero) in NB08_CASES.items():
        [(flags, notes)] = _rows(db, "SELECT flags, notes FROM notebooks WHERE student = ?", name)
        [(score, status, message)] = _rows(
            db, "SELECT score, status, message FROM cells WHERE student = ? AND grade_id = ?", name, test)
        assert flag in flags, (name, flags)
        if zero:
            assert score == 0 and words in message and "0 points" in message, (name, message)
        else:
            assert status == "passed" and words in notes, (name, status, notes)
