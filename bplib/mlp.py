r"""The multi-layer perceptron in the lecture's notation.

Layer 0 is the input x^(0) = x; layers l = 1..L have parameters W^(l) of
shape (d_l, d_{l-1}) and b^(l) of shape (d_l,):

    s^(l) = W^(l) x^(l-1) + b^(l),    x^(l) = sigma(s^(l)).

A batch holds samples as rows, so the same step reads S = X W^T + b.
"""
import numpy as np

from . import activations, losses
from ._check import (NotationError, as_real_array, require_finite, require_layer,
                     shape_message)


class Layers:
    """Per-layer arrays indexed by the lecture's layer numbers, ``A[l]``.

    Assigning checks the shape and the values first, and stores a float64
    copy, so a bad assignment never changes what was there.

    Parameters
    ----------
    symbol : str
        How the quantity is written, e.g. ``"W"`` prints as ``W^(2)``.
    shapes : dict
        {l: (shape, symbols)} for each layer l the quantity exists on.
    """

    def __init__(self, symbol, shapes):
        self.symbol, self._shapes, self._values = symbol, shapes, {}
        self._L = max(shapes)

    def _layer(self, l):
        return require_layer(l, self._L, self.symbol)

    def __getitem__(self, l):
        if type(l) is not int or l not in self._values:  # the fast path skips the checks
            l = self._layer(l)
        return self._values[l]

    def __setitem__(self, l, value):
        l = self._layer(l)
        name = f"{self.symbol}^({l})"
        shape, symbols = self._shapes[l]
        a = as_real_array(value, name)
        if a.shape != shape:
            raise NotationError(shape_message(name, shape, symbols, a.shape))
        try:
            require_finite(a, name)
        except NotationError as e:
            if value is self._values.get(l):  # net.W[l] -= ...: numpy changed it before the check
                raise NotationError(
                    f"{e}. The update was made in place (-=), so {name} already holds these "
                    f"values; write net.{self.symbol}[l] = net.{self.symbol}[l] - lr * g "
                    "to have a bad update refused with nothing lost") from None
            raise
        self._values[l] = a

    def __iter__(self):
        return iter(sorted(self._shapes))

    def __len__(self):
        return len(self._shapes)

    def keys(self):
        return list(self)

    def items(self):
        return [(l, self[l]) for l in self]

    def values(self):
        return [self[l] for l in self]

    def __repr__(self):
        return "{" + ", ".join(f"{l}: array{self[l].shape}" for l in self) + "}"


class Computed(dict):
    """Per-layer results of a pass, ``A[l]``; asking for a missing layer explains the numbering.

    A plain dict otherwise: results are the caller's to read or replace.

    Parameters
    ----------
    symbol : str, e.g. ``"s"`` or ``"dl/dW"``
    values : dict {l: array}
    L : int, the number of layers
    lazy : dict {l: callable}, optional
        Entries computed on first use (dl/dx^(0) costs a full matrix product
        that no parameter gradient needs).
    """

    def __init__(self, symbol, values, L, lazy=None):
        super().__init__(values)
        self.symbol, self.L, self.lazy = symbol, L, lazy or {}

    def __missing__(self, l):
        if l in self.lazy:
            value = self[l] = self.lazy.pop(l)()
            return value
        l = require_layer(l, self.L, self.symbol)
        raise NotationError(f"{self.symbol}^(0) does not exist: layer 0 is the input, "
                            "it has no weighted input s^(0)" if l == 0 else
                            f"{self.symbol}^({l}) was not computed")


class Trace:
    """What the forward pass kept: ``x[l]`` for l = 0..L and ``s[l]`` for l = 1..L.

    Each is (d_l,) for one sample, (N, d_l) for a batch.
    """

    def __init__(self, x, s, net=None):
        self.x, self.s, self.net = x, s, net  # net: the network that made it, if known

    @property
    def output(self):
        """x^(L) = f(x; W, b)."""
        return self.x[self.x.L]

    def __repr__(self):
        return f"Trace(x={self.x!r}, s={self.s!r})"


