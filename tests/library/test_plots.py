"""The plots draw what they say, on the Agg backend (set in conftest.py)."""
import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.quiver import Quiver

from bplib import MLP, NotationError, plots
from bplib import data

ORANGE = to_rgba("orange")


def test_backend_is_headless():
    assert matplotlib.get_backend().lower() == "agg"


def line_colours(ax):
    return [to_rgba(line.get_color()) for line in ax.lines]


@pytest.mark.parametrize("sizes", [[2, 3, 1], [4, 5, 5, 3], [1, 1]])
def test_draw_network_has_one_line_per_weight_and_one_circle_per_neuron(sizes):
    net = MLP(sizes, seed=0)
    ax = plots.draw_network(net)
    assert isinstance(ax, Axes)
    n_weights = sum(net.W[l].size for l in range(1, net.L + 1))
    assert len(ax.lines) == n_weights
    assert len(ax.collections) == sum(sizes)  # one scatter per neuron
    texts = [t.get_text() for t in ax.texts]
    assert "$x^{0}_{0}$" in texts and f"$x^{{{net.L}}}_{{0}}$" in texts
    assert any(f"$d_{{{net.L}}}$ = {sizes[-1]}" in t for t in texts)
    assert ORANGE not in line_colours(ax)  # nothing highlighted


def test_line_colour_style_and_width_follow_the_weight():
    net = MLP([2, 2], seed=0)
    net.W[1] = np.array([[1.0, -0.5], [0.25, -1.0]])
    ax = plots.draw_network(net)
    colours = line_colours(ax)
    widths = [line.get_linewidth() for line in ax.lines]
    signs = [1, -1, 1, -1]  # lines drawn j by j, k by k
    assert colours == [to_rgba("tab:blue") if s > 0 else to_rgba("tab:red") for s in signs]
    # the sign shows in the line style too, not by colour alone
    assert [line.get_linestyle() for line in ax.lines] == ["-" if s > 0 else "--" for s in signs]
    assert widths[0] == max(widths) == widths[3] and widths[2] == min(widths)
    key = {t.get_text(): h.get_linestyle()
           for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    assert key == {"w > 0 (solid)": "-", "w < 0 (dashed)": "--"}


def test_highlighting_a_weight_colours_that_line_only():
    net = MLP([3, 4, 2], seed=0)
    ax = plots.draw_network(net, highlight=(2, 1, 3))
    colours = line_colours(ax)
    assert colours.count(ORANGE) == 1
    chosen = ax.lines[colours.index(ORANGE)]
    # it joins neuron k = 3 of layer 1 to neuron j = 1 of layer 2
    pos = plots.neuron_positions(net.sizes)
    np.testing.assert_allclose(np.c_[chosen.get_xdata(), chosen.get_ydata()],
                               [pos[(1, 3)], pos[(2, 1)]])
    label = [t.get_text() for t in ax.texts if "w^{2}_{13}" in t.get_text()]
    assert label and f"{net.W[2][1, 3]:.2f}" in label[0]


def test_highlighting_a_neuron_colours_its_incoming_weights():
    net = MLP([3, 4, 2], seed=0)
    ax = plots.draw_network(net, highlight=(1, 2))
    assert line_colours(ax).count(ORANGE) == 3  # d_0 weights into neuron 2 of layer 1
    faces = [to_rgba(c.get_facecolor()[0]) for c in ax.collections]
    assert faces.count(ORANGE) == 1
    ax0 = plots.draw_network(net, highlight=(0, 1))  # an input neuron: no weights into it
    assert line_colours(ax0).count(ORANGE) == 0
    assert [to_rgba(c.get_facecolor()[0]) for c in ax0.collections].count(ORANGE) == 1


def test_draws_on_a_given_axes():
    _, ax = plt.subplots()
    assert plots.draw_network(MLP([2, 2], seed=0), ax=ax) is ax
    assert plots.plot_loss([3, 2, 1], ax=ax) is ax


@pytest.mark.parametrize("highlight, words", [
    ((3, 0, 0), "W^(3) does not exist"),
    ((0, 0, 0), "W^(0) does not exist: layer 0 is the input"),
    ((1, 4, 0), "neuron j = 4 does not exist in layer 1: j = 0..3"),
    ((1, -1, 0), "neuron j = -1 does not exist"),
    ((2, 0, 9), "neuron k = 9 does not exist in layer 1: k = 0..3"),
    ((3, 0), "x^(3) does not exist"),
    ((1,), "highlight is (l, j, k)"),
    ((1, 0, 0, 0), "highlight is (l, j, k)"),
    (1, "highlight is (l, j, k)"),
    ((1, "a"), "whole numbers"),
    ((1, 1.5), "whole numbers"),
])
def test_a_bad_highlight_is_explained(highlight, words):
    net = MLP([3, 4, 2], seed=0)
    with pytest.raises(NotationError) as info:
        plots.draw_network(net, highlight=highlight)
    assert words in str(info.value)


def test_plot_loss():
    ax = plots.plot_loss([4.0, 3.0, 2.5], label="sgd")
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), [4.0, 3.0, 2.5])
    assert ax.get_yscale() == "linear" and ax.get_xlabel() == "epoch"
    assert ax.get_legend() is not None
    assert plots.plot_loss([1000.0, 10.0, 1.0]).get_yscale() == "log"  # spans decades


