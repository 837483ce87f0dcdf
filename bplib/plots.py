"""Pictures: the network with its weights, loss curves, decision regions,
and gradients as a vector field."""
import numbers

import matplotlib.pyplot as plt
import numpy as np

from ._check import NotationError, require_layer


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def neuron_positions(sizes):
    """{(l, j): (x, y)}: layer l at x = l, neuron j from the top down."""
    return {(l, j): (l, (d - 1) / 2 - j)
            for l, d in enumerate(sizes) for j in range(d)}


def _check_highlight(net, highlight):
    """(l, j, k) for w^l_jk, l = 1..L, or (l, j) for neuron j of layer l = 0..L."""
    if (not isinstance(highlight, (tuple, list)) or len(highlight) not in (2, 3)
            or any(isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral)
                   for i in highlight)):
        raise NotationError(
            "highlight is (l, j, k) for the weight w^l_jk or (l, j) for neuron j of layer l, "
            f"with whole numbers; got {highlight!r}")
    l = require_layer(highlight[0], net.L, "W" if len(highlight) == 3 else "x")
    j = highlight[1]
    if not 0 <= j < net.sizes[l]:
        raise NotationError(
            f"neuron j = {j} does not exist in layer {l}: j = 0..{net.sizes[l] - 1}")
    if len(highlight) == 3 and not 0 <= highlight[2] < net.sizes[l - 1]:
        raise NotationError(f"neuron k = {highlight[2]} does not exist in layer {l - 1}: "
                            f"k = 0..{net.sizes[l - 1] - 1}")
    return tuple(int(i) for i in highlight)