class Grads:
    """dl/dW^(l), dl/db^(l), dl/ds^(l), dl/dx^(l), each shaped like its value.

    ``loss`` is the loss value when the gradients came from ``net.gradients``.
    """

    def __init__(self, W, b, s, x, loss=None):
        self.W, self.b, self.s, self.x, self.loss = W, b, s, x, loss

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
            sizes = list(sizes) if not isinstance(sizes, (int, np.integer)) else [sizes]
        except TypeError:
            sizes = [sizes]  # not a sequence: refused just below
        if len(sizes) < 2 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                     and d >= 1 for d in sizes):
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
        self.W = Layers("W", {l: ((self.sizes[l], self.sizes[l - 1]), (f"d_{l}", f"d_{l - 1}"))
                              for l in range(1, self.L + 1)})
        self.b = Layers("b", {l: ((self.sizes[l],), (f"d_{l}",)) for l in range(1, self.L + 1)})
        for l in range(1, self.L + 1):
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

    def _input(self, x):
        x = as_real_array(x, "x^(0)")
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
        x_l = self._input(x)
        xs, ss = {0: x_l}, {}
        for l in range(1, self.L + 1):
            s_l = ss[l] = x_l @ self.W[l].T   # s = W x + b, for rows of a batch too
            s_l += self.b[l]
            x_l = xs[l] = self.activation(l)(s_l)
        if not np.isfinite(x_l.sum()) and not np.isfinite(x_l).all():
            raise NotationError(
                f"x^(L) holds NaN or infinite values: the weights have grown too large "
                "(lower the learning rate) or were set to such values")
        return Trace(Computed("x", xs, self.L), Computed("s", ss, self.L), self)

    def __call__(self, x):
        """f(x; W, b) = x^(L), shape (d_L,) or (N, d_L)."""
        return self.forward(x).output

    def backward(self, trace, dl_dxL):
        """Backpropagate dl/dx^(L) through the layers the trace recorded.

        dl/ds^(l) = J_sigma(s^(l))^T dl/dx^(l), dl/dW^(l) = dl/ds^(l) (x^(l-1))^T,
        dl/db^(l) = dl/ds^(l), dl/dx^(l-1) = (W^(l))^T dl/ds^(l). For a batch the
        parameter gradients are summed over the samples, as L = sum_n l_n.

        Parameters
        ----------
        trace : Trace from ``forward``
        dl_dxL : array, the shape of x^(L): (d_L,) or (N, d_L)

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
        if trace.x.L != self.L or any(trace.x[l].shape[-1] != d for l, d in enumerate(self.sizes)):
            raise NotationError("this trace comes from a network of other sizes")
        dl_dx = as_real_array(dl_dxL, "dl/dx^(L)")
        if dl_dx.shape != trace.output.shape:
            symbols = ("N", "d_L") if trace.output.ndim == 2 else ("d_L",)
            raise NotationError(shape_message("dl/dx^(L)", trace.output.shape, symbols,
                                              dl_dx.shape) + ", the shape of x^(L)")
        require_finite(dl_dx, "dl/dx^(L)")
        return self._backward(trace, dl_dx)

    def _backward(self, trace, dl_dx):
        """``backward`` without checking its arguments."""
        xs, ss = trace.x, trace.s
        batched = dl_dx.ndim == 2
        gW, gb, gs, gx = {}, {}, {}, {self.L: dl_dx}
        for l in range(self.L, 0, -1):
            dl_ds = gs[l] = self.activation(l).backward(ss[l], xs[l], dl_dx)
            x_prev = xs[l - 1]
            if batched:
                gW[l] = dl_ds.T @ x_prev        # sums the outer products over samples
                gb[l] = dl_ds.sum(axis=0)
            else:
                gW[l] = np.outer(dl_ds, x_prev)
                gb[l] = dl_ds
            if l > 1:
                dl_dx = gx[l - 1] = dl_ds @ self.W[l]
        W1, dl_ds1, L = self.W[1], gs[1], self.L
        gW, gb, gs, gx = (dict(reversed(g.items())) for g in (gW, gb, gs, gx))  # l = 1..L
        return Grads(Computed("dl/dW", gW, L), Computed("dl/db", gb, L), Computed("dl/ds", gs, L),
                     Computed("dl/dx", gx, L, lazy={0: lambda: dl_ds1 @ W1}))

    def gradients(self, x, y, loss=losses.quadratic):
        """Forward pass, loss gradient and backward pass in one call.

        Parameters
        ----------
        x : array, (d_0,) or (N, d_0)
        y : array, the targets: shaped like x^(L), or class labels for cross_entropy
        loss : Loss or str

        Returns
        -------
        Grads, with ``loss`` the value l(x^(L), y) (summed over a batch)
        """
        loss = losses.get(loss)
        trace = self.forward(x)
        value, dl_dxL = loss.value_and_grad(trace.output, loss.targets(trace.output, y))
        grads = self._backward(trace, dl_dxL)
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