def test_plot_decision_regions_scatters_every_sample_with_a_marker_per_class():
    X, y = data.moons(n=30, seed=0)
    net = MLP([2, 4, 2], sigma="tanh", output_sigma="softmax", seed=0)
    ax = plots.plot_decision_regions(net, X, y, resolution=20)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_label()
                and not c.get_label().startswith("_")]
    assert len(scatters) == 2
    for c, scatter in enumerate(scatters):
        np.testing.assert_allclose(scatter.get_offsets(), X[y == c])
    # the markers differ in shape, and the legend names them
    paths = [s.get_paths()[0].vertices.shape for s in scatters]
    assert paths[0] != paths[1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "class 0 (circles)", "class 1 (triangles)"]
    assert "30 samples (15 of class 0 as circles, 15 of class 1 as triangles)" in \
        plots.alt_text(ax.figure)
    with pytest.raises(NotationError, match="d_0 = 3"):
        plots.plot_decision_regions(MLP([3, 2]), np.ones((2, 3)), [0, 1])
    with pytest.raises(NotationError, match=r"shape \(N, 2\)"):
        plots.plot_decision_regions(net, np.ones((3, 3)), [0, 1, 1])


def test_plot_gradient_field_arrows_are_the_gradient():
    ax = plots.plot_gradient_field(lambda v: v[0] ** 2 + 3 * v[1], (-1, 1), (-1, 1), n=5)
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    assert quiver.N == 25
    np.testing.assert_allclose(quiver.U, 2 * quiver.X, atol=1e-6)  # df/dx_0 = 2 x_0
    np.testing.assert_allclose(quiver.V, 3.0, rtol=1e-6)           # df/dx_2 = 3
    assert plots.alt_text(ax.figure) == (
        "plot: contour lines of the function for x_0 from -1 to 1 and x_1 from -1 to 1, its values "
        "from -3 to 4; 25 arrows of the gradient pointing uphill, up to 3.61 long.")


# --- readable at the size the notebook shows it -------------------------------------------

WIDGET_DPI = 80   # the network explorer's pixels per inch on a screen of density 1


def test_network_labels_are_readable_at_the_explorers_size():
    ax = plots.draw_network(MLP([3, 4, 2], seed=0), highlight=(1, 2, 0))
    px = {t.get_text(): t.get_fontsize() * WIDGET_DPI / 72 for t in ax.texts}
    neurons = [size for text, size in px.items() if text.startswith("$x^")]
    assert len(neurons) == 9 and min(neurons) >= 13        # sub- and superscripts >= 9 px
    assert min(px.values()) >= 11, px
    assert min(t.get_fontsize() for t in ax.get_legend().get_texts()) * WIDGET_DPI / 72 >= 11


def _crosses(bbox, p, q, n=200):
    t = np.linspace(0, 1, n)[:, None]
    return any(bbox.contains(x, y) for x, y in (1 - t) * p + t * q)


@pytest.mark.parametrize("sizes, highlight", [([3, 4, 2], (1, 2, 0)), ([3, 4, 2], (2, 0, 3)),
                                              ([2, 3, 2], (1, 0, 0)), ([3, 5, 2], (2, 1, 4)),
                                              ([4, 1], (1, 0, 2))])
def test_the_weights_label_stays_off_its_edge_and_the_neurons(sizes, highlight):
    net = MLP(sizes, seed=1)
    fig, ax = plt.subplots(figsize=(2.0 * len(sizes) + 1, 0.7 * max(sizes) + 2), dpi=WIDGET_DPI)
    plots.draw_network(net, ax=ax, highlight=highlight)
    fig.canvas.draw()
    (label,) = [t for t in ax.texts if "w^{" in t.get_text()]
    box = label.get_bbox_patch().get_window_extent()
    chosen = ax.lines[line_colours(ax).index(ORANGE)]
    p, q = ax.transData.transform(np.c_[chosen.get_xdata(), chosen.get_ydata()])
    assert not _crosses(box, p, q)
    for (x, y) in plots.neuron_positions(sizes).values():
        assert not box.contains(*ax.transData.transform((x, y)))


# --- text alternatives ------------------------------------------------------------------

def test_a_helpers_figure_is_described_in_numbers():
    fig, (a, b) = plt.subplots(1, 2)
    plots.plot_loss([14.013, 9.5, 3.2], ax=a)
    a.set_title("training loss")
    plots.draw_network(MLP([3, 4, 2], seed=0), ax=b, highlight=(1, 2, 0))
    alt = plots.alt_text(fig)
    assert alt.startswith("plot 1 of 2 (training loss): loss curve: 3 epochs, "
                          "L = sum_n l_n from 14 to 3.2, lowest 3.2")
    assert "plot 2 of 2: network diagram: layers 0 to 2 with 3, 4, 2 neurons" in alt
    assert "dashed red if negative" in alt


