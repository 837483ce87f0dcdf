"""Pictures: the network with its weights, loss curves, decision regions, gradients as
a vector field, and each picture's text alternative.

No picture relies on colour alone: negative weights are dashed, each class has its
own marker, each curve its own line style. Every helper here records what it drew
as a sentence in numbers (``describe``); ``show(fig)`` displays the figure with that
text as its alternative, the way the widgets' pictures carry theirs::

    fig, ax = plt.subplots()
    plot_loss(history, ax=ax)
    show(fig)        # <img alt="plot: loss curve: 12 epochs, L = sum_n l_n from ...">
"""
import base64
import html
import io
import numbers
import re
import weakref

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.contour import ContourSet
from matplotlib.lines import Line2D
from matplotlib.quiver import Quiver

from ._check import NotationError, require_layer

# One marker, hatch and word per class, so classes differ in more than colour.
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*")
MARKER_NAMES = ("circles", "triangles", "squares", "diamonds", "down-triangles", "pluses",
                "crosses", "stars")
HATCHES = ("", "//", "\\\\", "..", "xx", "oo", "--", "++")
LINE_STYLES = ("-", "--", ":", "-.")
_STYLE_NAMES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dash-dotted"}

# What each helper drew, in words: artist (or Axes) -> sentence. Weak keys, so a
# sentence goes with its artist when the artist is removed from the figure.
_SAID = weakref.WeakKeyDictionary()


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _num(v):
    """A number as the text alternatives say it: 3 significant digits, no -0."""
    return f"{float(v) + 0.0:.3g}"


def _plain(tex):
    r"""Mathtext as plain words: '$\sum_n l_n$' -> 'sum_n l_n'."""
    for a, b in ((r"\mathcal", ""), (r"\mathbf", ""), (r"\partial", "d"), (r"\|", "|"),
                 (r"\cdots", "..."), (r"\leq", "<="), (r"\sum", "sum"), (r"\sigma", "sigma"),
                 (r"\sin", "sin"), (r"\cos", "cos"), (r"\to", "->"), ("\\", ""), ("$", "")):
        tex = tex.replace(a, b)
    return re.sub(r"[{}]", "", tex).strip()


def describe(what, sentence):
    """Record what ``what`` shows, in words and numbers, for the figure's text alternative.

    Parameters
    ----------
    what : matplotlib Axes or Artist
        An Axes for a sentence about the whole plot; an artist for a sentence that
        stays only as long as the artist is drawn.
    sentence : str

    Returns
    -------
    what
    """
    _SAID[what] = sentence
    return what


def _line_words(line, xs, ys):
    """One line in words: its label and style, its ends, a lowest or highest point between."""
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    label = line.get_label()
    style = _STYLE_NAMES.get(line.get_linestyle())
    marker = line.get_marker() not in (None, "None", "", " ")
    kind = " with ".join(filter(None, [style and f"{style} line", marker and "markers"])) or "line"
    name = f"{_plain(label)} ({kind})" if not label.startswith("_") else kind
    if len(x) == 1:
        return f"{name}: a point at {xs} = {_num(x[0])}, {ys} = {_num(y[0])}"
    words = [f"{name}: {len(x)} points from ({_num(x[0])}, {_num(y[0])}) to ({_num(x[-1])}, "
             f"{_num(y[-1])})"]
    for word, v in (("lowest", y.min()), ("highest", y.max())):
        # the first of the points that tie up to rounding, so the words do not
        # depend on the last bits of a machine's arithmetic
        i = np.flatnonzero(np.isclose(y, v, rtol=1e-9, atol=0))[0]
        if 0 < i < len(x) - 1:   # an end is said already
            words.append(f"{word} {ys} = {_num(y[i])} at {xs} = {_num(x[i])}")
    return ", ".join(words)


def _values(M):
    """A small matrix value by value, row by row; a large one by its range."""
    M = np.asarray(M, dtype=float)
    if M.size > 36:
        return f"{M.shape[0]} x {M.shape[1]} values from {_num(M.min())} to {_num(M.max())}"
    rows = "; ".join(", ".join(_num(v) for v in row) for row in M)
    return f"{M.shape[0]} x {M.shape[1]} values, by row: {rows}"


