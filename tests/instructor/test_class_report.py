"""The class at a glance: named mistakes recognised by the grader, the report, the LMS exports.

A class of notebook 08 is graded end to end with students planted to make
known mistakes; the report's counts must equal what was planted, the
feedback must name the mistake, and nothing a student reports under the
mistakes' reserved names is counted or trusted.
"""
import copy
import csv
import html
import os
import re
import sqlite3
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from bpcourse.mistakes import EXERCISES, MISTAKES
from bpcourse.report import MISTAKE
from bpinstructor import cells
from bpinstructor.cli import main
from bpinstructor.grading import classreport, lms, verdict
from bpinstructor.grading.gradebook import Gradebook
from bpinstructor.grading.shards import combine, read

REPO = Path(__file__).resolve().parents[2]
NB = "08_backprop_mlp.ipynb"


# --- the planted class --------------------------------------------------------------------------

def _solution_sources():
    nb = nbformat.read(REPO / "solutions" / NB, as_version=4)
    return {cells.grade_id(c): c.source for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


SOLVED = _solution_sources()
HW, BW = SOLVED["nb08_hidden_weight"], SOLVED["nb08_backward"]
LB = SOLVED["nb08_layer_backward"]


def _replace(source, old, new):
    assert source.count(old) == 1, old   # the solution changed: plant the mistake anew
    return source.replace(old, new)


HW_NO_SIGMA1 = _replace(HW, "dW1[j, k] = total * x1[j] * (1 - x1[j]) * x0[k]",
                        "dW1[j, k] = total * x0[k]")
HW_LAST_PATH = _replace(HW, "total += ", "total = ")
BW_NO_SIGMA = _replace(BW, "dl_ds = local_derivative(sigma, trace.s[l - 1], trace.x[l - 1]) * dl_dx",
                       "dl_ds = dl_dx")
# the mean is taken in the layer step; the backward pass built on it carries it
LB_MEAN = _replace(_replace(LB, "dl_dW = dl_ds.T @ x_prev\n", "dl_dW = dl_ds.T @ x_prev / len(dl_ds)\n"),
                   "dl_db = dl_ds.sum(axis=0)", "dl_db = dl_ds.mean(axis=0)")
BW_SIGN = _replace(BW, "dl_ds = dl_dsL\n", "dl_ds = -dl_dsL\n")
_RIGHT = BW.replace("def backward(", "def _mine(")
BW_DOUBLE = _RIGHT + ("\ndef backward(net, trace, dl_dsL):\n"
                      "    g = _mine(net, trace, dl_dsL)\n"
                      "    return SimpleNamespace(W={l: 2 * w for l, w in g.W.items()}, b=g.b)\n")
# A student who reports under the mistakes' reserved names, with their own numbers as a
# mistake's values: never counted as an extra report, never trusted as a mistake's values.
# (Only on the small networks of the tests: the training cells call backward too.)
_FAKE = ("    from bpcourse.report import report\n"
         "    label = net.activation(net.L).name + (' batch' if trace.output.ndim == 2 else ' one sample')\n"
         "    for l in out.W if out.W[1].size <= 25 else []:\n"
         "        report(f'__mistake__:nb08.backward.bias_zero:{label} dW[{l}]', out.W[l])\n"
         "        report(f'__mistake__:nb08.backward.bias_zero:{label} db[{l}]', out.b[l])\n"
         "    return out\n")
BW_FAKE_RIGHT = _RIGHT + ("\ndef backward(net, trace, dl_dsL):\n"
                          "    out = _mine(net, trace, dl_dsL)\n" + _FAKE)
BW_FAKE_WRONG = _RIGHT + ("\ndef backward(net, trace, dl_dsL):\n"
                          "    g = _mine(net, trace, dl_dsL)\n"
                          "    out = SimpleNamespace(W={l: 2 * w for l, w in g.W.items()}, b=g.b)\n"
                          + _FAKE)
EVIL = "<img src=x onerror=alert(1)>|*"

# student -> the answers that differ from the solution (None: the notebook as handed out)
PLANTED = {
    "right_a": {},
    "sig1_a": {"nb08_hidden_weight": HW_NO_SIGMA1, "nb08_backward": BW_NO_SIGMA},
    "sig1_b": {"nb08_hidden_weight": HW_NO_SIGMA1, "nb08_backward": BW_SIGN},
    "sig1_c": {"nb08_hidden_weight": HW_NO_SIGMA1, "nb08_layer_backward": LB_MEAN},
    "faker": {"nb08_hidden_weight": HW_LAST_PATH, "nb08_backward": BW_FAKE_RIGHT},
    EVIL: {"nb08_backward": BW_NO_SIGMA},
    "faker_wrong": {"nb08_backward": BW_FAKE_WRONG},   # wrong, and no usual mistake
    "not_done": None,
}
# what the report must count, from the table above
WANT_MISTAKES = {
    "nb08_hidden_weight_test": {"nb08.hidden_weight.missing_sigma_prime_hidden": 3,
                                "nb08.hidden_weight.last_path_only": 1},
    "nb08_backward_test": {"nb08.backward.missing_sigma_prime": 2,
                           "nb08.backward.mean_not_sum": 1, "nb08.backward.wrong_sign": 1},
    "nb08_layer_backward_test": {"nb08.layer_backward.mean_not_sum": 1},
}
WANT_STATES = {
    "nb08_hidden_weight_test": {"done": 3, "not done": 1, "wrong": 4},
    "nb08_backward_test": {"done": 2, "not done": 1, "wrong": 5},
    "nb08_layer_backward_test": {"done": 6, "not done": 1, "wrong": 1},
    "nb08_output_weight_test": {"done": 7, "not done": 1, "wrong": 0},
}


def _notebook(answers):
    nb = nbformat.read(REPO / "notebooks" / NB, as_version=4)
    if answers is None:
        return nb
    for c in nb.cells:
        gid = cells.grade_id(c)
        if gid in SOLVED:
            c.source = answers.get(gid, SOLVED[gid])
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The planted class graded in one run, then ``bplib grade report`` with both exports."""
    from bpinstructor.grading import sandbox

    if not sandbox.bwrap_path():   # what the `need` fixture does, for a fixture of the module
        reason = "bubblewrap (bwrap) is not installed"
        pytest.fail(f"CI=true and {reason}") if os.environ.get("CI", "").lower() == "true" \
            else pytest.skip(reason)
    root = tmp_path_factory.mktemp("class")
    (root / "solutions").mkdir()
    (root / "solutions" / NB).write_bytes((REPO / "solutions" / NB).read_bytes())
    for student, answers in PLANTED.items():
        (root / "submissions" / student).mkdir(parents=True)
        nbformat.write(_notebook(answers), root / "submissions" / student / NB)
    code = main(["grade", str(root / "submissions"), "--solutions", str(root / "solutions"),
                 "--gradebook", str(root / "grades.sqlite"), "--feedback", str(root / "feedback"),
                 "--jobs", "4", "--memory", "2048", "--timeout", "300"])   # no timeout under load
    assert code == 0
    code = main(["grade", "report", str(root / "grades.sqlite"), "--out", str(root / "report"),
                 "--canvas", str(root / "canvas.csv"), "--moodle", str(root / "moodle.csv")])
    assert code == 0
    return root


# --- end to end ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_report_counts_what_was_planted(graded):
    notebooks, students = classreport.summarise(read(graded / "grades.sqlite"))
    assert [nb.name for nb in notebooks] == [NB] and len(students) == len(PLANTED)
    exercises = notebooks[0].exercises
    for gid, want in WANT_MISTAKES.items():
        assert dict(exercises[gid].mistakes) == want, gid
    others = set(exercises) - set(WANT_MISTAKES)
    assert not any(exercises[gid].mistakes for gid in others)
    for gid, want in WANT_STATES.items():
        assert {s: exercises[gid].states[s] for s in want} == want, gid


@pytest.mark.slow
def test_the_markdown_and_the_page_say_the_counts(graded):
    md = (graded / "report" / "report.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| `nb08_backward_test`"))
    assert "| 2 | 1 | 5 |" in row
    assert re.search(r"sigma' missing: 2; .*a mean where the lecture sums: 1", row)
    page = (graded / "report" / "report.html").read_text(encoding="utf-8")
    alts = [html.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', page)]
    chart = next(a for a in alts if a.startswith("Bar chart of the named mistakes in "
                                                  "nb08_hidden_weight_test"))
    assert "sigma'(s^(1)) missing: 3 students; one path of the fan-out: 1 student." in chart
    assert all(a.strip() for a in alts) and len(alts) >= 4


@pytest.mark.slow
def test_the_report_is_anonymous_unless_asked(graded):
    for name in ("report.html", "report.md"):
        text = (graded / "report" / name).read_text(encoding="utf-8")
        assert "student 1" in text
        assert not [s for s in ("not_done", "faker_wrong", "sig1_a", "right_a", "img src=x")
                    if s in text]
    assert main(["grade", "report", str(graded / "grades.sqlite"), "--out",
                 str(graded / "named"), "--names"]) == 0
    page = (graded / "named" / "report.html").read_text(encoding="utf-8")
    md = (graded / "named" / "report.md").read_text(encoding="utf-8")
    assert "not_done" in page and html.escape(EVIL) in page and EVIL not in page
    assert "`<img src=x onerror=alert(1)>\\|*`" in md   # a code span, | escaped in the table


@pytest.mark.slow
def test_the_feedback_names_the_mistake(graded):
    sig1 = (graded / "feedback" / "sig1_b.md").read_text(encoding="utf-8")
    assert "Your dl/dW^(1) equals the one without sigma'(s^(1))." in sig1
    assert "equals" not in (graded / "feedback" / "right_a.md").read_text(encoding="utf-8")
    assert "Your backward pass equals the one with every sign flipped." in sig1
    fake = (graded / "feedback" / "faker_wrong.md").read_text(encoding="utf-8")
    assert "does not ask for" not in fake and "equals" not in fake


@pytest.mark.slow
def test_reserved_reports_of_a_student_are_ignored(graded):
    book = Gradebook(graded / "grades.sqlite")
    try:
        faker = {c["grade_id"]: c for c in book.cells("faker", NB)}
        wrong = {c["grade_id"]: c for c in book.cells("faker_wrong", NB)}
    finally:
        book.close()
    assert faker["nb08_backward_test"]["status"] == "passed"
    assert faker["nb08_hidden_weight_test"]["mistakes"] == ["nb08.hidden_weight.last_path_only"]
    assert wrong["nb08_backward_test"]["status"] == "failed"
    assert wrong["nb08_backward_test"]["mistakes"] == []


@pytest.mark.slow
def test_a_merge_keeps_the_mistakes(graded, tmp_path):
    before = read(graded / "grades.sqlite")
    combine([graded / "grades.sqlite"], tmp_path / "merged.sqlite", set(before))
    after = read(tmp_path / "merged.sqlite")
    assert {k: [c["mistakes"] for c in v[1]] for k, v in after.items()} == \
        {k: [c["mistakes"] for c in v[1]] for k, v in before.items()}
    assert any(c["mistakes"] for _, cs in after.values() for c in cs)


@pytest.mark.slow
def test_the_lms_files_parse_by_their_rules(graded):
    scores = {s: r["score"] for (s, _), (r, _) in read(graded / "grades.sqlite").items()}
    _check_canvas(graded / "canvas.csv", scores)
    _check_moodle(graded / "moodle.csv", scores)


# --- the LMS files, by the rules each documents -------------------------------------------------

def _rows(path):
    """RFC 4180, UTF-8: every row as long as the header."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    return rows


def _check_canvas(path, scores):
    """Canvas: Student, ID, SIS User ID, SIS Login ID, Section, then assignments; a Points
    Possible row; each student named by SIS Login ID; scores are numbers."""
    header, points, *rows = _rows(path)
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == [NB.removesuffix(".ipynb")]
    assert points[0] == "Points Possible" and float(points[5]) > 0
    got = {r[3].removeprefix("'"): float(r[5]) for r in rows}
    assert got == pytest.approx(scores)


def _check_moodle(path, scores):
    """Moodle: a header row, a column that identifies the user, one per grade item."""
    header, *rows = _rows(path)
    assert header == ["Username", NB.removesuffix(".ipynb")]
    assert {r[0].removeprefix("'"): float(r[1]) for r in rows} == pytest.approx(scores)


# --- in the grader's process, without a kernel --------------------------------------------------

def _payload(name, value):
    import numpy as np

    a = np.asarray(value, dtype=float)
    return name, {"name": name, "shape": list(a.shape), "value": a.ravel().tolist()}


def test_a_wrong_answer_equal_to_a_mistake_is_named():
    mid = "nb08.hidden_weight.missing_sigma_prime_hidden"
    expected = [_payload("dW1", [1.0, 2.0]), _payload(f"{MISTAKE}{mid}:dW1", [3.0, 4.0]),
                _payload(f"{MISTAKE}nb08.hidden_weight.wrong_sign:dW1", [-1.0, -2.0]),
                _payload(f"{MISTAKE}no.such.mistake:dW1", [5.0, 6.0])]
    assert verdict.named(expected, [_payload("dW1", [3.0, 4.0 + 1e-9])]) == [mid]
    assert verdict.named(expected, [_payload("dW1", [5.0, 6.0])]) == []     # unknown id
    assert verdict.named(expected, [_payload("dW1", [1.0, 2.0])]) == []     # right: no mistake
    assert verdict.named(expected, [_payload("dW1", [3.0, 4.1])]) == []


def test_every_value_of_a_mistake_must_match_and_one_be_wrong():
    mid = "nb08.backward.mean_not_sum"
    expected = [_payload("one", [1.0]), _payload("batch", [4.0]),
                _payload(f"{MISTAKE}{mid}:one", [1.0]), _payload(f"{MISTAKE}{mid}:batch", [2.0])]
    assert verdict.named(expected, [_payload("one", [1.0]), _payload("batch", [2.0])]) == [mid]
    assert verdict.named(expected, [_payload("one", [0.5]), _payload("batch", [2.0])]) == []
    assert verdict.named(expected, [_payload("batch", [2.0])]) == []        # one not reported


def test_a_students_reserved_reports_are_neither_extra_nor_trusted():
    mid = "nb08.backward.wrong_sign"
    expected = [_payload("g", [1.0]), _payload(f"{MISTAKE}{mid}:g", [-1.0])]
    got = [_payload("g", [1.0]), _payload(f"{MISTAKE}{mid}:g", [1.0])]
    assert verdict.compare(verdict.plain(expected), verdict.plain(got)) == (True, [])
    forged = [_payload("g", [7.0]), _payload(f"{MISTAKE}nb08.backward.bias_zero:g", [7.0])]
    assert verdict.named(expected, forged) == []


def test_the_table_of_mistakes_is_well_formed():
    for ex in EXERCISES.values():
        assert ex.mistakes, ex.id
        for m in ex.mistakes:
            assert m.id.startswith(ex.id + ".") and m.name and m.what and callable(m.values)
    assert len(MISTAKES) == sum(len(e.mistakes) for e in EXERCISES.values())


def test_the_mistakes_give_the_values_of_the_answers_that_make_them():
    """Each planted answer, run here on the hidden test's inputs, equals its mistake's values."""
    import numpy as np

    import bplib
    from types import SimpleNamespace

    def define(source, name, *before):
        ns = {"np": np, "bplib": bplib, "SimpleNamespace": SimpleNamespace}
        for s in before + (source,):   # the cells it calls, as in the notebook
            exec(s, ns)
        return ns[name]

    rng = np.random.default_rng(3)
    net = bplib.MLP([3, 4, 2], sigma="sigmoid", seed=1)
    net.b[1], net.b[2] = rng.normal(size=4), rng.normal(size=2)
    trace, y = net.forward(rng.normal(size=3)), rng.uniform(0, 1, size=2)
    ex = EXERCISES["nb08.hidden_weight"]
    for source, key in ((HW_NO_SIGMA1, "missing_sigma_prime_hidden"),
                        (HW_LAST_PATH, "last_path_only")):
        got = define(source, "hidden_weight_gradient")(net, trace, y)
        want = next(m for m in ex.mistakes if m.id.endswith(key)).values(net, trace, y)
        assert np.allclose(got, want)
    deep = bplib.MLP([3, 5, 4, 2], sigma="tanh", output_sigma="softmax", seed=2)
    X = rng.normal(size=(6, 3))
    tr = deep.forward(X)
    g = rng.normal(size=tr.output.shape)
    ex = EXERCISES["nb08.backward"]
    pieces = (SOLVED["nb08_local"], LB)
    for source, key, before in ((BW_NO_SIGMA, "missing_sigma_prime", pieces),
                                (BW, "mean_not_sum", (SOLVED["nb08_local"], LB_MEAN)),
                                (BW_SIGN, "wrong_sign", pieces)):
        got = ex.reports(define(source, "backward", *before)(deep, tr, g.copy()), "batch")
        want = ex.reports(next(m for m in ex.mistakes if m.id.endswith(key)).values(deep, tr, g),
                          "batch")
        assert all(np.allclose(a, b) for (_, a), (_, b) in zip(got, want)), key


# --- the report from a gradebook, without grading -----------------------------------------------

def _class():
    """{(student, notebook): (row, cells)} of a small class, as ``shards.read`` returns it."""
    def cell(gid, status, score, mistakes=(), message=""):
        return {"grade_id": gid, "status": status, "score": score, "max_score": 2.0,
                "message": message, "detail": "", "mistakes": list(mistakes)}

    def row(student, cs, flags=()):
        return ({"student": student, "notebook": NB, "status": "graded",
                 "score": sum(c["score"] for c in cs), "max_score": 4.0, "notes": [],
                 "flags": list(flags), "seed": 1, "seconds": 3.0, "graded_at": ""}, cs)

    sig = "nb08.hidden_weight.missing_sigma_prime_hidden"
    return {
        ("ann", NB): row("ann", [cell("a", "passed", 2), cell("b", "passed", 2)]),
        ("bo", NB): row("bo", [cell("a", "failed", 0, [sig]), cell("b", "passed", 2)]),
        ("cy", NB): row("cy", [cell("a", "failed", 0, [sig]),
                               cell("b", "failed", 0, message="not done yet (...)")],
                        ["test crashed"]),
        (EVIL, NB): row(EVIL, [cell("a", "failed", 0), cell("b", "crashed", 0)],
                        ["test crashed", "answer delegated to bplib"]),
    }


def test_the_summary_of_a_small_class():
    notebooks, students = classreport.summarise(_class())
    nb = notebooks[0]
    assert Counter(nb.scores) == {4.0: 1, 2.0: 1, 0.0: 2}
    assert nb.exercises["a"].states == {"done": 1, "wrong": 3}
    assert nb.exercises["b"].states == {"done": 2, "not done": 1, "wrong": 1}
    assert nb.exercises["a"].mistakes == {"nb08.hidden_weight.missing_sigma_prime_hidden": 2}
    assert nb.flags == {"test crashed": 2, "answer delegated to bplib": 1}
    assert [s[0] for s in classreport.need_help(students, 2)] == [EVIL, "cy"]


def test_student_text_is_escaped_in_the_page_and_the_summary():
    results = _class()
    flag = "<script>alert(1)</script> [x](http://e.org) **b**"
    results[("ann", NB)][0]["flags"] = [flag]
    page = classreport.page(results, names=True)
    assert "<script>" not in page and EVIL not in page and html.escape(EVIL) in page
    md = classreport.markdown(results, names=True)
    assert "<script>" not in md.replace("\\<script\\>", "") and "[x](http" not in md
    assert "**b**" not in md


def test_an_old_gradebook_without_mistakes_is_read(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE notebooks (student TEXT, notebook TEXT, status TEXT, score REAL,
            max_score REAL, notes TEXT, flags TEXT, seed INTEGER, seconds REAL, graded_at TEXT);
        CREATE TABLE cells (student TEXT, notebook TEXT, grade_id TEXT, position INTEGER,
            status TEXT, score REAL, max_score REAL, message TEXT);
        INSERT INTO notebooks VALUES ('ann', 'a.ipynb', 'graded', 1, 2, '[]', '[]', 1, 2.0, '');
        INSERT INTO cells VALUES ('ann', 'a.ipynb', 't', 0, 'failed', 0, 1, 'wrong');""")
    db.commit()
    db.close()
    results = read(path)
    assert results[("ann", "a.ipynb")][1][0]["mistakes"] == []
    assert "| `t` | 0 | 0 | 1 |" in classreport.markdown(results)
    book = Gradebook(path)   # opening it to write adds the column
    try:
        assert book.cells("ann", "a.ipynb")[0]["mistakes"] == []
    finally:
        book.close()


def test_the_report_command_refuses_what_is_no_gradebook(tmp_path, capsys):
    (tmp_path / "x.sqlite").write_text("not a database")
    assert main(["grade", "report", str(tmp_path / "none.sqlite")]) == 2
    assert main(["grade", "report", str(tmp_path / "x.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "no gradebook at" in err and "not a gradebook" in err and "Traceback" not in err
    assert main(["grade", str(tmp_path), "--names"]) == 2
    assert "go with `bplib grade report`" in capsys.readouterr().err


def test_lms_files_of_a_small_class(tmp_path):
    results = _class()
    lms.write_canvas(results, tmp_path / "c.csv")
    lms.write_moodle(results, tmp_path / "m.csv")
    scores = {s: r["score"] for (s, _), (r, _) in results.items()}
    _check_canvas(tmp_path / "c.csv", scores)
    _check_moodle(tmp_path / "m.csv", scores)



# --- the table against the course's own wrong answers -------------------------------------------

# (function, misconception in tests/course/wrong_answers.py) -> the mistake it makes
COURSE = {
    ("forward", "the biases are missing"): "nb04.forward.missing_bias",
    ("forward", "sigma after the bias"): "nb04.forward.bias_after_sigma",
    ("forward", "the hidden sigma on the output layer too"): "nb04.forward.hidden_sigma_on_output",
    ("forward", "returns s^(L)"): "nb04.forward.returns_s",
    ("forward", "transposed W"): "nb04.forward.w_transposed",
    ("jacobian_sin_linear", "the factors in the wrong order"): "nb07.sin_linear.wrong_order",
    ("jacobian_sin_linear", "A^T for A"): "nb07.sin_linear.a_transposed",
    ("jacobian_sin_linear", "sin for cos"): "nb07.sin_linear.sin_for_cos",
    ("jacobian_sin_linear", "J_sin taken at A x, b forgotten"): "nb07.sin_linear.b_forgotten",
    ("jacobian_sin_linear", "J_sin taken at x"): "nb07.sin_linear.at_x",
    ("jacobian_sin_linear", "only J_linear"): "nb07.sin_linear.only_linear",
    ("jacobian_sin_linear", "sign error"): "nb07.sin_linear.wrong_sign",
    ("output_weight_gradient", "sigma' left out"): "nb08.output_weight.missing_sigma_prime",
    ("output_weight_gradient", "sigma' taken at x instead of s"):
        "nb08.output_weight.sigma_prime_at_x",
    ("output_weight_gradient", "y - x for x - y"): "nb08.output_weight.wrong_sign",
    ("output_weight_gradient", "x^0_k for x^1_k (off by one layer)"):
        "nb08.output_weight.input_of_network",
    ("hidden_weight_gradient", "only the last output neuron's path (= for +=)"):
        "nb08.hidden_weight.last_path_only",
    ("hidden_weight_gradient", "w^2_ji for w^2_ij"): "nb08.hidden_weight.w_transposed",
    ("hidden_weight_gradient", "sigma'(s^1_j) left out"):
        "nb08.hidden_weight.missing_sigma_prime_hidden",
    ("hidden_weight_gradient", "sigma'(s^2_i) left out of each path"):
        "nb08.hidden_weight.missing_sigma_prime_output",
    ("hidden_weight_gradient", "sigma' taken at x in both layers"):
        "nb08.hidden_weight.sigma_prime_at_x",
    ("hidden_weight_gradient", "sigma'(x^1_j) for sigma'(s^1_j)"):
        "nb08.hidden_weight.sigma_prime_at_x_hidden",
    ("hidden_weight_gradient", "y - x for x - y"): "nb08.hidden_weight.wrong_sign",
    ("hidden_weight_gradient", "x^1_k for x^0_k"): "nb08.hidden_weight.x1_for_x0",
    ("layer_backward", "W where W^T belongs"): "nb08.layer_backward.w_not_transposed",
    ("layer_backward", "W^T @ dl_ds on a batch: the columns taken for samples"):
        "nb08.layer_backward.columns_for_rows",
    ("layer_backward", "the outer product the wrong way round"):
        "nb08.layer_backward.outer_reversed",
    ("layer_backward", "the mean over the batch"): "nb08.layer_backward.mean_not_sum",
    ("layer_backward", "db = 0"): "nb08.layer_backward.bias_zero",
    ("layer_backward", "the wrong sign"): "nb08.layer_backward.wrong_sign",
    ("backward", "sigma' forgotten"): "nb08.backward.missing_sigma_prime",
    ("backward", "s and x swapped in the call of local_derivative"):
        "nb08.backward.local_arguments_swapped",
    ("backward", "layer l's sigma' for layer l-1's"): "nb08.backward.sigma_prime_of_next_layer",
    ("backward", "sigma'(s^(L)) applied again to delta^(L)"):
        "nb08.backward.output_sigma_prime_again",
    ("backward", "x^(l) for x^(l-1) in dW"): "nb08.backward.x_of_this_layer",
    ("backward", "its own layer_backward takes the mean over the batch"):
        "nb08.backward.mean_not_sum",
    ("backward", "the wrong sign"): "nb08.backward.wrong_sign",
    ("trace_floats", "x^(0) left out"): "nb09.trace_floats.no_input",
    ("trace_floats", "s^(l) left out"): "nb09.trace_floats.no_s",
    ("trace_floats", "one sample: N left out"): "nb09.trace_floats.one_sample",
    ("trace_floats", "bytes for floats"): "nb09.trace_floats.bytes",
    ("trace_floats", "the parameters counted"): "nb09.trace_floats.parameters",
    ("trace_floats", "s^(L) of the output layer left out"): "nb09.trace_floats.s_only_hidden",
    ("zero_gradient_entries", "only the inputs that are 0 (BP4's x^(l-1)_k)"):
        "nb09.zero_entries.columns_only",
    ("zero_gradient_entries", "only the neurons switched off (sigma'(s^l_j) = 0)"):
        "nb09.zero_entries.rows_only",
    ("zero_gradient_entries", "and for or"): "nb09.zero_entries.both",
    ("zero_gradient_entries", "relu's rows on every layer, the output layer too"):
        "nb09.zero_entries.relu_rows_everywhere",
    ("saturation_ratio", "sigma'(s) alone"): "nb09.saturation.sigma_prime",
    ("saturation_ratio", "upside down"): "nb09.saturation.inverse",
    ("saturation_ratio", "sigma for sigma'"): "nb09.saturation.sigma",
    ("saturation_ratio", "divided by sigma(0)"): "nb09.saturation.over_sigma",
    ("saturation_ratio", "the tails' approximation 4 e^-|s|"): "nb09.saturation.tail",
    ("output_deltas", "sigma' left out of the quadratic loss's delta"):
        "nb09.output_deltas.quadratic_no_sigma_prime",
    ("output_deltas", "the cross-entropy's delta taken as the quadratic's"):
        "nb09.output_deltas.ce_with_sigma_prime",
    ("output_deltas", "the cross-entropy's dl/dx^(L) for its delta"):
        "nb09.output_deltas.ce_dl_dx",
    ("output_deltas", "notebook 08's softmax cross-entropy on a sigmoid output"):
        "nb09.output_deltas.ce_softmax_form",
    ("output_deltas", "y - x for x - y"): "nb09.output_deltas.wrong_sign",
    ("output_deltas", "the pair swapped"): "nb09.output_deltas.swapped",
    ("output_deltas", "sigma' taken at x^(L)"): "nb09.output_deltas.sigma_prime_at_x",
}


def _course_answers():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "course_wrong_answers", REPO / "tests" / "course" / "wrong_answers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {(w.exercise, w.misconception): w.source for w in module.ANSWERS}


def _inputs(exercise, rng):
    """Inputs like the hidden test's, on square layers (where W for W^T runs): a list of calls."""
    import bplib

    if exercise == "nb09.trace_floats":
        return [(([5, 12, 7, 3], 40), "floats 0"), (([9, 4], 1), "floats 1")]
    if exercise == "nb09.zero_entries":
        net = bplib.MLP([5, 6, 4, 3], sigma="relu", output_sigma="identity", seed=2)
        x = rng.normal(size=5)
        x[[0, 3]] = 0.0
        trace = net.forward(x)
        return [((net, trace, l), f"mask[{l}]") for l in range(1, net.L + 1)]
    if exercise == "nb09.saturation":
        return [((rng.uniform(-10, 10, size=6),), "ratio")]
    if exercise == "nb09.output_deltas":
        xL = bplib.sigmoid(rng.uniform(-8, 8, size=(4, 3)))
        return [((xL, rng.integers(0, 2, size=(4, 3)).astype(float)), "delta")]
    if exercise == "nb04.forward":
        net = bplib.MLP([3, 3, 3], sigma=bplib.tanh, output_sigma=bplib.sigmoid, seed=4)
        for l in (1, 2):
            net.b[l] = rng.normal(size=3)
        return [((net, rng.normal(size=3)), "forward")]
    if exercise == "nb07.sin_linear":
        return [((rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)), "jacobian")]
    if exercise == "nb08.layer_backward":   # square, N = d_l: the columns taken for samples run
        W = rng.normal(size=(3, 3))
        return [((rng.normal(size=3), rng.normal(size=3), W), "one sample"),
                ((rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), W), "batch")]
    if exercise == "nb08.backward":   # the hidden test's softmax output, and an element-wise one
        calls = []
        for net in (bplib.MLP([3, 3, 3, 3], sigma="tanh", output_sigma="softmax", seed=5),
                    bplib.MLP([3, 3, 3, 3], sigma="tanh", output_sigma="sigmoid", seed=5)):
            for label, x in (("one sample", rng.normal(size=3)),
                             ("batch", rng.normal(size=(6, 3)))):
                trace = net.forward(x)
                calls.append(((net, trace, rng.normal(size=trace.output.shape)), label))
        return calls
    net = bplib.MLP([3, 3, 3], sigma="sigmoid", seed=6)
    net.b[1], net.b[2] = rng.normal(size=3), rng.normal(size=3)
    return [((net, net.forward(rng.normal(size=3)), rng.uniform(0, 1, size=3)), "d")]


