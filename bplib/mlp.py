r"""The multi-layer perceptron in the lecture's notation.

Layer 0 is the input x^(0) = x; layers l = 1..L have parameters W^(l) of
shape (d_l, d_{l-1}) and b^(l) of shape (d_l,):

    s^(l) = W^(l) x^(l-1) + b^(l),    x^(l) = sigma(s^(l)).

A batch holds samples as rows, so the same step reads S = X W^T + b.
"""
import math
import os

import numpy as np

from . import activations, losses
from ._check import (NotationError, as_real_array, is_whole, require_finite, require_layer,
                     shape_message)


M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3  # from glibc's malloc.h
_freed_memory_kept = None  # None until glibc was asked (once, by the first net.gradients)


def keep_freed_memory(nbytes=64 << 20):
    """Ask glibc to keep up to ``nbytes`` of freed memory for the next training step.

    A step builds its trace and gradients afresh and drops the last step's. glibc hands
    freed memory at the top of its heap back to the system, and the next step pays a page
    fault for each 4 KiB page it touches again: on [784, 256, 256, 10] (N = 128) and
    [784, 1024, 1024, 10] (N = 256), 1000 to 6000 faults that made a step 1.4 to 1.7 times
    slower (``benchmarks/backprop.py --system-malloc``). ``net.gradients`` calls this once
    per process, so a process that trains keeps up to 64 MiB more than it uses; arrays up
    to 32 MiB (glibc's own adaptive limit) then come from the heap. Importing bplib
    changes nothing.

    Parameters
    ----------
    nbytes : int
        How much freed memory to keep; 0, called before any ``net.gradients``, leaves
        glibc as it is.

    Returns
    -------
    bool
        Whether glibc was asked and agreed; False elsewhere (macOS, Windows, musl, Pyodide).
    """
    global _freed_memory_kept
    _freed_memory_kept = False
    try:
        import ctypes  # here, not at import time: only training needs it
        glibc = os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
        libc = ctypes.CDLL("libc.so.6")
    except (ImportError, AttributeError, ValueError, OSError):  # not glibc, or no ctypes
        return False
    if glibc and nbytes > 0:
        _freed_memory_kept = bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
                                  and libc.mallopt(M_TOP_PAD, int(nbytes)))
    return _freed_memory_kept


class PerLayer:
    """Per-layer values indexed by the lecture's layer numbers, ``A[l]``.

    A plain list underneath, one entry for each l = 0..L, so the passes index it
    by l with no lookups in between; entries that do not exist (s^(0), W^(0),
    a gradient that was not computed) are None, and asking for them explains
    the numbering. Iterating gives the layer numbers, in order, like a dict's keys.

    Parameters
    ----------
    symbol : str
        How the quantity is written, e.g. ``"s"`` prints as ``s^(2)``.
    values : list
        ``values[l]`` for l = 0..L.
    """

    __slots__ = ("symbol", "_values")

    def __init__(self, symbol, values):
        self.symbol, self._values = symbol, values

    @property
    def L(self):
        return len(self._values) - 1

    def __getitem__(self, l):
        if type(l) is int and 0 <= l < len(self._values):  # the fast path skips the checks
            value = self._values[l]
            if value is not None:
                return value
        return self._missing(l)

    def _missing(self, l):
        l = require_layer(l, self.L, self.symbol)  # a numpy integer, or explains the numbering
        if self._values[l] is not None:
            return self._values[l]
        if l == 0 and self.symbol == "dl/dx":
            raise NotationError(
                "dl/dx^(0) was not computed: these gradients are for the parameters only, as "
                "training needs them (input_gradient=False, the default of net.gradients); "
                "ask for it with input_gradient=True")
        raise NotationError(f"{self.symbol}^({l}) was not computed")

    def __setitem__(self, l, value):
        # a value of another shape would make the passes fail far from here
        old = self[l]
        if np.shape(value) != np.shape(old):
            raise NotationError(f"{self.symbol}^({l}) must keep its shape {np.shape(old)}, "
                                f"got {np.shape(value)}")
        self._values[l] = value

    def __iter__(self):
        return (l for l, v in enumerate(self._values) if v is not None)

    def __len__(self):
        return sum(v is not None for v in self._values)

    def __contains__(self, l):
        return type(l) is int and 0 <= l < len(self._values) and self._values[l] is not None

    def keys(self):
        return list(self)

    def items(self):
        return [(l, self._values[l]) for l in self]

    def values(self):
        return [self._values[l] for l in self]

    def __repr__(self):
        return "{" + ", ".join(f"{l}: array{np.shape(self._values[l])}" for l in self) + "}"


