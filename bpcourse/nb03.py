r"""Checks for notebook 03: the MLP's notation, one neuron and one layer.

w^l_jk connects neuron k of layer l-1 to neuron j of layer l, so row j of
W^l holds the weights into neuron j:

    s^l_j = sum_k w^l_jk x^{l-1}_k + b^l_j,   x^l_j = sigma(s^l_j),
    s^l = W^l x^{l-1} + b^l.
"""
import numpy as np

from bplib import activations


def _case(d_l, d_prev, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d_l, d_prev)), rng.normal(size=d_l), rng.normal(size=d_prev)


def reference_neuron(W, b, x_prev, j, sigma=activations.tanh):
    """x^l_j = sigma(sum_k w^l_jk x^{l-1}_k + b^l_j)."""
    return float(sigma(W[j] @ x_prev + b[j]))


def reference_weighted_input(W, b, x_prev):
    """s^l = W^l x^{l-1} + b^l, shape (d_l,)."""
    return W @ x_prev + b


def _number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} is one number; yours is {type(value).__name__} "
                             f"{np.shape(value)}") from None


def test_neuron(neuron):
    """Raise AssertionError, in the lecture's words, unless x^l_j is right."""
    sigma = activations.tanh
    W, b, x_prev = _case(4, 4, seed=3)   # square, so W[k, j] runs too
    j = 1
    got = _number(neuron(W, b, x_prev, j, sigma), "x^l_j")
    s_j = W[j] @ x_prev + b[j]
    if np.isclose(got, sigma(W[:, j] @ x_prev + b[j])):
        raise AssertionError("you used w^l_kj = W[k, j]; w^l_jk is W[j, k]: row j of W^l holds "
                             "the weights into neuron j")
    if np.isclose(got, s_j):
        raise AssertionError("that is s^l_j, the weighted input; the activation is x^l_j = sigma(s^l_j)")
    if np.isclose(got, sigma(W[j] @ x_prev)):
        raise AssertionError("the bias is missing: x^l_j = sigma(sum_k w^l_jk x^{l-1}_k + b^l_j)")
    assert np.isclose(got, sigma(s_j)), (
        f"x^l_j should be sigma(sum_k w^l_jk x^(l-1)_k + b^l_j) = {sigma(s_j):.6f}, yours is {got:.6f}")
    W, b, x_prev = _case(3, 5, seed=4)
    relu = activations.relu
    for j in range(3):
        got = _number(neuron(W, b, x_prev, j, relu), "x^l_j")
        want = reference_neuron(W, b, x_prev, j, relu)
        assert np.isclose(got, want), (
            f"with sigma = relu, W^l of shape (3, 5) and j = {j}, x^l_j should be {want:.6f}, "
            f"yours is {got:.6f}: use the sigma you are given")


def test_weighted_input(weighted_input):
    """Raise AssertionError, in the lecture's words, unless s^l = W^l x^{l-1} + b^l."""
    W, b, x_prev = _case(4, 4, seed=5)
    got = weighted_input(W, b, x_prev)
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"return a numpy array, got {type(got).__name__}") from None
    assert got.shape == (4,), f"s^l has one entry per neuron of layer l: shape (d_l,) = (4,), got {got.shape}"
    if np.allclose(got, W.T @ x_prev + b):
        raise AssertionError("s^(l) should be W^(l) x^(l-1) + b^(l); yours looks like "
                             "W^(l)^T x^(l-1) + b^(l): check the order of j and k")
    if np.allclose(got, W @ x_prev):
        raise AssertionError("the bias is missing: s^l = W^l x^{l-1} + b^l")
    assert np.allclose(got, W @ x_prev + b), "s^l should be W^l x^{l-1} + b^l; yours differs"
    W, b, x_prev = _case(2, 6, seed=6)
    got = np.asarray(weighted_input(W, b, x_prev), dtype=float)
    assert got.shape == (2,) and np.allclose(got, W @ x_prev + b), (
        "for W^l of shape (d_l, d_{l-1}) = (2, 6), s^l has shape (2,) and equals W^l x^{l-1} + b^l; "
        "yours differs")
