"""Numerical derivatives, the chain rule and the Jacobian chain against hand-worked ones."""
import numpy as np
import pytest

import bplib
from bplib import (NotationError, chain_rule, compose, cos, derivative, exp, gradient, jacobian,
                   jacobian_chain, linear, log, sin, square)

POINTS = [-1.7, -0.4, 0.0, 0.3, 1.0, 2.2]


@pytest.mark.parametrize("f, df", [(np.sin, np.cos), (np.exp, np.exp),
                                   (lambda x: x ** 3, lambda x: 3 * x ** 2),
                                   (np.tanh, lambda x: 1 - np.tanh(x) ** 2)])
def test_derivative_against_the_analytic_one(f, df):
    x = np.array(POINTS)
    np.testing.assert_allclose(derivative(f, x), df(x), rtol=1e-8, atol=1e-9)
    assert isinstance(derivative(f, 0.5), float)
    assert derivative(f, 0.5) == pytest.approx(float(df(0.5)), rel=1e-8)


def test_derivative_at_large_x_scales_its_step():
    # a fixed step would lose all digits here; the relative step keeps ~1e-8
    assert derivative(np.square, 1e6) == pytest.approx(2e6, rel=1e-8)


def test_gradient_against_the_analytic_one(rng):
    A = rng.normal(size=(3, 3))
    A = A + A.T
    f = lambda v: 0.5 * v @ A @ v + np.sin(v[0])  # noqa: E731
    for _ in range(3):
        v = rng.normal(size=3)
        g = gradient(f, v)
        assert g.shape == (3,)
        np.testing.assert_allclose(g, A @ v + np.array([np.cos(v[0]), 0, 0]),
                                   rtol=1e-7, atol=1e-8)


def test_jacobian_rows_are_the_gradients_of_the_components(rng):
    def f(v):  # R^3 -> R^2
        return np.array([v[0] * v[1], np.sin(v[2]) + v[0] ** 2])

    v = rng.normal(size=3)
    J = jacobian(f, v)
    assert J.shape == (2, 3)
    analytic = np.array([[v[1], v[0], 0.0], [2 * v[0], 0.0, np.cos(v[2])]])
    np.testing.assert_allclose(J, analytic, rtol=1e-7, atol=1e-9)
    for i in range(2):
        np.testing.assert_allclose(J[i], gradient(lambda u, i=i: f(u)[i], v), rtol=1e-12)


