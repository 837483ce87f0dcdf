r"""One neuron of an MLP, in the lecture's notation.

w^l_jk connects neuron k of layer l-1 to neuron j of layer l; neuron j of
layer l computes

    s^l_j = sum_k w^l_jk x^{l-1}_k + b^l_j,    x^l_j = sigma(s^l_j).

Layers are numbered l = 1..L (layer 0 is the input), neurons j, k from 0.
``neuron_report`` writes these numbers out; ``NetworkExplorer`` draws the
network, highlights w^l_jk and b^l_j, and has a slider per input x_k.
"""
import ipywidgets as w
import numpy as np

from .._check import NotationError, is_whole, require_layer
from ..mlp import MLP
from ._base import Widget, figure, image, png, safe, wipe

MAX_TERMS = 6   # longer sums are shown with "..." in the middle


def _neuron(net, l, j, k):
    l = require_layer(l, net.L, "W")
    for name, v, layer in (("j", j, l), ("k", k, l - 1)):
        if not is_whole(v) or not 0 <= v < net.sizes[layer]:
            raise NotationError(
                f"{name} = {v!r} is not a neuron of layer {layer}: it has d_{layer} = "
                f"{net.sizes[layer]} neurons, numbered {name} = 0..{net.sizes[layer] - 1}")
    return l, int(j), int(k)


def neuron_report(net, x, l, j, k):
    """w^l_jk, b^l_j, s^l_j and x^l_j for one input, as text.

    Parameters
    ----------
    net : MLP
    x : array, shape (d_0,), the input x^(0)
    l : int, the layer, 1..L
    j : int, the neuron of layer l, 0..d_l - 1
    k : int, the neuron of layer l-1, 0..d_{l-1} - 1

    Returns
    -------
    str
        The weight and the bias, then the sum s^l_j = sum_k w^l_jk x^{l-1}_k + b^l_j
        written out term by term, and the activation x^l_j = sigma(s^l_j).
    """
    l, j, k = _neuron(net, l, j, k)
    x = np.asarray(x, dtype=float)
    if x.shape != (net.sizes[0],):
        raise NotationError(f"x^(0) must have shape ({net.sizes[0]},) = (d_0,), got {x.shape}")
    trace = net.forward(x)
    W, b, x_prev = net.W[l], net.b[l], trace.x[l - 1]
    sigma = net.activation(l)
    terms = [f"({W[j, m]:.4f})({x_prev[m]:.4f})" for m in range(net.sizes[l - 1])]
    if len(terms) > MAX_TERMS:
        terms = terms[:3] + ["..."] + terms[-2:]
    act = f"{sigma.name}(s^{l}_{j})" if sigma.elementwise else f"{sigma.name}(s^({l}))_{j}"
    note = "" if sigma.elementwise else f" ({sigma.name} uses all of s^({l}), not s^{l}_{j} alone)"
    return "\n".join([
        f"layer l = {l} of L = {net.L}, neuron j = {j}, input neuron k = {k} of layer {l - 1}",
        f"w^{l}_{j}{k} = W[{l}][{j}, {k}] = {W[j, k]:.4f}: from x^{l - 1}_{k} to neuron {j} of layer {l}",
        f"b^{l}_{j} = b[{l}][{j}] = {b[j]:.4f}",
        f"x^{l - 1}_{k} = {x_prev[k]:.4f}, so w^{l}_{j}{k} x^{l - 1}_{k} = {W[j, k] * x_prev[k]:.4f}",
        f"s^{l}_{j} = sum_k w^{l}_{j}k x^{l - 1}_k + b^{l}_{j}",
        f"      = {' + '.join(terms)} + ({b[j]:.4f})",
        f"      = {trace.s[l][j]:.4f}",
        f"x^{l}_{j} = {act} = {trace.x[l][j]:.4f}{note}",
    ])


