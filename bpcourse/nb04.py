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
              "(d_l, d_{l-1}): each row of X meets W^(l) as x^(l-1) does, in S = X W^T + b")


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
        act = (net.sigma if sigma == "same" else activations.sigmoid if sigma == "sigmoid"
               else (activations.sigmoid if l == net.L else activations.tanh)
               if sigma == "tanh-sigmoid" else net.activation(l))
        v = act(s) if not (sigma == "none-last" and l == net.L) else s
        v = v + net.b[l] if bias == "after" else v
    return v


HARD_CODED = ("the activation of layer l must come from the network, net.activation(l): {what} "
              "is a fixed sigma of your own, which fits one network; this one has {net_has}")
MISTAKES = [
    (dict(sigma="same"), "layer L has its own activation: use net.activation(l) for each layer"),
    (dict(sigma="sigmoid"), HARD_CODED.replace("{what}", "a sigmoid on every layer")),
    (dict(sigma="tanh-sigmoid"), HARD_CODED.replace(
        "{what}", "tanh on the hidden layers and a sigmoid on layer L")),
    (dict(bias="none"), "the biases are missing: s^(l) = W^(l) x^(l-1) + b^(l)"),
    (dict(bias="after"), "the bias was added after sigma: it belongs inside, "
                         "x^(l) = sigma(W^(l) x^(l-1) + b^(l))"),
    (dict(sigma="none-last"), "that is s^(L); the output is x^(L) = sigma(s^(L))"),
    (dict(transpose=True), "you multiplied by the transpose of W^(l) (W^T x, or x @ W): "
                           "s^(l) = W^(l) x^(l-1) with W^(l) of shape (d_l, d_{l-1}); row j "
                           "holds the weights into neuron j"),
]
BATCH_MISTAKES = [
    (dict(one_sample=True), "this is the one-sample formula W^(l) x applied to the batch, as if "
                            "its columns were the samples: with samples as rows, the batch form "
                            "is S = X W^T + b"),
]


def _has(net):
    """The activations of ``net`` in words, e.g. "relu on layers 1..2 and identity on layer 3"."""
    hidden = f"{net.sigma.name} on layers 1..{net.L - 1} and " if net.L > 1 else ""
    return f"{hidden}{net.output_sigma.name} on layer {net.L}"


def _entries(shape, sizes):
    """What the student's one-sample result holds, in words: ", as many entries as x^(0)"."""
    if len(shape) != 1:
        return f", {len(shape)} axes where one sample's x^(L) has one"
    layers = [l for l, d in enumerate(sizes) if d == shape[0]]
    return f", as many entries as x^({layers[0]})" if layers else ""


def _mistakes(net, x, got, batch):
    """Name the step of the forward pass that went wrong."""
    for k in range(1, net.L):
        early = _variant(net, x, batch, layers=range(1, k + 1))
        if got.shape == early.shape and net.sizes[k] != net.sizes[-1] or (
                got.shape == early.shape and np.allclose(got, early)):
            raise AssertionError(
                f"your result has the size of x^({k}){' = x^(L-1)' if k == net.L - 1 else ''}, "
                f"the output of layer {k}; this network has L = {net.L} layers: your forward "
                f"pass stops after layer {k}, where it runs through every layer l = 1..L, "
                "whatever L is (a loop over range(a, b) stops before b)")
    for kwargs, message in MISTAKES + (BATCH_MISTAKES if batch else []):
        try:
            wrong = _variant(net, x, batch, **kwargs)
        except ValueError:   # this mistake cannot run on these shapes
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong):
            raise AssertionError(message.replace("{net_has}", _has(net)))


def _net(sizes=(3, 4, 5, 2), sigma=activations.tanh, output_sigma=activations.sigmoid, seed=7):
    net = MLP(list(sizes), sigma=sigma, output_sigma=output_sigma, seed=seed)
    rng = np.random.default_rng(seed)
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


