r"""Checks for notebook 04: the forward pass.

    x^(0) = x,   s^(l) = W^(l) x^(l-1) + b^(l),   x^(l) = sigma(s^(l)),  l = 1..L,

and f(x; W, b) = x^(L). A batch holds samples as rows, so S = X W^T + b.
"""
import numpy as np

from bplib import activations
from bplib.mlp import MLP


def reference_forward(net, x):
    """x^(L) for one sample x of shape (d_0,)."""
    for l in range(1, net.L + 1):
        x = net.activation(l)(net.W[l] @ x + net.b[l])
    return x


def reference_forward_batch(net, X):
    """X^(L), shape (N, d_L), for a batch X of shape (N, d_0)."""
    for l in range(1, net.L + 1):
        X = net.activation(l)(X @ net.W[l].T + net.b[l])
    return X


def _array(value, what):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a numpy array, got {type(value).__name__}") from None


def _mistakes(net, x, got, batch):
    """Name the step of the forward pass that went wrong."""
    def run(layers, sigma_of, bias=True):
        v = x
        for l in layers:
            s = (v @ net.W[l].T if batch else net.W[l] @ v) + (net.b[l] if bias else 0)
            v = sigma_of(l)(s)
        return v

    every = range(1, net.L + 1)
    if net.L > 1 and got.shape == (x.shape[:-1] + (net.sizes[-2],)):
        raise AssertionError(f"your result has the size of x^(L-1): the loop must run over "
                             f"l = 1..L = 1..{net.L}, i.e. range(1, net.L + 1)")
    if np.allclose(got, run(every, lambda l: net.sigma)):
        raise AssertionError("layer L has its own activation: use net.activation(l) for each layer")
    if np.allclose(got, run(every, net.activation, bias=False)):
        raise AssertionError("the biases are missing: s^(l) = W^(l) x^(l-1) + b^(l)")
    last = run(range(1, net.L), net.activation)
    if np.allclose(got, (last @ net.W[net.L].T if batch else net.W[net.L] @ last) + net.b[net.L]):
        raise AssertionError("that is s^(L); the output is x^(L) = sigma(s^(L))")


def _net():
    net = MLP([3, 4, 5, 2], sigma=activations.tanh, output_sigma=activations.sigmoid, seed=7)
    rng = np.random.default_rng(7)
    for l in range(1, net.L + 1):   # b^(l) = 0 at the start would hide a missing bias
        net.b[l] = rng.normal(size=net.sizes[l])
    return net


def test_forward(forward):
    """Raise AssertionError, in the lecture's words, unless forward(net, x) is x^(L)."""
    net = _net()
    x = np.array([0.5, -1.0, 2.0])
    got = _array(forward(net, x), "x^(L)")
    want = reference_forward(net, x)
    if got.shape == want.shape and np.allclose(got, want):
        net1 = MLP([2, 3], sigma="relu", seed=1)
        net1.b[1] = [0.5, -0.5, 1.0]
        x1 = np.array([1.0, -2.0])
        got1 = _array(forward(net1, x1), "x^(L)")
        assert np.allclose(got1, reference_forward(net1, x1)), (
            "right for L = 3 layers but not for a network with L = 1: the loop runs over l = 1..L")
        return
    _mistakes(net, x, got, batch=False)
    assert got.shape == want.shape, f"x^(L) has shape (d_L,) = {want.shape}, got {got.shape}"
    raise AssertionError("x^(L) differs from the forward pass s^(l) = W^(l) x^(l-1) + b^(l), "
                         "x^(l) = sigma(s^(l)); compare your x^(1) with net.forward(x).x[1]")


def test_forward_batch(forward_batch):
    """Raise AssertionError, in the lecture's words, unless rows are samples."""
    net = _net()
    X = np.random.default_rng(8).normal(size=(6, 3))
    got = _array(forward_batch(net, X), "X^(L)")
    want = reference_forward_batch(net, X)
    if got.shape == (net.sizes[-1], 6):
        raise AssertionError(f"your result has shape (d_L, N) = {got.shape}: samples are rows, "
                             f"so X^(L) has shape (N, d_L) = {want.shape}")
    if got.shape == want.shape and np.allclose(got, want):
        return
    _mistakes(net, X, got, batch=True)
    assert got.shape == want.shape, f"X^(L) has shape (N, d_L) = {want.shape}, got {got.shape}"
    raise AssertionError("row n of X^(L) should be f(x_n; W, b); in batch form S = X W^T + b, "
                         "then X^(l) = sigma(S)")
