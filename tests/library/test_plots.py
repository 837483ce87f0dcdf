"""The plots draw what they say, on the Agg backend (set in conftest.py)."""
import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
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


def test_line_colour_and_width_follow_the_weight():
    net = MLP([2, 2], seed=0)
    net.W[1] = np.array([[1.0, -0.5], [0.25, -1.0]])
    ax = plots.draw_network(net)
    colours = line_colours(ax)
    widths = [line.get_linewidth() for line in ax.lines]
    signs = [1, -1, 1, -1]  # lines drawn j by j, k by k
    assert colours == [to_rgba("tab:blue") if s > 0 else to_rgba("tab:red") for s in signs]
    assert widths[0] == max(widths) == widths[3] and widths[2] == min(widths)


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
    import matplotlib.pyplot as plt

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


def test_plot_decision_regions_scatters_every_sample():
    X, y = data.moons(n=30, seed=0)
    net = MLP([2, 4, 2], sigma="tanh", output_sigma="softmax", seed=0)
    ax = plots.plot_decision_regions(net, X, y, resolution=20)
    scatters = [c for c in ax.collections if len(c.get_offsets()) == len(X)]
    assert len(scatters) == 1
    np.testing.assert_allclose(scatters[0].get_offsets(), X)
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
