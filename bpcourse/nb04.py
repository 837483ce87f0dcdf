r"""Checks for notebook 04: the forward pass.

    x^(0) = x,   s^(l) = W^(l) x^(l-1) + b^(l),   x^(l) = sigma(s^(l)),  l = 1..L,

and f(x; W, b) = x^(L). A batch holds samples as rows, so S = X W^T + b, with
no loop over the samples. The answer is the student's own forward pass: one
that calls net(x) or net.forward is not accepted.
"""
import numpy as np

from bplib import activations
from bplib.calculus import Function
from bplib.mlp import MLP

from .method import (BACKPROP, FINITE_DIFFERENCES, FORWARD, Log, MethodError, Rules, ShapeError,
                     reference, run, watched)

RULES = Rules("your own forward pass with net.W[l], net.b[l] and net.activation(l)",
              {**FORWARD, **BACKPROP, **FINITE_DIFFERENCES})
BATCH = Rules("S = X W^T + b for the whole batch, with your own code",
              {**FORWARD, **BACKPROP, **FINITE_DIFFERENCES})
HINT = ("W^(l) has shape (d_l, d_{l-1}), so s^(l) = W^(l) x^(l-1) takes x^(l-1) with d_{l-1} "
        "entries, W^(l) on the left")
BATCH_HINT = ("a batch X has samples as rows, shape (N, d_0), and W^(l) has shape "
              "(d_l, d_{l-1}): S = X W^T + b, i.e. X @ net.W[l].T + net.b[l]")


@reference
def reference_forward(net, x):
    """x^(L) for one sample x of shape (d_0,)."""
    for l in range(1, net.L + 1):
        x = net.activation(l)(net.W[l] @ x + net.b[l])
    return x


@reference
def reference_forward_batch(net, X):
    """X^(L), shape (N, d_L), for a batch X of shape (N, d_0)."""
    for l in range(1, net.L + 1):
        X = net.activation(l)(X @ net.W[l].T + net.b[l])
    return X


def _array(value, what):
    if isinstance(value, list):
        raise AssertionError(f"{what} is a Python list; return the numpy array x^(L) itself")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a numpy array, "
                             f"got {type(value).__name__}") from None


@reference
def _variant(net, x, batch, transpose=False, one_sample=False, bias="inside", sigma="own",
             layers=None):
    """The forward pass with one chosen mistake."""
    v = x
    for l in layers or range(1, net.L + 1):
        W = net.W[l].T if transpose else net.W[l]
        s = (W @ v if one_sample or not batch else v @ W.T)
        s = s + net.b[l] if bias == "inside" else s
        act = net.sigma if sigma == "same" else net.activation(l)
        v = act(s) if not (sigma == "none-last" and l == net.L) else s
        v = v + net.b[l] if bias == "after" else v
    return v


MISTAKES = [
    (dict(sigma="same"), "layer L has its own activation: use net.activation(l) for each layer"),
    (dict(bias="none"), "the biases are missing: s^(l) = W^(l) x^(l-1) + b^(l)"),
    (dict(bias="after"), "the bias was added after sigma: it belongs inside, "
                         "x^(l) = sigma(W^(l) x^(l-1) + b^(l))"),
    (dict(sigma="none-last"), "that is s^(L); the output is x^(L) = sigma(s^(L))"),
    (dict(transpose=True), "you multiplied by the transpose of W^(l) (W^T x, or x @ W): "
                           "s^(l) = W^(l) x^(l-1) with W^(l) of shape (d_l, d_{l-1}); row j "
                           "holds the weights into neuron j"),
]
BATCH_MISTAKES = [
    (dict(one_sample=True), "this is the one-sample formula W^(l) x applied to the batch: with "
                            "samples as rows, S = X W^T + b, i.e. X @ net.W[l].T"),
]