def _read(ax):
    """What an axes shows, read from its artists: lines, bars, images, contours."""
    xs, ys = _plain(ax.get_xlabel()) or "x", _plain(ax.get_ylabel()) or "y"
    words = [f"x axis {xs}{', log scale' if ax.get_xscale() == 'log' else ''}, "
             f"y axis {ys}{', log scale' if ax.get_yscale() == 'log' else ''}"]
    if not (ax.get_xlabel() or ax.get_ylabel()) and ax.get_xscale() == ax.get_yscale() == "linear":
        words = []   # nothing to say about the axes
    for line in ax.get_lines():
        if line.get_transform() is ax.transData:   # not axhline and friends
            words.append(_line_words(line, xs, ys))
    for bars in ax.containers:
        heights = [p.get_height() for p in bars.patches]
        words.append(f"{len(heights)} {'bar' if len(heights) == 1 else 'bars'} of height "
                     + ", ".join(map(_num, heights[:20])) + (", ..." if len(heights) > 20 else ""))
    for im in ax.get_images():
        words.append("an image of " + _values(im.get_array()))
    for c in ax.collections:
        if isinstance(c, ContourSet):
            words.append(f"{'filled contours' if c.filled else 'contour lines'} of values from "
                         f"{_num(min(c.levels))} to {_num(max(c.levels))}")
        elif isinstance(c, Quiver):
            words.append(f"{c.N} arrows")
        elif len(c.get_offsets()):
            words.append(f"{len(c.get_offsets())} points")
    titles = [_plain(a.get_title()) for a in ax.child_axes]
    if titles:
        words.append(f"{len(titles)} small pictures titled " + ", ".join(titles))
    words += [f"text: {_plain(t.get_text())}" for t in ax.texts if t.get_visible()]
    return "; ".join(w for w in words if w)


def alt_text(fig):
    """The figure in words and numbers: for each plot, its title and what it shows.

    A plot drawn by a helper of this module says what the helper recorded
    (``describe``); any other plot is read from its lines, bars, images and contours.

    Parameters
    ----------
    fig : matplotlib Figure

    Returns
    -------
    str
    """
    panels = [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]   # a colour bar is no plot
    parts = []
    for i, ax in enumerate(panels, 1):
        said = [_SAID[a] for a in [ax, *ax.get_children()] if a in _SAID]
        title = _plain(ax.get_title())
        head = f"plot {i} of {len(panels)}" if len(panels) > 1 else "plot"
        parts.append(f"{head}{f' ({title})' if title else ''}: "
                     + ("; ".join(said) if said else _read(ax)))
    for ax in fig.axes:
        if hasattr(ax, "_colorbar"):
            cb = ax._colorbar
            parts.append(f"colour bar {_plain(cb.ax.get_ylabel() or cb.ax.get_xlabel())} "
                         f"from {_num(cb.vmin)} to {_num(cb.vmax)}")
    return ". ".join(parts) + "."


def bundle(fig, alt=None):
    """The figure as a display bundle whose every form carries its text alternative.

    Parameters
    ----------
    fig : matplotlib Figure
    alt : str, optional
        The text alternative; by default ``alt_text(fig)``.

    Returns
    -------
    dict
        'text/html': an ``<img>`` with the PNG and ``alt`` (what JupyterLab shows and
        a screen reader reads); 'image/png': the PNG, base64; 'text/plain': ``alt``.
    """
    alt = alt_text(fig) if alt is None else alt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    return {"text/html": f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">',
            "image/png": png, "text/plain": alt}


def show(fig=None, alt=None):
    """Display the figure with its text alternative, then close it.

    In a notebook the output is ``bundle(fig, alt)``; closing the figure keeps the
    inline backend from drawing it a second time, without words. Outside IPython
    this is ``plt.show()``.

    Parameters
    ----------
    fig : matplotlib Figure, optional
        By default the current figure.
    alt : str, optional
        The text alternative; by default ``alt_text(fig)``.
    """
    from IPython import get_ipython
    from IPython.display import display

    fig = plt.gcf() if fig is None else fig
    if get_ipython() is None:
        plt.show()
        return
    display(bundle(fig, alt), raw=True)
    plt.close(fig)


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