def draw_network(net, ax=None, highlight=None):
    """Draw the MLP: neurons x^l_j as circles, weights w^l_jk as lines.

    Line width shows |w^l_jk|, colour its sign (blue > 0, red < 0).

    Parameters
    ----------
    net : MLP
    ax : matplotlib Axes, optional
    highlight : tuple, optional
        (l, j, k) to single out the weight w^l_jk, or (l, j) for neuron j of layer l.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, (1.8 * (net.L + 1) + 1, 0.6 * max(net.sizes) + 1.5))
    if highlight is not None:
        highlight = _check_highlight(net, highlight)
    pos = neuron_positions(net.sizes)
    w_max = max(np.abs(net.W[l]).max() for l in range(1, net.L + 1)) or 1.0
    for l in range(1, net.L + 1):
        W = net.W[l]
        for j in range(net.sizes[l]):
            for k in range(net.sizes[l - 1]):
                chosen = highlight is not None and tuple(highlight[:1]) == (l,) and (
                    highlight[1] == j and (len(highlight) == 2 or highlight[2] == k))
                (x0, y0), (x1, y1) = pos[(l - 1, k)], pos[(l, j)]
                ax.plot([x0, x1], [y0, y1], color="orange" if chosen else
                        ("tab:blue" if W[j, k] > 0 else "tab:red"),
                        lw=3.5 if chosen else 0.3 + 2.5 * abs(W[j, k]) / w_max,
                        alpha=1.0 if chosen else 0.6, zorder=2 if chosen else 1)
                if chosen and len(highlight) == 3:
                    ax.annotate(f"$w^{{{l}}}_{{{j}{k}}}$ = {W[j, k]:.2f}",
                                ((x0 + x1) / 2, (y0 + y1) / 2), fontsize=11,
                                ha="center", va="bottom", zorder=4)
    for (l, j), (x, y) in pos.items():
        chosen = highlight is not None and highlight[0] == l and highlight[1] == j
        ax.scatter([x], [y], s=500, zorder=3, color="orange" if chosen else "white",
                   edgecolor="black")
        ax.text(x, y, f"$x^{{{l}}}_{{{j}}}$", ha="center", va="center", fontsize=8, zorder=4)
    for l, d in enumerate(net.sizes):
        name = "input" if l == 0 else ("output" if l == net.L else "hidden")
        ax.text(l, max(y for (m, _), (_, y) in pos.items() if m == l) + 0.8,
                f"layer {l}\n{name}, $d_{{{l}}}$ = {d}", ha="center", fontsize=9)
    half = (max(net.sizes) - 1) / 2
    ax.set_xlim(-0.5, net.L + 0.5)
    ax.set_ylim(-half - 0.6, half + 1.6)  # room for the layer captions on top
    ax.axis("off")
    return ax


def plot_loss(history, ax=None, label=None):
    """The loss L = sum_n l_n against the epoch, on a log scale when it spans decades."""
    history = np.asarray(history, dtype=float)
    ax = _axes(ax)
    ax.plot(np.arange(1, len(history) + 1), history, label=label)
    if len(history) and history.min() > 0 and history.max() / history.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\mathcal{L}(W, \mathbf{b}) = \sum_n l_n$")
    if label:
        ax.legend()
    return ax


def plot_decision_regions(net, X, y, ax=None, resolution=150):
    """Colour the plane by the class the network predicts; scatter the samples.

    Parameters
    ----------
    net : MLP with d_0 = 2
    X : array, shape (N, 2)
    y : int array, shape (N,)
    """
    from .train import predict

    if net.sizes[0] != 2:
        raise NotationError("decision regions are drawn for 2-D inputs, this network has "
                            f"d_0 = {net.sizes[0]}")
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0 or y.shape != (len(X),):
        raise NotationError(f"X must have shape (N, 2) and y shape (N,) with N >= 1, "
                            f"got {X.shape} and {y.shape}")
    ax = _axes(ax, (5, 4.5))
    pad = 0.5
    g0 = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    g1 = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    G0, G1 = np.meshgrid(g0, g1)
    labels = predict(net, np.c_[G0.ravel(), G1.ravel()]).reshape(G0.shape)
    n_classes = max(int(y.max()) + 1, int(labels.max()) + 1, 2)
    ax.contourf(G0, G1, labels, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", vmin=0, vmax=n_classes - 1,
               edgecolor="black", s=18)
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    return ax


def plot_gradient_field(f, xlim=(-2, 2), ylim=(-2, 2), ax=None, n=15, grad=None):
    """Contours of f: R^2 -> R with its gradient as arrows.

    The arrows point uphill, across the contour lines.

    Parameters
    ----------
    f : callable, x of shape (2,) -> float
    grad : callable, optional
        The gradient by formula, x of shape (2,) -> array of shape (2,); by central
        differences when not given.
    """
    from .calculus import gradient

    ax = _axes(ax, (5, 4.5))
    xs, ys = np.linspace(*xlim, 100), np.linspace(*ylim, 100)
    XX, YY = np.meshgrid(xs, ys)
    Z = np.array([[f(np.array([a, b])) for a in xs] for b in ys])
    ax.contour(XX, YY, Z, levels=15, cmap="viridis")
    qa, qb = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    grad = grad or (lambda x: gradient(f, x))
    G = np.array([np.asarray(grad(np.array([a, b])), dtype=float).reshape(2)
                  for a, b in zip(qa.ravel(), qb.ravel())])
    if np.any(G):
        ax.quiver(qa, qb, G[:, 0].reshape(qa.shape), G[:, 1].reshape(qa.shape), color="tab:red",
                  angles="xy", pivot="mid")
    else:   # arrows of length 0 cannot be scaled
        ax.text(0.5, 0.5, "the gradient is 0 everywhere: no arrows", transform=ax.transAxes,
                ha="center", color="tab:red")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_aspect("equal")
    return ax


def plot_layer_gradients(norms, ax=None):
    """|dl/dW^(l)| against the layer l, one line per activation, on a log scale.

    Parameters
    ----------
    norms : dict {name: array (L,)}, as ``bplib.vanishing.vanishing_gradients`` returns
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(norms, dict) or not norms:
        raise NotationError("norms must be a dict {activation: |dl/dW^(l)| for l = 1..L}, "
                            "as bplib.vanishing.vanishing_gradients() returns")
    ax = _axes(ax)
    for name, values in norms.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or not np.all(values > 0):
            raise NotationError(f"norms[{name!r}] must be positive numbers, one per layer")
        ax.semilogy(np.arange(1, values.size + 1), values, "o-", label=name)
    L = max(len(v) for v in norms.values())
    ax.set_xticks(range(1, L + 1))
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial l / \partial W^{(l)}\|$")
    ax.set_title(f"gradients by layer at depth L = {L}; sigmoid: $\\sigma' \\leq 1/4$")
    ax.legend()
    return ax
