"""Activations sigma with sigma' and their backward step; the losses with dl/dx^(L)."""
import numpy as np
import pytest

import bplib
from bplib import NotationError, cross_entropy, identity, quadratic, relu, sigmoid, softmax, tanh
from bplib import activations, losses

S = np.array([-30.0, -2.5, -0.3, 0.4, 1.7, 30.0])


@pytest.mark.parametrize("sigma, f, df", [
    (sigmoid, lambda s: 1 / (1 + np.exp(-s)), lambda s: np.exp(-s) / (1 + np.exp(-s)) ** 2),
    (tanh, np.tanh, lambda s: 1 / np.cosh(s) ** 2),
    (relu, lambda s: np.where(s > 0, s, 0.0), lambda s: (s > 0).astype(float)),
    (identity, lambda s: s, np.ones_like),
])
def test_elementwise_activation_and_its_derivative(sigma, f, df):
    # relu and identity are exact; sigmoid and tanh to a few ulp
    np.testing.assert_allclose(sigma(S), f(S), rtol=1e-13, atol=1e-15)
    # in the tails sigma' ~ 1e-13 is computed as a difference from 1: exact to ~1e-16 only
    np.testing.assert_allclose(sigma.derivative(S), df(S), rtol=1e-12, atol=1e-15)
    inner = S[1:-1]  # away from the kink of relu and the flat tails
    np.testing.assert_allclose(bplib.derivative(sigma, inner), df(inner), rtol=1e-7, atol=1e-9)
    # backward: dl/ds = sigma'(s) * dl/dx, for one sample and for a batch
    dl_dx = np.linspace(-1, 2, S.size)
    np.testing.assert_allclose(sigma.backward(S, sigma(S), dl_dx), df(S) * dl_dx,
                               rtol=1e-12, atol=1e-15)
    batch = np.stack([S, -S])
    np.testing.assert_allclose(sigma.backward(batch, sigma(batch), np.ones_like(batch)),
                               df(batch), rtol=1e-12, atol=1e-15)
    assert sigma.elementwise and bplib.activations.get(sigma.name) is sigma
    # a plain number, as a student types it, gives a number
    for number in (0.4, np.float64(0.4), 2):
        assert np.shape(sigma(number)) == () and np.shape(sigma.derivative(number)) == ()
        np.testing.assert_allclose(sigma(number), f(np.float64(number)), rtol=1e-13)


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):  # 1 / (1 + e^{1000}) would overflow
        x = sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(x, [0.0, 1.0])
    # and keeps its relative precision in the left tail, where sigma(s) ~ e^s
    s = np.array([-30.0, -300.0, -700.0])
    np.testing.assert_allclose(sigmoid(s), np.exp(s) / (1 + np.exp(s)), rtol=1e-15, atol=0)


def test_softmax_rows_are_probabilities_and_shift_invariant(rng):
    s = rng.normal(size=(4, 5))
    x = softmax(s)
    np.testing.assert_allclose(x.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(s + 1000.0), x, rtol=1e-12)  # no overflow
    np.testing.assert_allclose(x, np.exp(s) / np.exp(s).sum(axis=1, keepdims=True), rtol=1e-14)
    assert not softmax.elementwise


def test_softmax_jacobian_is_diag_x_minus_x_xT(rng):
    s = rng.normal(size=4)
    x = softmax(s)
    np.testing.assert_allclose(softmax.jacobian(s), np.diag(x) - np.outer(x, x), rtol=1e-14)


def test_activation_lookup():
    assert activations.get("tanh") is tanh and activations.get(relu) is relu
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        activations.get("swish")
    with pytest.raises(ValueError, match="needs sigma'"):
        activations.get(np.tanh)


# --- losses --------------------------------------------------------------------