# Networks that widen and narrow, with L = 3, 1 and 4 and activations other than tanh
# and sigmoid: a forward pass that fits one network only shows on another.
def _nets():
    return [_net(), _net((2, 3), activations.relu, activations.relu, seed=1),
            _net((2, 5, 3, 6, 4), activations.relu, activations.identity, seed=3)]


def test_forward(forward):
    """Raise AssertionError, in the lecture's words, unless forward(net, x) is x^(L)."""
    for i, net in enumerate(_nets()):
        x = np.random.default_rng(i).normal(size=net.sizes[0])
        try:
            got = _array(run(forward, net, x.copy(), rules=RULES, hint=HINT).value, "x^(L)")
        except ShapeError as e:
            if i:
                _mistakes_after_error(forward, net, x, False, e)
            _on_square(forward, False, e)
        want = reference_forward(net, x)
        if got.shape == want.shape and np.allclose(got, want):
            continue
        _mistakes(net, x, got, batch=False)
        assert got.shape == want.shape, (
            f"for sizes {net.sizes} your x^(L) has shape {got.shape}"
            f"{_entries(got.shape, net.sizes)}: x^(L) = f(x; W, b) is one vector with one entry "
            "per neuron of the output layer L")
        if i:
            raise AssertionError(
                f"right for the network of sizes {_nets()[0].sizes} but not for sizes "
                f"{net.sizes} ({_has(net)}): the forward pass reads L, W^(l), b^(l) and the "
                "activation of each layer from the network it is given")
        raise AssertionError("x^(L) differs from the forward pass s^(l) = W^(l) x^(l-1) + b^(l), "
                             "x^(l) = sigma(s^(l)); compare your x^(1) with "
                             "net.activation(1)(W^(1) x + b^(1))")


def _mistakes_after_error(fn, net, x, batch, error):
    """A shape error on a network of another depth: a forward pass written for one L."""
    raise AssertionError(f"{error} Your code runs on the network of sizes {_nets()[0].sizes} "
                         f"but not on sizes {net.sizes} (L = {net.L}): the loop runs over "
                         "l = 1..L with the network's own net.L, net.W[l], net.b[l]") from None


def test_forward_batch(forward_batch):
    """Raise AssertionError, in the lecture's words, unless rows are samples."""
    for i, (net, N) in enumerate(zip(_nets(), (6, 1, 4))):
        X = np.random.default_rng(8 + i).normal(size=(N, net.sizes[0]))
        log = Log()
        try:
            out = run(forward_batch, net, watched(X, "X", log), rules=BATCH, hint=BATCH_HINT,
                      count={"sigma": Function.__call__})
        except ShapeError as e:
            if i:
                _mistakes_after_error(forward_batch, net, X, True, e)
            _on_square(forward_batch, True, e)
        got = _array(out.value, "X^(L)")
        want = reference_forward_batch(net, X)
        if got.shape == (net.sizes[-1], N) != want.shape:
            raise AssertionError(f"your result has shape (d_L, N) = {got.shape}: one row per "
                                 "output neuron and one column per sample; samples are rows, "
                                 "in X^(L) as in X")
        if got.shape == want.shape and np.allclose(got, want):
            if log["X", "item"] or log["X", "iter"] or out.counts["sigma"] > net.L:
                raise MethodError(
                    "the values are right, but your code loops over the samples; the exercise "
                    "asks for no loop over the samples: one matrix product per layer, "
                    "S = X W^T + b, handles every row at once")
            continue
        _mistakes(net, X, got, batch=True)
        assert got.shape == want.shape, (
            f"for N = {N} samples and sizes {net.sizes} your X^(L) has shape {got.shape}: row n "
            "of X^(L) is f(x_n; W, b), the output of sample n, row n of X")
        if i:
            raise AssertionError(
                f"right for the network of sizes {_nets()[0].sizes} but not for N = {N} "
                f"samples and sizes {net.sizes} ({_has(net)}): the forward pass reads L, "
                "W^(l), b^(l) and each layer's activation from the network, and N from X")
        raise AssertionError("row n of X^(L) should be f(x_n; W, b); in batch form "
                             "S = X W^T + b, then X^(l) = sigma(S)")