class Layers(PerLayer):
    """W^(l) or b^(l) for l = 1..L, ``A[l]``.

    Assigning checks the shape and the values first, and stores a float64
    copy, so a bad assignment never changes what was there.

    Parameters
    ----------
    symbol : str, ``"W"`` or ``"b"``
    shapes : list
        ``shapes[l] = (shape, symbols)`` for l = 1..L; ``shapes[0]`` is None.
    """

    __slots__ = ("shapes",)

    def __init__(self, symbol, shapes):
        super().__init__(symbol, [None] * len(shapes))
        self.shapes = shapes

    def __setitem__(self, l, value):
        self._assign(l, value, copy=True)

    def _assign(self, l, value, copy):
        """``A[l] = value``; ``copy=False`` keeps a float64 array that bplib has just made."""
        l = require_layer(l, self.L, self.symbol)
        name = f"{self.symbol}^({l})"
        shape, symbols = self.shapes[l]
        if copy or not (type(value) is np.ndarray and value.dtype == np.float64):
            a = as_real_array(value, name)
        else:
            a = value
        if a.shape != shape:
            raise NotationError(shape_message(name, shape, symbols, a.shape))
        try:
            require_finite(a, name)
        except NotationError as e:
            if value is self._values[l]:  # net.W[l] -= ...: numpy changed it before the check
                raise NotationError(
                    f"{e}. The update was made in place (-=), so {name} already holds these "
                    f"values; write net.{self.symbol}[l] = net.{self.symbol}[l] - lr * g "
                    "to have a bad update refused with nothing lost") from None
            raise
        self._values[l] = a


class Trace:
    """What the forward pass kept: ``x[l]`` for l = 0..L and ``s[l]`` for l = 1..L.

    Each is (d_l,) for one sample, (N, d_l) for a batch.

    Parameters
    ----------
    x, s : PerLayer, or lists indexed by l (``s[0]`` None)
    net : MLP, optional, the network that made it
    """

    def __init__(self, x, s, net=None):
        self.x = x if isinstance(x, PerLayer) else PerLayer("x", list(x))
        self.s = s if isinstance(s, PerLayer) else PerLayer("s", list(s))
        self.net = net

    @property
    def output(self):
        """x^(L) = f(x; W, b)."""
        return self.x[self.x.L]

    def __repr__(self):
        return f"Trace(x={self.x!r}, s={self.s!r})"


class Grads:
    """dl/dW^(l), dl/db^(l), dl/ds^(l), dl/dx^(l), each shaped like its value.

    ``loss`` is the loss value when the gradients came from ``net.gradients``.

    Parameters
    ----------
    W, b, s, x : lists indexed by l = 0..L (None where a gradient does not exist)
    """

    def __init__(self, W, b, s, x, loss=None):
        self.W, self.b = PerLayer("dl/dW", W), PerLayer("dl/db", b)
        self.s, self.x = PerLayer("dl/ds", s), PerLayer("dl/dx", x)
        self.loss = loss

    def __repr__(self):
        return f"Grads(W={self.W!r}, b={self.b!r})"


