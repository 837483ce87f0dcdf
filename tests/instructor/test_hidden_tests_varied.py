"""The hidden tests of notebooks 01-05 and 07 tell every wrong answer of the course's table apart.

Each hidden test runs here as the grader runs it (its reports read in place of
the kernel's display), once with the worked answer and once with each wrong
answer of ``wrong_answers.py``, with the grader's own comparison
(``bpinstructor.grading.verdict``): a wrong answer, among them those right only
for L = 2, m = 3, N = 3, narrowing sizes or one network's activations, must not
pass, and the usual mistakes listed here must be named.
"""
import linecache
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import bplib
from bpcourse import nb01, nb02, nb03, nb04, nb05, nb07
from bpcourse.report import MIME
from bpinstructor import cells
from bpinstructor.grading import verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "course"))  # the course's tables
from solution_cells import SOLUTIONS  # noqa: E402
from wrong_answers import ANSWERS  # noqa: E402

# function -> (notebook, answer cell, test cell)
CELLS = {
    "weight_shape": ("01_start_here", "nb01_weight_shape", "nb01_weight_shape_test"),
    "numerical_jacobian": ("02_gradients_jacobians", "nb02_numerical_jacobian",
                           "nb02_numerical_jacobian_test"),
    "neuron": ("03_mlp_notation", "nb03_neuron", "nb03_neuron_test"),
    "weighted_input": ("03_mlp_notation", "nb03_weighted_input", "nb03_weighted_input_test"),
    "forward": ("04_forward_pass", "nb04_forward", "nb04_forward_test"),
    "forward_batch": ("04_forward_pass", "nb04_forward_batch", "nb04_forward_batch_test"),
    "finite_difference_gradients": ("05_gradient_descent", "nb05_fd", "nb05_fd_test"),
    "jacobian_sin_linear": ("07_jacobian_chain", "nb07_sin_linear", "nb07_sin_linear_test"),
    "gradient_from_left": ("07_jacobian_chain", "nb07_from_left", "nb07_from_left_test"),
    "gradient_forward_mode": ("07_jacobian_chain", "nb07_forward_mode", "nb07_forward_mode_test"),
    "softmax_jacobian": ("07_jacobian_chain", "nb07_softmax", "nb07_softmax_test"),
}
# wrong answers whose numbers are right: a list for an array or a tuple
SAME_NUMBERS = {("weight_shape", "a list for a shape"), ("weighted_input", "returns a list"),
                ("finite_difference_gradients", "returns a list [dW, db]")}
NAMED = {
    ("weight_shape", "the smaller size first: right only for narrowing sizes"):
        "nb01.weight_shape.smaller_first",
    ("numerical_jacobian", "backward differences"): "nb02.numerical_jacobian.backward_difference",
    ("numerical_jacobian", "/ 2 * h: divides by 2, then multiplies by h"):
        "nb02.numerical_jacobian.slash_2_times_h",
    ("forward", "tanh and a sigmoid hard-coded: right only for the tanh-sigmoid network"):
        "nb04.forward.hard_coded_tanh_sigmoid",
    ("forward", "transposed W"): "nb04.forward.w_transposed",
    ("finite_difference_gradients", "a batch mean where the lecture sums over samples"):
        "nb05.fd.mean_not_sum",
    ("jacobian_sin_linear", "A^T for A"): "nb07.sin_linear.a_transposed",
    ("softmax_jacobian", "only the diagonal, as if the softmax were element-wise"):
        "nb07.softmax.only_diagonal",
    ("softmax_jacobian", "+p_i p_k off the diagonal"): "nb07.softmax.off_diagonal_sign",
    ("softmax_jacobian", "diag(p) without the denominator's term"): "nb07.softmax.only_diag_p",
    ("softmax_jacobian", "-p p^T without diag(p)"): "nb07.softmax.only_outer",
    ("softmax_jacobian", "the sigmoid's derivative"): "nb07.softmax.sigmoid_derivative",
    ("softmax_jacobian", "sigma(s) for p"): "nb07.softmax.sigmoid_for_p",
    ("softmax_jacobian", "s for p"): "nb07.softmax.s_for_p",
    ("softmax_jacobian", "the diagonal as a vector"): "nb07.softmax.diagonal_vector",
    ("softmax_jacobian", "a softmax that overflows"): "nb07.softmax.overflow",
}


def _cell(notebook, grade_id):
    nb = nbformat.read(SOLUTIONS / f"{notebook}.ipynb", as_version=4)
    [c] = [c for c in nb.cells if cells.grade_id(c) == grade_id]
    return c.source


def _reports(answer_source, hidden, monkeypatch):
    """What the hidden test reports with ``answer_source`` defined, as the grader reads it."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    ns = {"np": np, "bplib": bplib, "nb01": nb01, "nb02": nb02, "nb03": nb03, "nb04": nb04,
          "nb05": nb05, "nb07": nb07}
    filename = "<cell of the answer>"   # as IPython keeps a cell's text, for the checks to read
    linecache.cache[filename] = (len(answer_source), None, answer_source.splitlines(True), filename)
    exec(compile(answer_source, filename, "exec"), ns)
    try:
        exec(hidden, ns)
    except Exception:   # a cell that stops keeps the reports made before it
        pass
    return [(o[MIME]["name"], o[MIME]) for o in shown if MIME in o]


_expected = {}


def _solution_reports(exercise, monkeypatch):
    if exercise not in _expected:
        notebook, answer, test = CELLS[exercise]
        hidden = "\n".join(cells.hidden_part(_cell(notebook, test)))
        _expected[exercise] = hidden, _reports(_cell(notebook, answer), hidden, monkeypatch)
    return _expected[exercise]


@pytest.mark.parametrize("wrong", [w for w in ANSWERS if w.kind == "mistake" and
                                   w.exercise in CELLS and
                                   (w.exercise, w.misconception) not in SAME_NUMBERS],
                         ids=lambda w: f"{w.exercise}: {w.misconception}")
def test_a_wrong_answer_does_not_pass_the_hidden_test(wrong, monkeypatch):
    hidden, expected = _solution_reports(wrong.exercise, monkeypatch)
    with np.errstate(all="ignore"):   # a wrong answer may overflow: that is its mistake
        got = _reports(wrong.source, hidden, monkeypatch)
    passed, _ = verdict.compare(verdict.plain(expected), verdict.plain(got))
    assert not passed
    mistake = NAMED.get((wrong.exercise, wrong.misconception))
    if mistake:
        assert mistake in verdict.named(expected, got)


@pytest.mark.parametrize("exercise", sorted(CELLS))
def test_the_worked_answer_passes_its_hidden_test(exercise, monkeypatch):
    hidden, expected = _solution_reports(exercise, monkeypatch)
    notebook, answer, _ = CELLS[exercise]
    got = _reports(_cell(notebook, answer), hidden, monkeypatch)
    assert verdict.plain(expected) and verdict.compare(verdict.plain(expected),
                                                       verdict.plain(got)) == (True, [])