def network_alt(net, highlight=None):
    """The drawing of ``draw_network`` in words: the layers and what is highlighted."""
    sizes = ", ".join(str(d) for d in net.sizes)
    text = (f"network diagram: layers 0 to {net.L} with {sizes} neurons; a line per weight, "
            "thicker for a larger |w|, solid blue if positive, dashed red if negative")
    if highlight is None:
        return text
    l, j = highlight[:2]
    if len(highlight) == 3:
        k = highlight[2]
        return (f"{text}; highlighted: w^{l}_{j}{k} = {net.W[l][j, k]:.2f}, from neuron {k} "
                f"of layer {l - 1} to neuron {j} of layer {l}")
    into = f" and the {net.sizes[l - 1]} weights into it" if l else ""
    return f"{text}; highlighted: neuron {j} of layer {l}{into}"


def _label_beside(ax, start, end, text):
    """Write ``text`` above the middle of the segment start-end, clear of it.

    The middle lies halfway between two layers, where no neuron is, so a label
    narrower than the gap covers no neuron either.
    """
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    label = ax.annotate(text, mid, textcoords="offset points", xytext=(0, 4), ha="center",
                        va="bottom", fontsize=12, zorder=5,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="orange"))
    (x0, y0), (x1, y1) = ax.transData.transform([start, end])
    width = label.get_window_extent().width   # in pixels
    # Under the box's lower corners the segment rises |slope| * width / 2 above the middle.
    rise = abs(y1 - y0) / max(abs(x1 - x0), 1.0) * width / 2
    label.set_position((0, 4 + rise * 72 / ax.figure.dpi))
    return label


def draw_network(net, ax=None, highlight=None):
    """Draw the MLP: neurons x^l_j as circles, weights w^l_jk as lines.

    Line width shows |w^l_jk|; its sign shows twice: solid blue > 0, dashed red < 0.

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
    ax = _axes(ax, (2.2 * (net.L + 1) + 1, 0.75 * max(net.sizes) + 2))
    if highlight is not None:
        highlight = _check_highlight(net, highlight)
    pos = neuron_positions(net.sizes)
    w_max = max(np.abs(net.W[l]).max() for l in range(1, net.L + 1)) or 1.0
    chosen_edge = None
    for l in range(1, net.L + 1):
        W = net.W[l]
        for j in range(net.sizes[l]):
            for k in range(net.sizes[l - 1]):
                chosen = highlight is not None and tuple(highlight[:1]) == (l,) and (
                    highlight[1] == j and (len(highlight) == 2 or highlight[2] == k))
                ends = [pos[(l - 1, k)], pos[(l, j)]]
                ax.plot(*zip(*ends), color="orange" if chosen else
                        ("tab:blue" if W[j, k] > 0 else "tab:red"),
                        ls="--" if W[j, k] < 0 else "-",
                        lw=3.5 if chosen else 0.5 + 2.5 * abs(W[j, k]) / w_max,
                        alpha=1.0 if chosen else 0.7, zorder=2 if chosen else 1)
                if chosen and len(highlight) == 3:
                    chosen_edge = ends
    neurons = []
    for (l, j), (x, y) in pos.items():
        chosen = highlight is not None and highlight[0] == l and highlight[1] == j
        neurons.append(ax.scatter([x], [y], s=1100, zorder=3, edgecolor="black",
                                  color="orange" if chosen else "white"))
        ax.text(x, y, f"$x^{{{l}}}_{{{j}}}$", ha="center", va="center", fontsize=13, zorder=4)
    for l, d in enumerate(net.sizes):
        name = "input" if l == 0 else ("output" if l == net.L else "hidden")
        ax.text(l, max(y for (m, _), (_, y) in pos.items() if m == l) + 0.55,
                f"layer {l}, {name}\n$d_{{{l}}}$ = {d}", ha="center", va="bottom", fontsize=11)
    half = (max(net.sizes) - 1) / 2
    ax.set_xlim(-0.5, net.L + 0.5)
    ax.set_ylim(-half - 1.3, half + 1.6)  # room for the layer captions on top, the key below
    ax.axis("off")
    key = [Line2D([], [], color="tab:blue", ls="-", label="w > 0 (solid)"),
           Line2D([], [], color="tab:red", ls="--", label="w < 0 (dashed)")]
    ax.legend(handles=key, loc="lower center", ncol=2, frameon=False, fontsize=11,
              handlelength=2.5, borderaxespad=0)
    if chosen_edge is not None:
        l, j, k = highlight
        _label_beside(ax, *chosen_edge, f"$w^{{{l}}}_{{{j}{k}}}$ = {net.W[l][j, k]:.2f}")
    describe(neurons[0], network_alt(net, highlight))
    return ax


def plot_loss(history, ax=None, label=None):
    """The loss L = sum_n l_n against the epoch, on a log scale when it spans decades.

    Parameters
    ----------
    history : array, shape (E,), the loss after each epoch
    ax : matplotlib Axes, optional
    label : str, optional, the curve's name in the legend

    Returns
    -------
    matplotlib Axes
    """
    history = np.asarray(history, dtype=float)
    ax = _axes(ax)
    (line,) = ax.plot(np.arange(1, len(history) + 1), history, label=label)
    if len(history) and history.min() > 0 and history.max() / history.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\mathcal{L}(W, \mathbf{b}) = \sum_n l_n$")
    if label:
        ax.legend()
    if len(history):
        describe(line, f"loss curve{f' ({label})' if label else ''}: {len(history)} epochs, "
                       f"L = sum_n l_n from {_num(history[0])} to {_num(history[-1])}, "
                       f"lowest {_num(history.min())}"
                       + (", on a log scale" if ax.get_yscale() == "log" else ""))
    return ax


def plot_decision_regions(net, X, y, ax=None, resolution=150):
    """Shade the plane by the class the network predicts; scatter the samples.

    Each class has its own colour, marker (``MARKERS``) and region hatching, and
    the legend names the markers.

    Parameters
    ----------
    net : MLP with d_0 = 2
    X : array, shape (N, 2)
    y : int array, shape (N,)

    Returns
    -------
    matplotlib Axes
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
    if n_classes > len(MARKERS):
        raise NotationError(f"decision regions are drawn for up to {len(MARKERS)} classes, "
                            f"got {n_classes}")
    cmap = plt.get_cmap("coolwarm")
    colour = [cmap(c / (n_classes - 1)) for c in range(n_classes)]
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(G0, G1, labels, levels=levels, colors=colour, alpha=0.3,
                hatches=list(HATCHES[:n_classes]))
    ax.contour(G0, G1, labels, levels=levels[1:-1], colors="black", linewidths=0.8)
    dots = [ax.scatter(X[y == c, 0], X[y == c, 1], color=colour[c], marker=MARKERS[c],
                       edgecolor="black", s=24, label=f"class {c} ({MARKER_NAMES[c]})")
            for c in range(n_classes)]
    ax.legend(fontsize=9, loc="best", framealpha=0.8)
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    right = float(np.mean(predict(net, X) == y))
    counts = ", ".join(f"{int(np.sum(y == c))} of class {c} as {MARKER_NAMES[c]}"
                       for c in range(n_classes))
    describe(dots[0], f"decision regions of the network, one hatching per class: "
                                f"{len(X)} samples ({counts}), {100 * right:.1f} % classified right")
    return ax


