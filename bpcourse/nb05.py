r"""Checks for notebook 05, gradient descent on an MLP.

Gradient descent needs dl_n/dW^(l)_jk and dl_n/db^(l)_j for every layer l.
Central differences give each one from two forward passes,

    dl_n/dw ~ (l_n(w + h) - l_n(w - h)) / (2 h),

so the whole gradient costs two forward passes per parameter. The check
counts them, holds the answer to the step h it is given, and refuses one
that calls backpropagation (net.gradients, net.backward) or bplib's own
finite differences.
"""
import numpy as np

from bplib import losses
from bplib.mlp import MLP

from .method import (BACKPROP, CHAIN, FINITE_DIFFERENCES, RUN_NETWORK, MethodError, Rules, pair,
                     reference, run)

RULES = Rules("finite differences, not backprop: nudge each parameter by +h and -h yourself "
              "and run the forward pass net(x)", {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN},
              allow=RUN_NETWORK)


@reference
def finite_difference_gradients(net, x, y, loss=losses.quadratic, h=1e-5):
    """dl/dW^(l) and dl/db^(l) by central differences: the reference.

    Nudges each parameter of ``net`` in place and puts it back.

    Parameters
    ----------
    net : MLP
    x : array, (d_0,) or (N, d_0)
    y : targets for x
    loss : Loss
    h : float, the nudge

    Returns
    -------
    (dW, db) : dicts {l: array}, dW[l] shaped like W^(l), db[l] like b^(l)
    """
    dW, db = {}, {}
    for l in range(1, net.L + 1):
        for params, grads in ((net.W, dW), (net.b, db)):
            theta = params[l]          # the network's own array: nudged in place
            g = np.zeros_like(theta)
            for i in np.ndindex(theta.shape):
                old = theta[i]
                theta[i] = old + h
                up = loss(net(x), y)
                theta[i] = old - h
                down = loss(net(x), y)
                theta[i] = old
                g[i] = (up - down) / (2 * h)
            grads[l] = g
    return dW, db


def _problem(sizes=(2, 4, 3, 1), N=None, seed=1):
    """A network of L = 3 layers that widen, then narrow; one sample, or a batch of N."""
    net = MLP(list(sizes), sigma="sigmoid", seed=seed)
    rng = np.random.default_rng(seed + 4)
    shape = () if N is None else (N,)
    return net, rng.normal(size=shape + (sizes[0],)), rng.normal(size=shape + (sizes[-1],))


CHANGED = ("the network changed: a W^(l) or b^(l) is not what it was. Put every nudged "
           "parameter back to its old value after the two forward passes")


def _compare(dW, db, net, want, h_note="", N=None):
    for l in range(1, net.L + 1):
        for symbol, got, ref, shape in (("W", dW, want[0][l], net.W[l].shape),
                                        ("b", db, want[1][l], net.b[l].shape)):
            name = f"dl/d{symbol}^({l})"
            if isinstance(got, list):
                raise AssertionError(
                    f"d{symbol} is a list; make it a dict keyed by the layer number, "
                    f"d{symbol} = {{}} and d{symbol}[l] = ... for l = 1..L (layer 0 has no "
                    "parameters)")
            try:
                g = np.asarray(got[l], dtype=float)
            except (KeyError, IndexError, TypeError):
                raise AssertionError(
                    f"{name} is missing: d{symbol}[{l}] should hold it, for every layer "
                    f"l = 1..L = 1..{net.L} (there is no layer 0 with parameters)") from None
            if g.shape != shape:
                hint = (": it looks transposed; entry (j, k) is dl/dw^l_jk, row j for neuron j"
                        if g.shape == shape[::-1] else
                        f": a gradient has the shape of what it differentiates, {symbol}^({l}) "
                        f"= net.{symbol}[{l}], one entry per parameter")
                raise AssertionError(f"your {name} has shape {g.shape}{hint}")
            if np.allclose(g, ref, rtol=1e-5, atol=1e-8):
                continue
            if np.allclose(g, 2 * ref, rtol=1e-4, atol=1e-8):
                raise AssertionError(f"{name} is twice the gradient: a central difference "
                                     "divides by 2h, the distance between w + h and w - h")
            if np.allclose(g, -ref, rtol=1e-4, atol=1e-8):
                raise AssertionError(f"{name} has the wrong sign: it is (l(w + h) - l(w - h)) / 2h")
            if N and np.allclose(g, ref / N, rtol=1e-4, atol=1e-8):
                raise AssertionError(
                    f"{name} for a batch of N = {N} samples is the sum over samples divided by "
                    f"N, a mean: the lecture's loss L(W, b) = sum_n l_n is a sum, and the loss "
                    "you are given sums already; do not divide by N")
            if np.allclose(g, 0):
                raise AssertionError(f"{name} is zero: nudge the network's own array in place, "
                                     "net.W[l][j, k] = old + h, so that net(x) sees the nudge")
            raise AssertionError(f"{name} differs from the gradient that backprop gives "
                                 f"(largest gap {np.max(np.abs(g - ref)):.2e}){h_note}")


