r"""Checks for notebook 08, backpropagation through an MLP.

Going from layer L down to layer 1,

    dl/ds^(l)   = J_sigma(s^(l))^T dl/dx^(l)    (sigma'(s^(l)) * dl/dx^(l), element-wise sigma)
    dl/dW^(l)   = dl/ds^(l) (x^(l-1))^T         (an outer product, summed over a batch)
    dl/db^(l)   = dl/ds^(l)                      (summed over a batch)
    dl/dx^(l-1) = (W^(l))^T dl/ds^(l)

The student's backward pass is judged by ``bplib.gradient_check``, which
compares it with finite differences; a wrong one is compared with the
backward pass of each usual mistake (``MISTAKES``) to name it. An answer that
calls bplib's own backward pass (net.backward, net.gradients) is refused.
"""
from types import SimpleNamespace

import numpy as np

from bplib import losses
from bplib.gradcheck import gradient_check
from bplib.mlp import MLP

from .method import BACKPROP, CHAIN, FINITE_DIFFERENCES, Rules, reference, run

RULES = Rules("your own backward pass, layer by layer from l = L down to 1",
              {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN})
HINT = ("W^(l) has shape (d_l, d_{l-1}): dl/dx^(l-1) = (W^(l))^T dl/ds^(l), which for rows is "
        "dl_ds @ net.W[l]; dl/dW^(l) = dl/ds^(l) (x^(l-1))^T has the shape of W^(l)")


@reference
def backward(net, trace, dl_dxL):
    """The reference: bplib's own backward pass, with the exercise's signature."""
    return net.backward(trace, dl_dxL)


def _variant(net, trace, dl_dxL, back_W="W", dsigma="s", db="ds", x_in="prev", reduce="sum"):
    """The backward pass with one chosen mistake (element-wise activations only)."""
    dW, db_ = {}, {}
    dl_dx = dl_dxL
    for l in range(net.L, 0, -1):
        act = net.activation(l)
        dl_ds = {"s": lambda: act.backward(trace.s[l], trace.x[l], dl_dx),
                 "x": lambda: act.derivative(trace.x[l]) * dl_dx,
                 "none": lambda: dl_dx}[dsigma]()
        x_prev = trace.x[l - 1] if x_in == "prev" else trace.x[l]
        rows = np.atleast_2d(dl_ds)
        n = len(rows) if reduce == "mean" else 1
        dW[l] = rows.T @ np.atleast_2d(x_prev) / n
        db_[l] = (rows.sum(axis=0) / n) if db == "ds" else np.zeros_like(net.b[l])
        dl_dx = dl_ds @ (net.W[l] if back_W == "W" else net.W[l].T)
    return SimpleNamespace(W=dW, b=db_)


MISTAKES = [
    (dict(back_W="WT"), "W^(l) where (W^(l))^T belongs: dl/dx^(l-1) = (W^(l))^T dl/ds^(l), "
                        "which for rows is dl_ds @ net.W[l]"),
    (dict(dsigma="x"), "sigma'(x^(l)) where sigma'(s^(l)) belongs: the derivative of the "
                       "activation is taken at the weighted input s^(l) = trace.s[l], the value "
                       "that enters sigma"),
    (dict(dsigma="none"), "sigma' is missing: dl/ds^(l) = sigma'(s^(l)) * dl/dx^(l) needs the "
                          "derivative of the activation"),
    (dict(db="zero"), "dl/db^(l) is 0: the bias enters s^(l) with derivative 1, so "
                      "dl/db^(l) = dl/ds^(l) (summed over a batch)"),
    (dict(x_in="this"), "dl/dW^(l) = dl/ds^(l) (x^(l-1))^T takes the activation that enters "
                        "layer l, x^(l-1) = trace.x[l - 1], not x^(l)"),
    (dict(reduce="mean"), "the gradients are divided by N: the lecture's loss is the sum over "
                          "samples, not the mean"),
]


def _cases():
    """(what, net, x, y, loss): one sample and a batch, element-wise and softmax outputs."""
    rng = np.random.default_rng(8)
    yield ("one sample, sigmoid layers, quadratic loss",
           MLP([3, 4, 2], sigma="sigmoid", seed=2), rng.normal(size=3), rng.normal(size=2),
           losses.quadratic)
    yield ("a batch of 5 samples, tanh layers, quadratic loss",
           MLP([3, 5, 4, 2], sigma="tanh", seed=3), rng.normal(size=(5, 3)),
           rng.normal(size=(5, 2)), losses.quadratic)
    yield ("a batch of 4 samples, softmax output, cross-entropy loss",
           MLP([4, 6, 3], sigma="tanh", output_sigma="softmax", seed=4),
           rng.normal(size=(4, 4)), np.array([0, 2, 1, 2]), losses.cross_entropy)


