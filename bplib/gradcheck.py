"""Gradient checking: backprop against finite differences, parameter by parameter.

The relative error ||g - n|| / (||g|| + ||n||) of each dl/dW^(l), dl/db^(l)
is about 1e-10 for a correct backward pass in float64; a wrong one is rarely
below 1e-3. Where it fails, the check says what the error looks like.
"""
import numbers

import numpy as np

from . import activations, losses
from ._check import NotationError
from .calculus import STEP
from .mlp import MLP


def numerical_gradients(net, x, y, loss=losses.quadratic):
    """dL/dW^(l) and dL/db^(l) by central differences, on a copy of the network.

    Costs two forward passes per parameter.

    Returns
    -------
    dict
        {"W^(l)": array (d_l, d_{l-1}), "b^(l)": array (d_l,)} for l = 1..L
    """
    loss = losses.get(loss)
    probe = net.copy()
    trace = probe.forward(x)
    y = loss.targets(trace.output, y)
    result = {}
    for l in range(1, net.L + 1):
        for symbol, params in (("W", probe.W), ("b", probe.b)):
            theta = params[l]  # perturbed in place, on the copy only
            g = np.zeros_like(theta)
            for i in np.ndindex(theta.shape):
                old = theta[i]
                h = STEP * max(1.0, abs(old))
                theta[i] = old + h
                up = loss.value(probe(x), y)
                theta[i] = old - h
                down = loss.value(probe(x), y)
                theta[i] = old
                g[i] = (up - down) / (2 * h)
            result[f"{symbol}^({l})"] = g
    return result


def relative_error(g, n):
    """||g - n|| / (||g|| + ||n||), 0 when both vanish."""
    scale = np.linalg.norm(g) + np.linalg.norm(n)
    return 0.0 if scale == 0 else float(np.linalg.norm(g - n) / scale)


def _without_dsigma(net, trace, dl_dxL):
    """The backward pass a student gets when forgetting sigma' (J_sigma = I)."""
    skip = activations.identity
    plain = MLP(net.sizes, skip, skip)
    for l in range(1, net.L + 1):
        plain.W[l], plain.b[l] = net.W[l], net.b[l]
    return plain._backward(trace, dl_dxL, input_gradient=False)  # net's trace: same W, b


def diagnose(name, g, n, no_dsigma=None, batch=1, rtol=1e-4):
    """Say in the lecture's words what a wrong gradient looks like.

    Parameters
    ----------
    name : str, e.g. "W^(2)"
    g : the gradient to judge
    n : the reference gradient (finite differences), same shape as the parameter
    no_dsigma : the gradient a backward pass without sigma' would give, optional
    batch : the number of samples N

    Returns
    -------
    str
    """
    what = f"dl/d{name}"
    g = np.asarray(g, dtype=float)
    if g.shape != n.shape:
        if g.shape == n.T.shape:
            return (f"{what} has shape {g.shape}: it looks transposed; it must have the shape "
                    f"of {name}, {n.shape} (row j holds the weights into neuron j)")
        return f"{what} has shape {g.shape}, but {name} has shape {n.shape}"
    close = lambda a, b: np.allclose(a, b, rtol=rtol, atol=1e-8 * (1 + np.abs(b).max()))  # noqa: E731
    if n.ndim == 2 and n.shape[0] == n.shape[1] and close(g, n.T) and not close(g, n):
        return f"{what} looks transposed: entry (j, k) must be dl/dw_jk, the weight into neuron j from k"
    if close(g, -n):
        return f"{what} has the wrong sign: it is the gradient times -1"
    if no_dsigma is not None and close(g, no_dsigma) and not close(g, n):
        return (f"{what} matches a backward pass without sigma': "
                "dl/ds^(l) = sigma'(s^(l)) * dl/dx^(l) needs the derivative of the activation")
    nz = np.abs(n) > 1e-8 * (1 + np.abs(n).max())
    if nz.any():
        ratio = g[nz] / n[nz]
        c = float(np.median(ratio))
        if np.allclose(ratio, c, rtol=1e-3) and not np.isclose(c, 1.0):
            if batch > 1 and np.isclose(c, 1 / batch):
                return (f"{what} is off by a factor 1/N = 1/{batch}: the lecture's loss is the sum "
                        "over samples, not the mean")
            return f"{what} is off by a constant factor {c:.4g}"
    return f"{what} differs from the finite differences"