def test_finite_differences(student_fn):
    """The student's (dW, db) against backprop, with the network left as it was."""
    from bplib.mlp import MLP as _MLP

    net, x, y = _problem()
    out = run(student_fn, net, x.copy(), y.copy(), losses.quadratic, rules=RULES,
              changed={0: CHANGED}, count={"forward passes": _MLP.forward})
    dW, db = pair(out.value, "finite-difference gradients", "dW, db")
    grads = net.gradients(x, y, losses.quadratic)
    P = net.n_parameters
    passes = out.counts["forward passes"]
    for symbol, got in (("W", dW), ("b", db)):
        if isinstance(got, dict) and 0 in got:
            raise AssertionError(f"d{symbol}[0] exists: layers with parameters are numbered "
                                 f"l = 1..L, layer 0 is the input; d{symbol}[l] holds "
                                 f"dl/d{symbol}^(l)")
    if passes == P + 1 or passes == P:
        raise MethodError(f"{passes} forward passes for P = {P} parameters: these are "
                             "one-sided differences; a central difference takes two forward "
                             "passes per parameter, at w + h and at w - h")
    if passes > 2 * P + 1:
        raise MethodError(
            f"{passes} forward passes for P = {P} parameters; central differences need two per "
            f"parameter, 2P = {2 * P}: nudge one parameter at a time, run net(x) at w + h and "
            "at w - h")
    _compare(dW, db, net, (grads.W, grads.b))
    # The step is the caller's: with h = 0.1 the central difference is visibly not the gradient.
    h = 0.1
    dW, db = pair(run(student_fn, net, x.copy(), y.copy(), losses.quadratic, h, rules=RULES,
                      changed={0: CHANGED}).value, "finite-difference gradients", "dW, db")
    if not all(np.allclose(dW[l], r, rtol=1e-8, atol=1e-12) for l, r in
               finite_difference_gradients(net, x, y, losses.quadratic, h)[0].items()):
        assert not all(np.allclose(np.asarray(dW[l]), grads.W[l], rtol=1e-7, atol=1e-10)
                       for l in range(1, net.L + 1)), (
            "finite_difference_gradients(net, x, y, loss, h) ignores the step h it is given: "
            "with h = 0.1 a central difference differs from the gradient; nudge by h")
        raise AssertionError("with h = 0.1 your dW is not the central difference "
                             "(l(w + h) - l(w - h)) / (2h) with that step")
    # A batch of N samples on a network that narrows, then widens: L = sum_n l_n.
    net, X, Y = _problem((4, 2, 3), N=5, seed=2)
    dW, db = pair(run(student_fn, net, X.copy(), Y.copy(), losses.quadratic, rules=RULES,
                      changed={0: CHANGED}).value, "finite-difference gradients", "dW, db")
    grads = net.gradients(X, Y, losses.quadratic)
    _compare(dW, db, net, (grads.W, grads.b), N=len(X))
