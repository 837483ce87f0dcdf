"""The checks' machinery: references, the shared mistake table, check and passes, and
delegation in grading."""
import numpy as np
import pytest

import bplib
from bpcourse import check, method, nb05, nb06, nb07, nb08, passes, report

from solution_cells import define, solution_functions


def _stub(*args):
    raise NotImplementedError()


# --- the references agree with bplib's numerics --------------------------------------------

def test_nb05_reference_agrees_with_backprop_on_a_batch():
    net = bplib.MLP([3, 5, 2], sigma="tanh", seed=4)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    dW, db = nb05.finite_difference_gradients(net, X, Y, bplib.quadratic)
    grads = net.gradients(X, Y, bplib.quadratic)
    for l in (1, 2):
        np.testing.assert_allclose(dW[l], grads.W[l], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(db[l], grads.b[l], rtol=1e-6, atol=1e-8)


def test_nb06_reference_is_the_derivative():
    x = np.linspace(-2.5, 2.5, 51)
    np.testing.assert_allclose(nb06.df(x), bplib.derivative(nb06.f, x), rtol=1e-6, atol=1e-8)


def test_nb07_reference_matches_the_numerical_jacobian():
    rng = np.random.default_rng(2)
    A, b, x = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    np.testing.assert_allclose(nb07.jacobian_sin_linear(A, b, x),
                               bplib.jacobian(lambda v: np.sin(A @ v + b), x), atol=1e-8)


# --- one table of chain-rule mistakes, for the code check and the answer box ----------------

@pytest.mark.parametrize("expression", sorted(nb06.MISTAKES))
def test_nb06_each_mistake_in_the_table_gets_its_own_message(expression):
    import sympy

    wrong = sympy.lambdify(sympy.Symbol("x"), sympy.sympify(expression), "numpy")
    with pytest.raises(AssertionError) as info:
        nb06.test_df(lambda x: wrong(np.asarray(x)))
    assert str(info.value) == nb06.MISTAKES[expression]


def test_nb06_the_answer_box_names_the_same_mistakes():
    from bplib import widgets

    box = widgets.chain_rule_answer(mistakes=nb06.MISTAKES)
    for expression, message in nb06.MISTAKES.items():
        assert box.check(expression).message.startswith(message)
    assert box.check(nb06.EXPECTED).ok


# --- check and passes -----------------------------------------------------------------------

def test_check_says_not_done_not_accepted_not_right_and_correct(capsys):
    check("df", nb06.test_df, _stub)
    check("df", nb06.test_df, lambda x: bplib.derivative(nb06.f, x))
    check("df", nb06.test_df, lambda x: np.exp(np.sin(x ** 2)))
    check("df", nb06.test_df, solution_functions()["df"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("df: not done yet")
    assert lines[1].startswith("df: not accepted. your <lambda> calls bplib.derivative")
    assert lines[2].startswith("df: not right yet. That is f itself")
    assert lines[3] == "df: correct"


def test_passes_is_silent_and_refuses_delegation(capsys):
    assert passes(nb06.test_df, solution_functions()["df"]) is True
    assert passes(nb06.test_df, _stub) is False
    assert passes(nb06.test_df, nb06.df) is False        # the reference is not the student's
    assert capsys.readouterr().out == ""


# --- the mechanism --------------------------------------------------------------------------

def test_delegation_is_found_by_the_code_that_runs_not_by_its_name():
    from bplib import jacobian as J
    rules = method.Rules("x", method.FINITE_DIFFERENCES)
    alias = J
    with pytest.raises(method.Delegated) as info:
        method.run(lambda f, x: alias(f, x), np.sin, np.ones(2), rules=rules)
    assert info.value.names == ("bplib.jacobian (finite differences)",)


def test_the_profiler_of_the_caller_is_put_back():
    import sys
    seen = []
    sys.setprofile(lambda *a: seen.append(a[1]))
    try:
        method.run(lambda: 1, rules=method.Rules("x", method.FINITE_DIFFERENCES))
        assert sys.getprofile() is not None
    finally:
        sys.setprofile(None)


def test_an_answer_that_turns_the_watch_off_is_refused():
    import sys

    def sneaky(f, x):
        sys.setprofile(None)
        return bplib.jacobian(f, x)
    with pytest.raises(method.Delegated) as info:
        method.run(sneaky, np.sin, np.ones(2), rules=method.Rules("x", method.FINITE_DIFFERENCES))
    assert "sys.setprofile" in str(info.value)
    assert sys.getprofile() is None


def test_watched_arrays_count_samples_and_products():
    log = method.Log()
    X = method.watched(np.ones((3, 2)), "X", log)
    _ = [row for row in X]
    assert log["X", "iter"] == 1
    log.clear()
    _ = X[1], X[1, :], X[:, 0], X[np.int64(2)]
    assert log["X", "item"] == 3
    _ = np.ones(3) @ X, X.T @ X
    assert log["X", "vecmat"] == 1 and log["X", "matmul"] == 2   # X.T and X: both sides


def test_numpy_shape_errors_are_said_in_the_lectures_words():
    def wrong(W, x):
        return W.T @ x
    with pytest.raises(AssertionError) as info:
        method.run(wrong, np.ones((4, 3)), np.ones(3), hint="W^(l) has shape (d_l, d_{l-1})")
    assert "matrix product" in str(info.value) and "W^(l) has shape" in str(info.value)
    assert "Input operand" not in str(info.value)
    with pytest.raises(AssertionError) as info:
        method.run(lambda x: x[3], np.ones(3))
    assert "numbered from 0" in str(info.value)


# --- in grading: a hidden test reports delegation (the grader scores it 0: tests/instructor) ---

def test_a_hidden_test_reports_delegation_and_the_grader_refuses_it(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    net = bplib.MLP([3, 4, 2], seed=0)
    trace = net.forward(np.ones(3))

    def delegating(net, trace, dl_dxL):
        return net.backward(trace, dl_dxL)

    with report.watch(nb08.RULES, delegating):
        net.forward(np.ones(3))                       # the test's own calls do not count
        delegating(net, trace, np.ones(2))
    assert len(shown) == 1
    got = [(p["name"], p) for p in (obj[report.MIME] for obj in shown)]
    assert [name for name, _ in got] == [report.DELEGATED]   # the grader scores it 0

    shown.clear()
    with report.watch(nb08.RULES, solution_functions()["backward"]):
        solution_functions()["backward"](net, trace, np.ones(2))
        net.backward(trace, np.ones(2))               # outside the student's function
    assert shown == []


def test_nb08_a_student_backward_trains_from_their_delta_L():
    """What notebook 08 does: net.backward and net.delta_L set to the student's, then bplib.train."""
    X, y = bplib.data.moons(n=60, seed=1)
    net = bplib.MLP([2, 6, 2], sigma="tanh", output_sigma="softmax", seed=0)
    reference = net.copy()
    student, deltas = solution_functions()["backward"], []
    net.backward = lambda trace, dl_dsL: student(net, trace, dl_dsL)
    net.delta_L = lambda xL, y: deltas.append(y) or solution_functions()["softmax_cross_entropy_delta"](xL, y)
    mine = bplib.train.train(net, X, y, "cross_entropy", lr=0.05, epochs=5, progress=False)
    theirs = bplib.train.train(reference, X, y, "cross_entropy", lr=0.05, epochs=5, progress=False)
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    assert mine[-1] < mine[0]
    assert len(deltas) == 5   # one start from delta^(L) per step


def test_a_hidden_test_reports_a_forbidden_method_and_nothing_else(monkeypatch):
    import IPython.display


    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    looping = define("def forward_batch(net, X):\n"
                     "    rows = []\n"
                     "    for x in X:\n"
                     "        for l in range(1, net.L + 1):\n"
                     "            x = net.activation(l)(net.W[l] @ x + net.b[l])\n"
                     "        rows.append(x)\n"
                     "    return np.array(rows)", "forward_batch")
    from bpcourse import nb03, nb04
    report.hold_to_method(nb04.test_forward_batch, looping)
    report.hold_to_method(nb03.test_neuron, _stub)                            # not done
    report.hold_to_method(nb03.test_neuron, lambda W, b, x, j, s: 0.0)        # wrong: numbers
    report.hold_to_method(nb03.test_neuron, solution_functions()["neuron"])   # right
    got = [(p["name"], p) for p in (obj[report.MIME] for obj in shown)]
    assert [name for name, _ in got] == [report.METHOD]   # the grader scores it 0


def test_attempt_says_a_shape_error_in_the_lectures_words(capsys):
    from bpcourse import attempt

    W, x = np.ones((4, 3)), np.ones(3)
    assert np.array_equal(attempt(lambda W, x: W.T @ x, lambda W, x: W @ x, W, x), W @ x)
    out = capsys.readouterr().out
    assert "matrix product" in out and "Input operand" not in out and "bplib's reference" in out


def test_nb06_paths_averaged_at_a_fan_out_are_named():
    from wrong_answers import ANSWERS

    source = next(w.source for w in ANSWERS if w.misconception == "the paths averaged instead of added")
    with pytest.raises(AssertionError, match="averages the two paths") as e:
        nb06.test_graph_gradients(define(source, "graph_gradients"))
    assert "with no 1/2" in str(e.value)


@pytest.mark.parametrize("copy", ["np.asarray", "np.array"])
def test_nb03_a_decorative_loop_beside_a_plain_copy_is_caught(copy):
    from bpcourse import nb03

    source = ("def neuron(W, b, x_prev, j, sigma):\n"
              f"    W2, x2 = {copy}(W), {copy}(x_prev)\n"
              "    for k in range(len(x_prev)):\n"
              "        _ = W[j, k] * x_prev[k]\n"
              "    return float(sigma(W2[j] @ x2 + b[j]))\n")
    with pytest.raises(method.MethodError, match="does not come from your for loop"):
        nb03.test_neuron(define(source, "neuron"))