class GradCheck:
    """The result of ``gradient_check``: ``passed``, ``errors``, ``diagnosis``."""

    def __init__(self, errors, shapes, diagnosis, tol):
        self.errors, self.shapes, self.diagnosis, self.tol = errors, shapes, diagnosis, tol

    @property
    def passed(self):
        return not self.diagnosis and all(e < self.tol for e in self.errors.values())

    def __bool__(self):
        return self.passed

    def __str__(self):
        rows = [f"{'parameter':<10} {'shape':<10} {'relative error':>15}  verdict"]
        for name, err in self.errors.items():
            ok = "ok" if err < self.tol else "WRONG"
            rows.append(f"{name:<10} {str(self.shapes[name]):<10} {err:>15.1e}  {ok}")
        if self.passed:
            rows.append(f"passed: every relative error is below tol = {self.tol:.0e}")
        else:
            rows.append(f"failed (tol = {self.tol:.0e}):")
            rows += [f"  - {d}" for d in self.diagnosis]
        return "\n".join(rows)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def gradient_check(net, x, y, loss=losses.quadratic, backward=None, tol=1e-6):
    """Compare a backward pass with finite differences for every W^(l), b^(l).

    Parameters
    ----------
    net : MLP (not changed)
    x : array, (d_0,) or (N, d_0)
    y : targets for x
    loss : Loss or str
    backward : callable, optional
        ``backward(net, trace, dl_dxL)`` returning an object with ``.W[l]`` and
        ``.b[l]`` (a student's backward pass); default bplib's own, ``net.gradients``.
    tol : float
        The largest relative error that passes.

    Returns
    -------
    GradCheck
    """
    if not isinstance(net, MLP):
        raise NotationError(f"gradient_check takes a bplib.MLP, got {type(net).__name__}")
    if backward is not None and not callable(backward):
        raise NotationError("backward must be a function backward(net, trace, dl_dxL), "
                            f"got {backward!r}")
    if (isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol)
            or tol <= 0):
        raise NotationError(f"tol must be a positive number such as 1e-6, got {tol!r}")
    loss = losses.get(loss)
    reference = numerical_gradients(net, x, y, loss)
    trace = net.forward(x)
    dl_dxL = loss.gradient(trace.output, y)
    batch = 1 if trace.output.ndim == 1 else trace.output.shape[0]
    if backward is None:  # bplib's own: from dl/ds^(L) = x^(L) - y after softmax + cross-entropy
        grads = net.gradients(x, y, loss, input_gradient=False)
    else:
        grads = backward(net, trace, dl_dxL.copy())
    no_dsigma = _without_dsigma(net, trace, dl_dxL)
    errors, shapes, diagnosis = {}, {}, []
    for l in range(1, net.L + 1):
        for symbol in ("W", "b"):
            name = f"{symbol}^({l})"
            n = reference[name]
            shapes[name] = n.shape
            try:
                g = np.asarray(getattr(grads, symbol)[l], dtype=float)
            except Exception as e:  # a student's result without this entry
                errors[name] = np.inf
                diagnosis.append(f"dl/d{name} is missing from the result or is not an array: "
                                 f"{type(e).__name__}: {e}")
                continue
            if g.shape != n.shape:
                errors[name] = np.inf
            elif not np.isfinite(g).all():
                errors[name] = np.inf
                diagnosis.append(f"dl/d{name} holds NaN or infinite values")
                continue
            else:
                errors[name] = relative_error(g, n)
            if errors[name] >= tol:
                diagnosis.append(diagnose(name, g, n, getattr(no_dsigma, symbol)[l], batch))
    return GradCheck(errors, shapes, diagnosis, tol)
