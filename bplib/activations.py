r"""Activation functions sigma, with what the backward pass needs of them.

An element-wise sigma has J_sigma(s) = diag(sigma'(s)), so
dl/ds = sigma'(s) * dl/dx (Fleuret's ``dl_ds = dsigma(s) * dl_dx``).
Softmax is not element-wise: its Jacobian is diag(x) - x x^T, and
dl/ds = J^T dl/dx must use it whole.
"""
import numpy as np

from ._check import NotationError
from .calculus import Function


class Activation(Function):
    """An activation sigma with sigma' and the backward step dl/dx -> dl/ds.

    Parameters
    ----------
    name : str
    f, df : callable
        sigma and sigma', element-wise on arrays of any shape.
    df_from_x : callable, optional
        sigma' written in terms of x = sigma(s), which the forward pass kept;
        cheaper than recomputing from s (sigmoid: x (1 - x)). It must return
        a new array.
    """

    def __init__(self, name, f, df, df_from_x=None, latex=None):
        super().__init__(name, f, df, latex=latex)
        self.df_from_x = df_from_x

    def backward(self, s, x, dl_dx):
        """dl/ds from dl/dx at s, where x = sigma(s).

        Parameters
        ----------
        s, x, dl_dx : arrays of one shape, (d,) or (N, d)

        Returns
        -------
        dl_ds : array of the same shape
        """
        if self.df_from_x is None:
            return self.df(s) * dl_dx
        dl_ds = self.df_from_x(x)  # a new array, so the product can be taken in place
        dl_ds *= dl_dx
        return dl_ds


@np.errstate(over="ignore", under="ignore")  # as a decorator: half the cost of a with-block
def _sigmoid(s):
    # 1 / (1 + e^{-s}) in place on one new array: exact in relative terms in
    # both tails. For s < -709, e^{-s} overflows to inf and 1 / inf = 0 is the
    # right value, so that overflow (and e^{-s} = 0 for s > 745) is not worth a warning.
    x = np.asarray(np.negative(s, dtype=float))
    np.exp(x, out=x)
    x += 1
    np.divide(1.0, x, out=x)  # 1 / x, as np.reciprocal but faster
    return x if x.ndim else x[()]


def _dsigmoid_from_x(x):
    # sigma' = x (1 - x) with one new array
    d = np.subtract(1.0, x)
    d *= x
    return d


def _dtanh_from_x(x):
    # tanh' = 1 - x^2 with one new array: a second temporary costs a page fault per
    # 4 KiB where the allocator hands freed memory back to the system
    d = np.multiply(x, x, out=np.empty(np.shape(x)))  # an array for a number too
    np.subtract(1.0, d, out=d)
    return d if d.ndim else d[()]


sigmoid = Activation("sigmoid", _sigmoid, lambda s: _dsigmoid_from_x(_sigmoid(s)),
                     df_from_x=_dsigmoid_from_x, latex=r"\sigma({})")
tanh = Activation("tanh", np.tanh, lambda s: _dtanh_from_x(np.tanh(s)),
                  df_from_x=_dtanh_from_x, latex=r"\tanh({})")
relu = Activation("relu", lambda s: np.maximum(s, 0), lambda s: np.greater(s, 0).astype(float),
                  df_from_x=lambda x: np.greater(x, 0).astype(float),
                  latex=r"\mathrm{{ReLU}}({})")
identity = Activation("identity", lambda s: s, np.ones_like, latex="{}")


class Softmax(Function):
    r"""softmax(s)_j = e^{s_j} / sum_k e^{s_k}, over the last axis.

    Not element-wise: each output depends on every input, so
    J(s) = diag(x) - x x^T with x = softmax(s).
    """

    def __init__(self):
        super().__init__("softmax", self._f, jac=self._jac, latex=r"\mathrm{{softmax}}({})")

    @staticmethod
    def _f(s):
        e = np.exp(s - s.max(axis=-1, keepdims=True))  # shifted: no overflow
        return e / e.sum(axis=-1, keepdims=True)

    def _jac(self, s):
        x = self._f(s)
        return np.diag(x) - np.outer(x, x)

    def backward(self, s, x, dl_dx):
        """dl/ds = J(s)^T dl/dx = x * (dl/dx - <x, dl/dx>), row by row.

        Parameters
        ----------
        s, x, dl_dx : arrays of one shape, (d,) or (N, d)

        Returns
        -------
        dl_ds : array of the same shape
        """
        return x * (dl_dx - np.sum(x * dl_dx, axis=-1, keepdims=True))


softmax = Softmax()

ACTIVATIONS = {a.name: a for a in (sigmoid, tanh, relu, identity, softmax)}


def get(sigma):
    """An activation by object or name ('sigmoid', 'tanh', 'relu', 'identity', 'softmax')."""
    if isinstance(sigma, str):
        if sigma not in ACTIVATIONS:
            raise NotationError(f"unknown activation {sigma!r}; choose one of {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[sigma]
    if not hasattr(sigma, "backward"):
        raise NotationError(
            f"sigma must be a bplib activation (it needs sigma' for the backward pass), got {sigma!r}")
    return sigma