def test_jacobian_of_a_linear_map_is_its_matrix(rng):
    A, b = rng.normal(size=(4, 2)), rng.normal(size=4)
    f = linear(A, b)
    v = rng.normal(size=2)
    np.testing.assert_allclose(f(v), A @ v + b)
    np.testing.assert_array_equal(f.jacobian(v), A)
    np.testing.assert_allclose(jacobian(f, v), A, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(linear(A)(v), A @ v)


def hand_worked(x):
    """d/dx e^{sin(x^2)} = 2x cos(x^2) e^{sin(x^2)}, worked on the board."""
    return 2 * x * np.cos(x ** 2) * np.exp(np.sin(x ** 2))


@pytest.mark.parametrize("x", POINTS)
def test_chain_rule_on_the_lectures_example(x):
    f = exp @ sin @ square
    trace = chain_rule(f, x)
    assert trace.derivative == pytest.approx(hand_worked(x), rel=1e-12, abs=1e-14)
    assert trace.value == pytest.approx(np.exp(np.sin(x ** 2)), rel=1e-14)
    names = [s.name for s in trace.stages]
    assert names == ["square", "sin", "exp"]
    a1, a2 = x ** 2, np.sin(x ** 2)
    expected = [  # (input, value, local) of each stage, in the order applied
        (x, a1, 2 * x),
        (a1, a2, np.cos(a1)),
        (a2, np.exp(a2), np.exp(a2)),
    ]
    running = 1.0
    for stage, (at, value, local) in zip(trace.stages, expected):
        running *= local
        assert stage.input == pytest.approx(at, rel=1e-14, abs=1e-15)
        assert stage.value == pytest.approx(value, rel=1e-14, abs=1e-15)
        assert stage.local == pytest.approx(local, rel=1e-14, abs=1e-15)
        assert stage.running == pytest.approx(running, rel=1e-13, abs=1e-15)
    # the composition's own derivative and the numerical one agree
    assert f.derivative(x) == pytest.approx(hand_worked(x), rel=1e-12, abs=1e-14)
    assert derivative(f, x) == pytest.approx(hand_worked(x), rel=1e-6, abs=1e-8)
    assert "square" in str(trace) and len(str(trace).splitlines()) == 4


def test_chain_rule_element_wise_on_an_array():
    x = np.array(POINTS)
    trace = chain_rule(exp @ sin @ square, x)
    np.testing.assert_allclose(trace.derivative, hand_worked(x), rtol=1e-12, atol=1e-14)
    text = str(trace)  # printable for arrays too, one row per stage
    assert len(text.splitlines()) == 4 and "exp" in text


def test_chain_rule_of_a_single_function():
    trace = chain_rule(log, 2.0)
    assert len(trace.stages) == 1 and trace.derivative == pytest.approx(0.5)


def test_compose_order_g_after_f():
    x = 0.7
    assert (sin @ square)(x) == pytest.approx(np.sin(x ** 2))
    assert (square @ sin)(x) == pytest.approx(np.sin(x) ** 2)
    assert compose(sin, square)(x) == (sin @ square)(x)
    assert compose(exp, sin, square)(x) == pytest.approx(np.exp(np.sin(x ** 2)))
    assert compose(exp, sin, square).name == (exp @ sin @ square).name == "exp o sin o square"
    # grouping does not matter
    assert ((exp @ sin) @ square)(x) == pytest.approx((exp @ (sin @ square))(x))
    assert [s.name for s in ((exp @ sin) @ square).stages] == ["square", "sin", "exp"]
    assert (cos @ square).derivative(x) == pytest.approx(-np.sin(x ** 2) * 2 * x)


def test_elementary_functions_know_their_derivatives():
    x = np.array([0.3, 1.2, 2.5])
    for f in (exp, sin, cos, square, log):
        np.testing.assert_allclose(f.derivative(x), derivative(f, x), rtol=1e-7)
        np.testing.assert_allclose(f.jacobian(x), np.diag(f.derivative(x)))


def test_latex_follows_the_composition():
    assert (exp @ sin @ square).latex.format("x") == r"e^{\sin((x)^2)}"


def test_jacobian_chain_equals_the_numerical_jacobian_of_the_whole(rng):
    A1, b1 = rng.normal(size=(4, 3)), rng.normal(size=4)
    A2 = rng.normal(size=(2, 4))
    f = linear(A2, name="g") @ bplib.tanh @ linear(A1, b1, name="f")
    x = rng.normal(size=3)
    chain = jacobian_chain(f, x)
    assert [J.shape for J in chain.jacobians] == [(4, 3), (4, 4), (2, 4)]
    assert chain.product.shape == (2, 3)
    np.testing.assert_allclose(chain.product, jacobian(f, x), rtol=1e-7, atol=1e-9)
    # the product, in the lecture's order J_fN ... J_f1
    J1, J2, J3 = chain.jacobians
    np.testing.assert_allclose(chain.product, J3 @ J2 @ J1, rtol=1e-14)
    np.testing.assert_allclose(J2, np.diag(1 - np.tanh(A1 @ x + b1) ** 2), rtol=1e-14)
    np.testing.assert_allclose(f.jacobian(x), chain.product)
    text = str(chain)
    assert "shape (4, 3)" in text and "product" in text and "shape (2, 3)" in text


def test_jacobian_chain_through_softmax(rng):
    A = rng.normal(size=(3, 2))
    f = bplib.softmax @ linear(A)
    x = rng.normal(size=2)
    np.testing.assert_allclose(jacobian_chain(f, x).product, jacobian(f, x), rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("call, words", [
    (lambda: gradient(lambda v: v, np.ones(2)), "use jacobian"),
    (lambda: gradient(np.sum, np.ones((2, 2))), "vector of shape (D,)"),
    (lambda: jacobian(lambda v: v, np.ones((2, 2))), "vector of shape (n,)"),
    (lambda: derivative(np.sin, "a"), "real numbers"),
    (lambda: compose(sin, np.sin), "bplib Functions"),
    (lambda: sin @ np.sin, "bplib Functions"),
    (lambda: chain_rule(bplib.softmax, np.ones(2)), "not element-wise"),
    (lambda: chain_rule(np.sin, 1.0), "bplib Function"),
    (lambda: jacobian_chain(linear(np.ones((2, 3))), np.ones(2)), "do not chain"),
    (lambda: linear(np.ones((2, 3)), np.ones(3)), "b must have shape (2,)"),
    (lambda: linear(np.ones(3)), "A must be a matrix"),
    (lambda: linear(np.ones((2, 3)))(np.ones(2)), "x must have shape (3,)"),
    (lambda: sin.derivative("a"), "real numbers"),
])
def test_bad_calculus_input_is_explained(call, words):
    with pytest.raises(NotationError) as info:
        call()
    assert words in str(info.value)
