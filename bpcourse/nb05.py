r"""Checks for notebook 05, gradient descent on an MLP.

Gradient descent needs dl_n/dW^(l)_jk and dl_n/db^(l)_j for every layer l.
Central differences give each one from two forward passes,

    dl_n/dw ~ (l_n(w + h) - l_n(w - h)) / (2 h),

so the whole gradient costs two forward passes per parameter.
"""
import numpy as np

from bplib import losses
from bplib.mlp import MLP


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


def _problem():
    net = MLP([3, 4, 2], sigma="sigmoid", seed=1)
    rng = np.random.default_rng(5)
    return net, rng.normal(size=3), rng.normal(size=2)


def test_finite_differences(student_fn):
    """The student's (dW, db) against backprop, with the network left as it was."""
    net, x, y = _problem()
    before = {l: (net.W[l].copy(), net.b[l].copy()) for l in range(1, net.L + 1)}
    out = student_fn(net, x.copy(), y.copy(), losses.quadratic)
    assert isinstance(out, tuple) and len(out) == 2, (
        "return the pair (dW, db) of dicts keyed by the layer number l")
    dW, db = out
    for l in range(1, net.L + 1):
        W, b = before[l]
        assert np.array_equal(net.W[l], W) and np.array_equal(net.b[l], b), (
            f"the network changed: W^({l}) or b^({l}) is not what it was. Put every nudged "
            "parameter back to its old value after the two forward passes")
    want = net.gradients(x, y, losses.quadratic)
    for l in range(1, net.L + 1):
        for symbol, got, ref, shape in (("W", dW, want.W[l], net.W[l].shape),
                                        ("b", db, want.b[l], net.b[l].shape)):
            name = f"dl/d{symbol}^({l})"
            try:
                g = np.asarray(got[l], dtype=float)
            except (KeyError, IndexError, TypeError):
                raise AssertionError(
                    f"{name} is missing: d{symbol}[{l}] should hold it, for every layer "
                    f"l = 1..L = 1..{net.L} (there is no layer 0 with parameters)") from None
            if g.shape != shape:
                hint = (": it looks transposed; entry (j, k) is dl/dw^l_jk, row j for neuron j"
                        if g.shape == shape[::-1] else "")
                raise AssertionError(f"{name} should have the shape of {symbol}^({l}), {shape}, "
                                     f"got {g.shape}{hint}")
            if np.allclose(g, ref, rtol=1e-5, atol=1e-8):
                continue
            if np.allclose(g, 2 * ref, rtol=1e-4, atol=1e-8):
                raise AssertionError(f"{name} is twice the gradient: a central difference "
                                     "divides by 2h, the distance between w + h and w - h")
            if np.allclose(g, -ref, rtol=1e-4, atol=1e-8):
                raise AssertionError(f"{name} has the wrong sign: it is (l(w + h) - l(w - h)) / 2h")
            raise AssertionError(f"{name} differs from the gradient that backprop gives "
                                 f"(largest gap {np.max(np.abs(g - ref)):.2e})")