def plot_gradient_field(f, xlim=(-2, 2), ylim=(-2, 2), ax=None, n=15, grad=None):
    """Contours of f: R^2 -> R with its gradient as arrows.

    The arrows point uphill, across the contour lines.

    Parameters
    ----------
    f : callable, x of shape (2,) -> float
    xlim, ylim : (float, float), the ranges of x_0 and x_1
    ax : matplotlib Axes, optional
    n : int, arrows per side
    grad : callable, optional
        The gradient by formula, x of shape (2,) -> array of shape (2,); by central
        differences when not given.

    Returns
    -------
    matplotlib Axes
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
    where = (f"contour lines of the function for x_0 from {_num(xlim[0])} to {_num(xlim[1])} "
             f"and x_1 from {_num(ylim[0])} to {_num(ylim[1])}, its values from {_num(Z.min())} "
             f"to {_num(Z.max())}")
    if np.any(G):
        arrows = ax.quiver(qa, qb, G[:, 0].reshape(qa.shape), G[:, 1].reshape(qa.shape),
                           color="tab:red", angles="xy", pivot="mid")
        # the longest arrow's length only: where it is can tie up to rounding
        describe(arrows, f"{where}; {len(G)} arrows of the gradient pointing uphill, up to "
                         f"{_num(np.hypot(G[:, 0], G[:, 1]).max())} long")
    else:   # arrows of length 0 cannot be scaled
        note = ax.text(0.5, 0.5, "the gradient is 0 everywhere: no arrows",
                       transform=ax.transAxes, ha="center", color="tab:red")
        describe(note, f"{where}; the gradient is 0 everywhere: no arrows")
    ax.set_xlabel("$x_0$")
    ax.set_ylabel("$x_1$")
    ax.set_aspect("equal")
    return ax


def plot_matrix(M, ax=None, title=None):
    """A matrix as a grid of coloured cells with its numbers written in them.

    Rows are i (outputs f_i), columns j (inputs x_j), as for a Jacobian.

    Parameters
    ----------
    M : array, shape (m, n)
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    M = np.asarray(M, dtype=float)
    if M.ndim != 2:
        raise NotationError(f"plot_matrix draws a 2-D array (m, n), got shape {M.shape}")
    ax = _axes(ax, (1 + 0.8 * M.shape[1], 1 + 0.8 * M.shape[0]))
    top = float(np.abs(M).max()) or 1.0
    im = ax.imshow(M, cmap="coolwarm", vmin=-top, vmax=top)
    for (i, j), v in np.ndenumerate(M):
        dark = abs(v) > 0.6 * top     # white on the deep colours, black on the pale ones
        ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")
    ax.set_xticks(range(M.shape[1]))
    ax.set_yticks(range(M.shape[0]))
    ax.set_xlabel("column $j$: input $x_j$")
    ax.set_ylabel("row $i$: output $f_i$")
    if title:
        ax.set_title(title)
    describe(im, f"a matrix of shape {M.shape}: {_values(M)}")
    return ax