@pytest.mark.parametrize("answer", sorted(COURSE), ids=lambda a: f"{a[0]}: {a[1]}")
def test_a_course_wrong_answer_gives_its_mistakes_values(answer):
    """The course's wrong answer, run here, reports what its mistake's values say it would."""
    import numpy as np

    import bplib
    from types import SimpleNamespace

    source = _course_answers()[answer]
    ns = {"np": np, "bplib": bplib, "SimpleNamespace": SimpleNamespace}
    for piece in ("nb08_local", "nb08_layer_backward"):   # the cells 08's backward pass calls
        exec(SOLVED[piece], ns)
    exec(source, ns)
    fn = ns[answer[0]]
    mistake = MISTAKES[COURSE[answer]]
    exercise = EXERCISES[mistake.id.rsplit(".", 1)[0]]
    compared = 0
    for args, label in _inputs(exercise.id, np.random.default_rng(7)):
        try:   # where the answer raises (W for W^T on a batch) there is nothing to name
            got = exercise.reports(fn(*[copy.deepcopy(a) for a in args]), label)
        except Exception:
            continue
        try:
            want = exercise.reports(mistake.values(*args), label)
        except ValueError:   # a mistake that cannot run here (softmax has no sigma' of its own)
            continue
        assert [n for n, _ in got] == [n for n, _ in want]
        for (name, a), (_, b) in zip(got, want):
            assert np.shape(a) == np.shape(b) and np.allclose(a, b), name
        compared += 1
    assert compared