def _mistakes(net, x, got, batch):
    """Name the step of the forward pass that went wrong."""
    if net.L > 1 and net.sizes[-2] != net.sizes[-1] and \
            got.shape == (x.shape[:-1] + (net.sizes[-2],)):
        raise AssertionError(f"your result has the size of x^(L-1): the loop must run over "
                             f"l = 1..L = 1..{net.L}, i.e. range(1, net.L + 1)")
    for kwargs, message in MISTAKES + (BATCH_MISTAKES if batch else []):
        try:
            wrong = _variant(net, x, batch, **kwargs)
        except ValueError:   # this mistake cannot run on these shapes
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong):
            raise AssertionError(message)


def _net(sizes=(3, 4, 5, 2)):
    net = MLP(list(sizes), sigma=activations.tanh, output_sigma=activations.sigmoid, seed=7)
    rng = np.random.default_rng(7)
    for l in range(1, net.L + 1):   # b^(l) = 0 at the start would hide a missing bias
        net.b[l] = rng.normal(size=net.sizes[l])
    return net


def _on_square(fn, batch, error):
    """After a shape error, run fn on a network of equal widths to name the mistake."""
    net = _net((3, 3, 3, 3))
    x = np.random.default_rng(9).normal(size=(3, 3) if batch else 3)
    try:
        got = _array(fn(net, x.copy()), "x^(L)")
    except Exception:
        raise error from None
    _mistakes(net, x, got, batch)
    raise error


def test_forward(forward):
    """Raise AssertionError, in the lecture's words, unless forward(net, x) is x^(L)."""
    net = _net()
    x = np.array([0.5, -1.0, 2.0])
    try:
        got = _array(run(forward, net, x.copy(), rules=RULES, hint=HINT).value, "x^(L)")
    except ShapeError as e:
        _on_square(forward, False, e)
    want = reference_forward(net, x)
    if got.shape == want.shape and np.allclose(got, want):
        net1 = MLP([2, 3], sigma="relu", seed=1)
        net1.b[1] = [0.5, -0.5, 1.0]
        x1 = np.array([1.0, -2.0])
        got1 = _array(run(forward, net1, x1, rules=RULES, hint=HINT).value, "x^(L)")
        assert np.allclose(got1, reference_forward(net1, x1)), (
            "right for L = 3 layers but not for a network with L = 1: the loop runs over l = 1..L")
        return
    _mistakes(net, x, got, batch=False)
    assert got.shape == want.shape, f"x^(L) has shape (d_L,) = {want.shape}, got {got.shape}"
    raise AssertionError("x^(L) differs from the forward pass s^(l) = W^(l) x^(l-1) + b^(l), "
                         "x^(l) = sigma(s^(l)); compare your x^(1) with tanh(W^(1) x + b^(1))")


def test_forward_batch(forward_batch):
    """Raise AssertionError, in the lecture's words, unless rows are samples."""
    net = _net()
    X = np.random.default_rng(8).normal(size=(6, 3))
    log = Log()
    try:
        out = run(forward_batch, net, watched(X, "X", log), rules=BATCH, hint=BATCH_HINT,
                  count={"sigma": Function.__call__})
    except ShapeError as e:
        _on_square(forward_batch, True, e)
    got = _array(out.value, "X^(L)")
    want = reference_forward_batch(net, X)
    if got.shape == (net.sizes[-1], 6):
        raise AssertionError(f"your result has shape (d_L, N) = {got.shape}: samples are rows, "
                             f"so X^(L) has shape (N, d_L) = {want.shape}")
    if got.shape == want.shape and np.allclose(got, want):
        if log["X", "item"] or log["X", "iter"] or out.counts["sigma"] > net.L:
            raise MethodError(
                "the values are right, but your code loops over the samples; the exercise "
                "asks for no loop over the samples: one matrix product per layer, "
                "S = X W^T + b, handles every row at once")
        return
    _mistakes(net, X, got, batch=True)
    assert got.shape == want.shape, f"X^(L) has shape (N, d_L) = {want.shape}, got {got.shape}"
    raise AssertionError("row n of X^(L) should be f(x_n; W, b); in batch form S = X W^T + b, "
                         "then X^(l) = sigma(S)")