def _square():
    net = MLP([3, 3, 3, 3], sigma="tanh", seed=5)
    rng = np.random.default_rng(6)
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(size=3)
    return net, rng.normal(size=3), rng.normal(size=3)   # one sample: W x and W^T x both run


def _name(student_fn, net, x, y, loss):
    """The message of the usual mistake the student's pass matches on this case, or None."""
    if any(net.activation(l).name == "softmax" for l in range(1, net.L + 1)):
        return None
    trace = net.forward(x)
    dl_dxL = loss.gradient(trace.output, y)
    try:
        got = student_fn(net, trace, dl_dxL.copy())
        mine = [np.asarray(got.W[l], dtype=float) for l in range(1, net.L + 1)] + \
            [np.asarray(got.b[l], dtype=float) for l in range(1, net.L + 1)]
    except Exception:
        return None
    for kwargs, message in [({}, None)] + MISTAKES:   # right here: no mistake to name
        try:
            v = _variant(net, trace, dl_dxL, **kwargs)
        except ValueError:
            continue
        theirs = [v.W[l] for l in range(1, net.L + 1)] + [v.b[l] for l in range(1, net.L + 1)]
        if all(a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-10)
               for a, b in zip(mine, theirs)):
            return message
    return None


def _shape_of_result(grads, net, trace):
    """Name a result of the wrong kind or of one-sample shapes on a batch."""
    if isinstance(grads, dict) or isinstance(grads, (tuple, list)):
        raise AssertionError(f"you returned a {type(grads).__name__}; return "
                             "SimpleNamespace(W=dW, b=db), so that result.W[l] is dl/dW^(l)")
    for symbol in ("W", "b"):
        part = getattr(grads, symbol, None)
        if isinstance(part, list):
            raise AssertionError(f"d{symbol} is a list; make it a dict keyed by the layer number "
                                 f"l = 1..L, d{symbol}[l] = ... (layer 0 has no parameters)")
    if trace.output.ndim != 2:
        return
    N = trace.output.shape[0]
    for l in range(1, net.L + 1):
        try:
            gW, gb = np.shape(grads.W[l]), np.shape(grads.b[l])
        except Exception:
            return
        if gW == (N * net.sizes[l], N * net.sizes[l - 1]):
            raise AssertionError(
                f"dl/dW^({l}) has shape {gW}: np.outer flattens a batch; for samples as rows, "
                "dl/dW^(l) = sum_n dl/ds_n (x_n^(l-1))^T = dl_ds.T @ x_prev")
        if gb == (N, net.sizes[l]):
            raise AssertionError(
                f"dl/db^({l}) has shape {gb}, one row per sample: over a batch it is summed, "
                "dl/db^(l) = dl_ds.sum(axis=0), the shape of b^(l)")


def test_backward(student_fn):
    """gradient_check on each case, with the network and the trace left unchanged."""
    for what, net, x, y, loss in _cases():
        trace = net.forward(x)
        try:
            grads = run(student_fn, net, trace, loss.gradient(trace.output, y), rules=RULES,
                        hint=HINT, changed={
                            0: "your backward pass changed W^(l) or b^(l): it must only read "
                               "the network and the trace",
                            1: "your backward pass changed the trace x^(l) or s^(l): compute "
                               "new arrays instead of updating those in place"}).value
        except AssertionError as error:
            if "numpy" not in str(error):
                raise
            named = _name(student_fn, *_square(), losses.quadratic)
            batch = "" if trace.output.ndim == 1 else (
                "one-sample code on a batch? With samples as rows, dl_ds has shape (N, d_l): "
                "dl/dx^(l-1) is dl_ds @ net.W[l] and dl/dW^(l) is dl_ds.T @ x_prev. ")
            raise AssertionError(f"on {what}: {named or batch + str(error)}") from None
        _shape_of_result(grads, net, trace)
        result = gradient_check(net, x, y, loss, backward=student_fn)
        if not result.passed:
            named = _name(student_fn, net, x, y, loss) or \
                _name(student_fn, *_square(), losses.quadratic)
            raise AssertionError(f"on {what}: {named}" if named else
                                 f"on {what}, bplib.gradient_check says:\n{result}")