class MLP:
    """A multi-layer perceptron f(x; W, b) = x^(L).

    Parameters
    ----------
    sizes : sequence of int
        [d_0, d_1, ..., d_L]: the input size, then each layer's number of neurons.
    sigma : Activation or str
        The activation of layers 1..L-1 (and of layer L unless ``output_sigma``).
    output_sigma : Activation or str, optional
        The activation of layer L, e.g. ``softmax`` or ``identity``.
    seed : int, optional
        Seed of the random initial weights, W^(l)_jk ~ N(0, 1/d_{l-1}); b^(l) = 0.
    """

    def __init__(self, sizes, sigma=activations.sigmoid, output_sigma=None, seed=None):
        try:
            sizes = [sizes] if is_whole(sizes) else list(sizes)
        except TypeError:
            sizes = [sizes]  # not a sequence: refused just below
        if len(sizes) < 2 or not all(is_whole(d) and d >= 1 for d in sizes):
            raise NotationError(
                "sizes must be [d_0, d_1, ..., d_L] with L >= 1 and every d_l a positive "
                f"whole number, got {sizes!r}")
        try:
            rng = np.random.default_rng(seed)
        except (TypeError, ValueError):
            raise NotationError(f"seed must be a whole number >= 0 or None, got {seed!r}") from None
        self.sizes = tuple(int(d) for d in sizes)
        self.L = len(sizes) - 1
        self.sigma = activations.get(sigma)
        self.output_sigma = activations.get(output_sigma if output_sigma is not None else sigma)
        L, d = self.L, self.sizes
        self.W = Layers("W", [None] + [((d[l], d[l - 1]), (f"d_{l}", f"d_{l - 1}"))
                                       for l in range(1, L + 1)])
        self.b = Layers("b", [None] + [((d[l],), (f"d_{l}",)) for l in range(1, L + 1)])
        for l in range(1, L + 1):
            d_l, d_prev = self.sizes[l], self.sizes[l - 1]
            self.W[l] = rng.normal(0.0, 1.0 / np.sqrt(d_prev), (d_l, d_prev))
            self.b[l] = np.zeros(d_l)

    def activation(self, l):
        """sigma of layer l (``output_sigma`` for l = L)."""
        return self.output_sigma if l == self.L else self.sigma

    @property
    def n_parameters(self):
        """The number of weights and biases, sum_l d_l (d_{l-1} + 1)."""
        return sum(d * (p + 1) for p, d in zip(self.sizes, self.sizes[1:]))

    def _input(self, x, copy=True):
        if copy or not (type(x) is np.ndarray and x.dtype == np.float64):
            x = as_real_array(x, "x^(0)")  # a float64 copy
        d0 = self.sizes[0]
        if x.ndim not in (1, 2) or x.shape[-1] != d0:
            raise NotationError(
                f"x^(0) must have shape ({d0},) = (d_0,) for one sample or (N, {d0}) = "
                f"(N, d_0) for a batch, got {x.shape}")
        if x.ndim == 2 and x.shape[0] == 0:
            raise NotationError("the batch is empty: x^(0) has shape (0, d_0), N must be >= 1")
        require_finite(x, "x^(0)")
        return x

    def forward(self, x):
        """The forward pass x^(0) -> s^(1) -> x^(1) -> ... -> x^(L).

        Parameters
        ----------
        x : array, shape (d_0,) for one sample or (N, d_0) for a batch

        Returns
        -------
        Trace
            ``x[l]`` (l = 0..L) and ``s[l]`` (l = 1..L), shapes (d_l,) or (N, d_l):
            everything the backward pass needs.
        """
        return self._forward(self._input(x))

    def _forward(self, x0):
        """``forward`` on a checked x^(0), which the trace keeps as it is."""
        L, W, b = self.L, self.W._values, self.b._values   # plain lists, W[l] for l = 1..L
        x, s = [x0] + [None] * L, [None] * (L + 1)
        for l in range(1, L + 1):
            s[l] = x[l - 1] @ W[l].T          # s^(l) = W^(l) x^(l-1) + b^(l), rows of a batch too
            s[l] += b[l]                      # (in place: no second (N, d_l) array)
            x[l] = self.activation(l)(s[l])
        if not math.isfinite(x[L].sum()) and not np.isfinite(x[L]).all():
            raise NotationError(
                "x^(L) holds NaN or infinite values: the weights have grown too large "
                "(lower the learning rate) or were set to such values")
        return Trace(PerLayer("x", x), PerLayer("s", s), self)

    def __call__(self, x):
        """f(x; W, b) = x^(L), shape (d_L,) or (N, d_L)."""
        return self.forward(x).output

    def backward(self, trace, dl_dxL, input_gradient=True):
        """Backpropagate dl/dx^(L) through the layers the trace recorded.

        From l = L down to 1: dl/ds^(l) = J_sigma(s^(l))^T dl/dx^(l) (= sigma'(s^(l)) * dl/dx^(l)
        for an element-wise sigma), dl/dW^(l) = dl/ds^(l) (x^(l-1))^T, dl/db^(l) = dl/ds^(l),
        dl/dx^(l-1) = (W^(l))^T dl/ds^(l). For a batch the parameter gradients are summed
        over the samples, as L = sum_n l_n.

        Parameters
        ----------
        trace : Trace from ``forward``
        dl_dxL : array, the shape of x^(L): (d_L,) or (N, d_L)
        input_gradient : bool
            Compute dl/dx^(0) = (W^(1))^T dl/ds^(1) too, as the slide's pass does. No
            parameter's gradient needs it, and on a wide first layer it costs as much as
            dl/dW^(1): ``gradients``, the call training makes, leaves it out unless asked.

        Returns
        -------
        Grads
            ``W[l]`` (d_l, d_{l-1}), ``b[l]`` (d_l,), ``s[l]`` and ``x[l]`` shaped like
            s^(l) and x^(l). Fresh arrays: nothing accumulates in the network.
        """
        if not isinstance(trace, Trace):
            raise NotationError("backward takes the trace that net.forward(x) returned")
        if trace.net is not None and trace.net is not self:
            raise NotationError(
                "this trace comes from another network: backward multiplies by this "
                "network's W^(l), so pass the trace that this network's forward(x) returned")
        # this network's forward pass checked its trace; a hand-made one is checked here
        if trace.net is None and (trace.x.L != self.L or any(
                np.shape(trace.x[l])[-1] != d for l, d in enumerate(self.sizes))):
            raise NotationError("this trace comes from a network of other sizes")
        dl_dxL = as_real_array(dl_dxL, "dl/dx^(L)")
        if dl_dxL.shape != trace.output.shape:
            symbols = ("N", "d_L") if trace.output.ndim == 2 else ("d_L",)
            raise NotationError(shape_message("dl/dx^(L)", trace.output.shape, symbols,
                                              dl_dxL.shape) + ", the shape of x^(L)")
        require_finite(dl_dxL, "dl/dx^(L)")
        return self._backward(trace, dl_dxL, input_gradient=input_gradient)

    def _backward(self, trace, dl_dxL, dl_dsL=None, input_gradient=True):
        """``backward`` without checking its arguments.

        ``dl_dsL``, when given, is dl/ds^(L) computed directly (softmax with cross-entropy);
        ``dl_dxL`` is then kept for the record only.
        """
        L, W, x, s = self.L, self.W._values, trace.x._values, trace.s._values  # plain lists by l
        one_sample = dl_dxL.ndim == 1
        dl_dW, dl_db, dl_ds = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1)
        dl_dx = [None] * L + [dl_dxL]
        for l in range(L, 0, -1):
            if l == L and dl_dsL is not None:
                dl_ds[l] = dl_dsL
            else:   # sigma'(s^(l)) * dl/dx^(l), or the whole J^T for softmax
                dl_ds[l] = self.activation(l).backward(s[l], x[l], dl_dx[l])
            if one_sample:
                dl_dW[l] = np.outer(dl_ds[l], x[l - 1])     # dl/ds^(l) (x^(l-1))^T
                dl_db[l] = dl_ds[l]
            else:   # the same, summed over the samples (rows)
                dl_dW[l] = dl_ds[l].T @ x[l - 1]
                dl_db[l] = dl_ds[l].sum(axis=0)
            if l > 1 or input_gradient:
                dl_dx[l - 1] = dl_ds[l] @ W[l]              # (W^(l))^T dl/ds^(l), row by row
        return Grads(dl_dW, dl_db, dl_ds, dl_dx)

    def gradients(self, x, y, loss=losses.quadratic, input_gradient=False):
        """Forward pass, loss gradient and backward pass in one call: what a training step needs.

        With a softmax output and the cross-entropy loss the backward pass starts from
        dl/ds^(L) = x^(L) - y, the product J_softmax^T dl/dx^(L) worked out by hand, and the
        loss is taken from log x^(L)_j = s^(L)_j - log sum_k e^(s^(L)_k): both stay exact where
        softmax saturates (x^(L)_j near 0), which -y_j / x^(L)_j and log x^(L)_j do not.

        Parameters
        ----------
        x : array, (d_0,) or (N, d_0)
        y : array, the targets: shaped like x^(L), or class labels for cross_entropy
        loss : Loss or str
        input_gradient : bool
            Compute dl/dx^(0) too (see ``backward``); ``grads.x[0]`` needs True.

        Returns
        -------
        Grads, with ``loss`` the value l(x^(L), y) (summed over a batch)

        Notes
        -----
        The first call in a process asks glibc to keep freed memory for the next step
        (``keep_freed_memory``): on Linux a process that trains keeps up to 64 MiB more.
        """
        if _freed_memory_kept is None:
            keep_freed_memory()
        loss = losses.get(loss)
        # the trace stays inside this call and x^(0) is only read: no copy of the batch
        trace = self._forward(self._input(x, copy=False))
        xL = trace.output
        y = loss.targets(xL, y)
        if isinstance(loss, losses.CrossEntropy) and isinstance(self.output_sigma,
                                                                 activations.Softmax):
            sL = trace.s[self.L]
            value, dl_dxL = loss.value_after_softmax(sL, y), loss.grad(xL, y)
            dl_dsL = loss.grad_after_softmax(xL, y)  # x^(L) - y
            grads = self._backward(trace, dl_dxL, dl_dsL, input_gradient)
        else:
            value, dl_dxL = loss.value_and_grad(xL, y)
            grads = self._backward(trace, dl_dxL, input_gradient=input_gradient)
        grads.loss = value
        return grads

    def copy(self):
        """A new network with the same architecture and copies of W and b."""
        net = MLP(self.sizes, self.sigma, self.output_sigma)
        for l in range(1, self.L + 1):
            net.W[l], net.b[l] = self.W[l], self.b[l]
        return net

    def __repr__(self):
        rows = [f"MLP(sizes={list(self.sizes)}): L = {self.L} layers, "
                f"{self.n_parameters} parameters",
                f"  x^(0) in R^{self.sizes[0]}"]
        for l in range(1, self.L + 1):
            d, p = self.sizes[l], self.sizes[l - 1]
            rows.append(f"  layer {l}: s^({l}) = W^({l}) x^({l - 1}) + b^({l}), "
                        f"W^({l}): ({d}, {p}), b^({l}): ({d},); "
                        f"x^({l}) = {self.activation(l).name}(s^({l})) in R^{d}")
        return "\n".join(rows)