class NetworkExplorer(Widget):
    """Choose l, j, k and the input; see w^l_jk highlighted and s^l_j, x^l_j computed.

    Parameters
    ----------
    net : MLP, optional
        Default: ``MLP([2, 3, 2], seed=0)``.
    x : array, shape (d_0,), optional
        The starting input (default: all 0.5).

    Attributes
    ----------
    l, j, k : IntSliders for the layer and the two neurons
    inputs : list of FloatSliders, one per x^0_k
    feedback : str, the report as shown
    """

    css_class = "bplib-network-explorer"

    def __init__(self, net=None, x=None, plot=True):
        self.net = net if net is not None else MLP([2, 3, 2], seed=0)
        d0 = self.net.sizes[0]
        x = np.full(d0, 0.5) if x is None else np.asarray(x, dtype=float)
        if x.shape != (d0,):
            raise NotationError(f"x^(0) must have shape ({d0},) = (d_0,), got {x.shape}")
        slider = lambda desc, hi: w.IntSlider(value=min(1, hi) if desc == "l" else 0,  # noqa: E731
                                              min=1 if desc == "l" else 0, max=hi,
                                              description=desc, continuous_update=True)
        self.l = slider("l", self.net.L)
        self.j = slider("j", self.net.sizes[1] - 1)
        self.k = slider("k", self.net.sizes[0] - 1)
        self.inputs = [w.FloatSlider(value=float(v), min=-2.0, max=2.0, step=0.05,
                                     description=f"x^0_{m}", readout_format=".2f")
                       for m, v in enumerate(x)]
        self.l.observe(self._layer_changed, names="value")
        for s in (self.j, self.k):
            s.observe(lambda _: self.update(redraw=True), names="value")
        for s in self.inputs:
            s.observe(lambda _: self.update(redraw=False), names="value")
        self.image, self._pictures = None, {}
        controls = w.VBox([w.HBox([self.l, self.j, self.k]), w.HBox(self.inputs[:4])]
                          + ([w.HBox(self.inputs[4:])] if d0 > 4 else []))
        children = [controls]
        if plot:
            d = max(self.net.sizes)
            self.fig, self.ax = figure(2.0 * (self.net.L + 1) + 1, 0.7 * d + 2.0)
            self.image = image(self.fig)
            self.image.on_resize(lambda: self.update(redraw=True))
            children.append(self.image)
        weight = "w^l_jk connects neuron k of layer l-1 to neuron j of layer l"
        super().__init__(children, names=[
            (self.l, "layer l", f"the layer of the weight, 1 to L = {self.net.L}; {weight}"),
            (self.j, "neuron j of layer l", weight),
            (self.k, "neuron k of layer l-1", weight)] + [
            (s, f"input x^0_{m}", f"entry {m} of the input x^(0), counted from 0")
            for m, s in enumerate(self.inputs)])
        self.update(redraw=True)

    @safe
    def _layer_changed(self, change):
        # j and k must stay inside the new layer; hold the redraw until both fit
        self._adjusting = True
        try:
            l = self.l.value
            self.j.max, self.k.max = self.net.sizes[l] - 1, self.net.sizes[l - 1] - 1
        finally:
            self._adjusting = False
        self.update(redraw=True)

    @property
    def x(self):
        """The input x^(0) the sliders set, shape (d_0,)."""
        return np.array([s.value for s in self.inputs])

    @safe
    def update(self, redraw=True):
        if getattr(self, "_adjusting", False):
            return
        l, j, k = self.l.value, self.j.value, self.k.value
        self.show(neuron_report(self.net, self.x, l, j, k))
        if redraw and self.image is not None:
            self.image.draw(self._picture(l, j, k), self.alt(l, j, k))

    def alt(self, l, j, k):
        """The picture in words: the layers, and the highlighted weight w^l_jk."""
        from ..plots import network_alt

        return network_alt(self.net, (l, j, k))

    def _picture(self, l, j, k):
        # The drawing depends on the weights and on l, j, k only: keep each
        # one drawn, so moving back to a choice costs nothing.
        from ..plots import draw_network

        key = (l, j, k, self.fig.dpi) + tuple(self.net.W[m].tobytes()
                                             for m in range(1, self.net.L + 1))
        if key not in self._pictures:
            wipe(self.ax)
            draw_network(self.net, self.ax, highlight=(l, j, k))
            if len(self._pictures) > 256:
                self._pictures.clear()
            self._pictures[key] = png(self.fig)
        return self._pictures[key]