def plot_predictions(images, predicted, y, ax=None, shape=(8, 8), n=12):
    """The first ``n`` images in two rows, each titled with its predicted class.

    A wrong prediction is titled in red and says "wrong", so it does not rest on colour.

    Parameters
    ----------
    images : array, shape (N, h * w), one flattened image per row
    predicted, y : int arrays, shape (N,), the predicted and the true classes
    ax : matplotlib Axes, optional
    shape : (h, w) of one image
    n : int

    Returns
    -------
    matplotlib Axes
    """
    images, predicted, y = np.asarray(images), np.asarray(predicted), np.asarray(y)
    n = min(n, len(images))
    ax = _axes(ax, (6, 3))
    ax.axis("off")
    per_row = (n + 1) // 2
    for i in range(n):
        sub = ax.inset_axes([(i % per_row) / per_row, 0.5 * (i < per_row), 1 / per_row - 0.01,
                             0.4])
        sub.imshow(images[i].reshape(shape), cmap="gray_r")
        right = predicted[i] == y[i]
        sub.set_title(f"{predicted[i]}" if right else f"{predicted[i]} wrong", fontsize=10,
                      color="black" if right else "tab:red")
        sub.axis("off")
    wrong = [i for i in range(n) if predicted[i] != y[i]]
    said = "; ".join(f"image {i + 1} is a {y[i]}, predicted {predicted[i]}" for i in wrong)
    describe(ax, f"{n} images with the predicted class: " + ", ".join(map(str, predicted[:n]))
                 + f"; {n - len(wrong)} right, {len(wrong)} wrong" + (f": {said}" if said else ""))
    return ax


def plot_layer_gradients(norms, ax=None):
    """|dl/dW^(l)| against the layer l, one line per activation, on a log scale.

    Each activation has its own marker and line style besides its colour.

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
    said = []
    for i, (name, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or not np.all(values > 0):
            raise NotationError(f"norms[{name!r}] must be positive numbers, one per layer")
        ax.semilogy(np.arange(1, values.size + 1), values, label=name,
                    marker=MARKERS[i % len(MARKERS)], ls=LINE_STYLES[i % len(LINE_STYLES)])
        said.append(f"{name} ({_STYLE_NAMES[LINE_STYLES[i % len(LINE_STYLES)]]}, "
                    f"{MARKER_NAMES[i % len(MARKERS)]}) from {_num(values[0])} at l = 1 to "
                    f"{_num(values[-1])} at l = {values.size}")
    L = max(len(v) for v in norms.values())
    ax.set_xticks(range(1, L + 1))
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial l / \partial W^{(l)}\|$")
    ax.set_title(f"gradients by layer at depth L = {L}")  # the bound on sigma' is an exercise's answer
    ax.legend()
    describe(ax.lines[-len(norms)], "|dl/dW^(l)| by layer on a log scale: " + "; ".join(said))
    return ax