def test_quadratic_value_and_gradient(rng):
    xL, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    assert quadratic(xL, y) == pytest.approx(0.5 * ((xL - y) ** 2).sum(), rel=1e-14)
    np.testing.assert_allclose(quadratic.gradient(xL, y), xL - y)
    # the batch value is the sum of the per-sample values (not the mean)
    assert quadratic(xL, y) == pytest.approx(sum(quadratic(a, b) for a, b in zip(xL, y)))
    np.testing.assert_allclose(quadratic.gradient(xL[0], y[0]),
                               bplib.gradient(lambda v: quadratic(v, y[0]), xL[0]), rtol=1e-7)


def test_cross_entropy_value_and_gradient(rng):
    xL = softmax(rng.normal(size=(4, 3)))
    labels = np.array([0, 2, 1, 2])
    Y = np.eye(3)[labels]
    expected = -np.log(xL[np.arange(4), labels]).sum()
    assert cross_entropy(xL, labels) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy(xL, Y) == pytest.approx(expected, rel=1e-14)
    assert cross_entropy(xL, labels.tolist()) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(cross_entropy.gradient(xL, labels), -Y / xL)
    np.testing.assert_allclose(cross_entropy.gradient(xL, Y), -Y / xL)
    # one sample with an int label
    assert cross_entropy(xL[1], 2) == pytest.approx(-np.log(xL[1, 2]))
    np.testing.assert_allclose(
        cross_entropy.gradient(xL[1], 2),
        bplib.gradient(lambda v: cross_entropy(v, Y[1]), xL[1]), rtol=1e-7)


def test_cross_entropy_of_a_zero_probability_is_large_and_finite():
    value = cross_entropy(np.array([1.0, 0.0]), 1)
    assert np.isfinite(value) and value > 600  # -log(1e-300) = 690.8
    assert np.isfinite(cross_entropy.gradient(np.array([1.0, 0.0]), 1)).all()


def test_loss_lookup():
    assert losses.get("quadratic") is quadratic and losses.get(cross_entropy) is cross_entropy
    assert repr(quadratic) == "quadratic" and repr(cross_entropy) == "cross_entropy"
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        losses.get("hinge")
    with pytest.raises(ValueError, match="must be a bplib loss"):
        losses.get(3)


@pytest.mark.parametrize("call, words", [
    (lambda: quadratic(np.ones(2), np.ones(3)), "y must have shape (2,) = (d_L,) like x^(L), got (3,)"),
    (lambda: quadratic(np.ones((4, 2)), np.ones((2, 4))), "y must have shape (4, 2) = (N, d_L)"),
    (lambda: quadratic(np.ones(2), [np.nan, 1.0]), "y holds NaN or infinite values"),
    (lambda: quadratic.gradient(np.ones(2), [np.inf, 1.0]), "y holds NaN or infinite values"),
    (lambda: quadratic("ab", np.ones(2)), "x^(L) must hold real numbers"),
    (lambda: quadratic(np.ones((2, 2, 2)), np.ones((2, 2, 2))), "x^(L) must have shape (d_L,)"),
    (lambda: cross_entropy(np.full(3, 1 / 3), 3), "class labels must be in 0..d_L-1 = 0..2"),
    (lambda: cross_entropy(np.full(3, 1 / 3), -1), "class labels must be in 0..d_L-1"),
    (lambda: cross_entropy(np.full(3, 1 / 3), 1.5), "a class label must be a whole number"),
    (lambda: cross_entropy(np.full(3, 1 / 3), "a"), "a class label must be a whole number"),
    (lambda: cross_entropy(np.full(3, 1 / 3), None), "a class label must be a whole number"),
    (lambda: cross_entropy(np.full((2, 3), 1 / 3), [0, 1, 2]), "y has 3 labels but the batch has 2"),
    (lambda: cross_entropy(np.array([2.0, -1.0]), 0), "probabilities x^(L) in [0, 1]"),
])
def test_bad_loss_input_is_explained(call, words):
    with pytest.raises(NotationError) as info:
        call()
    assert words in str(info.value)
