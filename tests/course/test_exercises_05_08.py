"""The exercise checks of notebooks 05-08: the reference passes, the usual mistakes are named."""
from types import SimpleNamespace

import numpy as np
import pytest

import bplib
from bpcourse import check, nb05, nb06, nb07, nb08, passes


def fails_with(test, fn, *words):
    """test(fn) raises an AssertionError whose message holds every word."""
    with pytest.raises(AssertionError) as info:
        test(fn)
    for word in words:
        assert word in str(info.value), str(info.value)
    return str(info.value)


# --- 05: finite differences ------------------------------------------------------

def test_nb05_reference_agrees_with_backprop_on_a_batch():
    net = bplib.MLP([3, 5, 2], sigma="tanh", seed=4)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    dW, db = nb05.finite_difference_gradients(net, X, Y, bplib.quadratic)
    grads = net.gradients(X, Y, bplib.quadratic)
    for l in (1, 2):
        np.testing.assert_allclose(dW[l], grads.W[l], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(db[l], grads.b[l], rtol=1e-6, atol=1e-8)


def test_nb05_reference_passes_and_leaves_the_network_as_it_was():
    nb05.test_finite_differences(nb05.finite_difference_gradients)
    net = bplib.MLP([2, 3, 1], seed=0)
    before = [net.W[l].copy() for l in (1, 2)]
    nb05.finite_difference_gradients(net, np.ones(2), np.zeros(1), bplib.quadratic)
    assert all(np.array_equal(net.W[l], W) for l, W in zip((1, 2), before))


def _scaled(factor, transpose=False):
    def fd(net, x, y, loss):
        dW, db = nb05.finite_difference_gradients(net, x, y, loss)
        return {l: (factor * g).T if transpose else factor * g for l, g in dW.items()}, db
    return fd


@pytest.mark.parametrize("fn, words", [
    (_scaled(2.0), ["twice", "2h"]),
    (_scaled(-1.0), ["wrong sign"]),
    (_scaled(1.0, transpose=True), ["transposed", "row j"]),
    (lambda net, x, y, loss: ({}, {}), ["missing", "l = 1..L"]),
    (lambda net, x, y, loss: nb05.finite_difference_gradients(net, x, y, loss)[0], ["pair"]),
])
def test_nb05_names_the_mistake(fn, words):
    fails_with(nb05.test_finite_differences, fn, *words)


def test_nb05_a_nudged_weight_left_behind_is_caught():
    def forgets_to_restore(net, x, y, loss):
        result = nb05.finite_difference_gradients(net, x, y, loss)
        net.W[2][0, 0] += 1e-5
        return result
    fails_with(nb05.test_finite_differences, forgets_to_restore, "Put every nudged parameter back")


# --- 06: the chain rule -------------------------------------------------------------

def test_nb06_reference_is_the_derivative():
    x = np.linspace(-2.5, 2.5, 51)
    np.testing.assert_allclose(nb06.df(x), bplib.derivative(nb06.f, x), rtol=1e-6, atol=1e-8)
    nb06.test_df(nb06.df)
    nb06.test_chain_derivative(nb06.chain_derivative)


@pytest.mark.parametrize("wrong, message", nb06.MISTAKES)
def test_nb06_each_usual_mistake_gets_its_own_message(wrong, message):
    assert fails_with(nb06.test_df, wrong) == message


def test_nb06_an_unknown_mistake_points_to_where_it_differs():
    fails_with(nb06.test_df, lambda x: nb06.df(x) + 0.1, "at x =", "bplib.derivative")


def test_nb06_df_must_work_element_wise():
    fails_with(nb06.test_df, lambda x: float(nb06.df(x)[0]), "shape")


def test_nb06_local_derivatives_taken_at_x_are_named():
    def all_at_x(stages, x):
        a, running = x, 1.0
        for f in stages:
            running *= float(f.derivative(x))
            a = f(a)
        return a, running
    fails_with(nb06.test_chain_derivative, all_at_x, "every local derivative was taken at x")


def test_nb06_check_prints_not_done_for_a_stub(capsys):
    def stub(x):
        raise NotImplementedError()
    assert check("df", nb06.test_df, stub) is None  # a cell shows the feedback, not False
    assert "not done yet" in capsys.readouterr().out
    check("df", nb06.test_df, nb06.df)
    assert capsys.readouterr().out == "df: correct\n"


def test_passes_is_silent_and_says_whether_a_test_passes(capsys):
    def stub(x):
        raise NotImplementedError()
    assert passes(nb06.test_df, nb06.df) is True
    assert passes(nb06.test_df, stub) is False
    assert passes(nb06.test_df, lambda x: 2 * x) is False
    assert capsys.readouterr().out == ""


# --- 07: the Jacobian chain ---------------------------------------------------------

def test_nb07_reference_matches_the_numerical_jacobian():
    rng = np.random.default_rng(2)
    A, b, x = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)
    np.testing.assert_allclose(nb07.jacobian_sin_linear(A, b, x),
                               bplib.jacobian(lambda v: np.sin(A @ v + b), x), atol=1e-8)
    nb07.test_jacobian_sin_linear(nb07.jacobian_sin_linear)
    nb07.test_gradient_from_left(nb07.gradient_from_left)