def test_the_sentence_goes_with_what_it_describes():
    fig, ax = plt.subplots()
    plots.plot_loss([3.0, 2.0], ax=ax)
    ax.lines[0].remove()                      # what a widget's redraw does
    plots.plot_loss([5.0, 4.0, 1.0], ax=ax)
    assert plots.alt_text(fig) == ("plot: loss curve: 3 epochs, L = sum_n l_n from 5 to 1, "
                                   "lowest 1.")


def test_a_plot_drawn_by_hand_is_read_from_its_lines_bars_and_images():
    fig, (a, b, c) = plt.subplots(1, 3)
    h = np.logspace(-8, -1, 8)
    a.loglog(h, h ** 2 + 1e-12 / h, "o-", label=r"central: $(f(x+h)-f(x-h))/2h$")
    a.set_xlabel("$h$")
    a.set_ylabel(r"largest error in $\mathbf{J}$")
    b.bar(range(3), [0.5, -1.25, 2.0])
    c.imshow([[1.0, 2.0], [3.0, 4.0]])
    alt = plots.alt_text(fig)
    assert "x axis h, log scale, y axis largest error in J, log scale" in alt
    assert "central: (f(x+h)-f(x-h))/2h (solid line with markers): 8 points from (1e-08, " \
           "0.0001) to (0.1, 0.01), lowest largest error in J = 2e-08 at h = 0.0001." in alt
    assert "plot 2 of 3: 3 bars of height 0.5, -1.25, 2" in alt
    assert "3 bars of height 0.5, -1.25, 2" in alt
    assert "an image of 2 x 2 values, by row: 1, 2; 3, 4" in alt


def test_matrices_and_predictions_say_their_numbers():
    ax = plots.plot_matrix([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]], title="$A$")
    assert [t.get_text() for t in ax.texts] == ["1", "-2", "0.5", "0", "3", "1"]
    assert "a matrix of shape (2, 3): 2 x 3 values, by row: 1, -2, 0.5; 0, 3, 1" in \
        plots.alt_text(ax.figure)
    images = np.arange(4 * 64).reshape(4, 64)
    ax = plots.plot_predictions(images, [1, 7, 3, 0], [1, 2, 3, 0], n=4)
    titles = [a.get_title() for a in ax.child_axes]
    assert titles == ["1", "7 wrong", "3", "0"]          # wrong in words, not in red alone
    assert plots.alt_text(ax.figure) == (
        "plot: 4 images with the predicted class: 1, 7, 3, 0; 3 right, 1 wrong: "
        "image 2 is a 2, predicted 7.")


def test_layer_gradients_differ_in_marker_and_line_style():
    ax = plots.plot_layer_gradients({"sigmoid": [1e-5, 1e-3], "tanh": [0.1, 0.2],
                                     "relu": [0.3, 0.3]})
    assert len({line.get_marker() for line in ax.lines}) == 3
    assert len({line.get_linestyle() for line in ax.lines}) == 3
    assert "sigmoid (solid, circles) from 1e-05 at l = 1 to 0.001 at l = 2" in \
        plots.alt_text(ax.figure)


def test_the_bundle_carries_the_text_alternative_in_every_form():
    import base64

    fig, ax = plt.subplots()
    plots.plot_loss([2.0, 1.0], ax=ax)
    data = plots.bundle(fig)
    assert data["text/plain"] == "plot: loss curve: 2 epochs, L = sum_n l_n from 2 to 1, lowest 1."
    assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["text/html"] == (f'<img alt="{data["text/plain"]}" '
                                 f'src="data:image/png;base64,{data["image/png"]}">')
    quoted = plots.bundle(fig, alt='a "quoted" <b>')["text/html"]
    assert quoted.startswith('<img alt="a &quot;quoted&quot; &lt;b&gt;"')


def test_show_displays_the_bundle_once_and_closes_the_figure(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    fig, ax = plt.subplots()
    plots.plot_loss([2.0, 1.0], ax=ax)
    plots.show(fig)
    ((args, kwargs),) = shown
    assert kwargs == {"raw": True} and set(args[0]) == {"text/html", "image/png", "text/plain"}
    assert not plt.fignum_exists(fig.number)   # the inline backend will not draw it again


# --- every plot of the notebooks goes through plots.show ---------------------------------

SOLUTIONS = sorted((Path(__file__).parents[2] / "solutions").glob("*.ipynb"))
DRAWS = re.compile(r"plt\.(subplots|figure|plot|imshow)\(|\b(draw_network|plot_\w+)\(|"
                   r"\.(imshow|contourf?|loglog|semilogy|semilogx|bar|scatter|plot)\(")


def test_the_solutions_are_found():
    assert len(SOLUTIONS) >= 8


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_notebook_plot_is_shown_with_its_text_alternative(path):
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        assert "plt.show(" not in source, f"{path.name}, cell {i}: plt.show() shows no text"
        if DRAWS.search(source):
            assert "plots.show(" in source, (
                f"{path.name}, cell {i} draws a figure: show it with bplib.plots.show(fig), "
                "which gives it a text alternative")