@pytest.mark.parametrize("fn, words", [
    (lambda A, b, x: nb07.jacobian_sin_linear(A, b, x).T, ["transposed", "one row per output"]),
    (lambda A, b, x: A, ["J_sin(s) = diag(cos(s)) is missing"]),
    (lambda A, b, x: np.diag(np.sin(A @ x + b)) @ A, ["derivative of sin is cos"]),
    (lambda A, b, x: np.diag(np.cos(A @ x)) @ A, ["b is missing"]),
    (lambda A, b, x: 2 * nb07.jacobian_sin_linear(A, b, x), ["entry", "bplib.jacobian"]),
])
def test_nb07_names_the_mistake(fn, words):
    fails_with(nb07.test_jacobian_sin_linear, fn, *words)


def test_nb07_the_whole_product_is_not_the_gradient():
    def whole(jacobians, dl_dxN):
        P = jacobians[0]
        for J in jacobians[1:]:
            P = J @ P
        return P
    fails_with(nb07.test_gradient_from_left, whole, "whole Jacobian", "(d_0,)")
    fails_with(nb07.test_gradient_from_left,
               lambda Js, g: 2 * nb07.gradient_from_left(Js, g), "last Jacobian first")


# --- 08: the backward pass -------------------------------------------------------------

def _backward(dsigma=True, transpose=False, mean=False, mutate=False):
    """A backward pass with one chosen mistake."""
    def backward(net, trace, dl_dxL):
        dW, db = {}, {}
        dl_dx = dl_dxL
        for l in range(net.L, 0, -1):
            dl_ds = (net.activation(l).backward(trace.s[l], trace.x[l], dl_dx) if dsigma
                     else dl_dx)
            x_prev = np.atleast_2d(trace.x[l - 1])
            g = np.atleast_2d(dl_ds).T @ x_prev
            n = len(x_prev) if mean else 1
            dW[l] = (g.T if transpose else g) / n
            db[l] = np.atleast_2d(dl_ds).sum(axis=0) / n
            dl_dx = dl_ds @ net.W[l]
        if mutate:
            trace.x[0] *= 2
        return SimpleNamespace(W=dW, b=db)
    return backward


def test_nb08_reference_and_a_correct_student_version_pass():
    nb08.test_backward(nb08.backward)
    nb08.test_backward(_backward())


@pytest.mark.parametrize("fn, words", [
    (_backward(dsigma=False), ["without sigma'"]),
    (_backward(transpose=True), ["transposed"]),
    (_backward(mean=True), ["1/N", "sum"]),
    (_backward(mutate=True), ["changed the trace"]),
    (lambda net, trace, dl: SimpleNamespace(W={}, b={}), ["missing"]),
])
def test_nb08_names_the_mistake(fn, words):
    fails_with(nb08.test_backward, fn, *words)


def test_nb08_a_student_backward_trains_through_net_gradients():
    """What notebook 08 does: replace net.backward, then train with bplib.train."""
    X, y = bplib.data.moons(n=60, seed=1)
    net = bplib.MLP([2, 6, 2], sigma="tanh", output_sigma="softmax", seed=0)
    reference = net.copy()
    student = _backward()
    net.backward = lambda trace, dl_dxL: student(net, trace, dl_dxL)
    mine = bplib.train.train(net, X, y, "cross_entropy", lr=0.05, epochs=5, progress=False)
    theirs = bplib.train.train(reference, X, y, "cross_entropy", lr=0.05, epochs=5, progress=False)
    np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    assert mine[-1] < mine[0]
