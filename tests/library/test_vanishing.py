"""Vanishing gradients: |dl/dW^(l)| by layer for sigmoid, tanh and relu at depth 10."""
import numpy as np
import pytest

import bplib
from bplib import NotationError
from bplib.plots import plot_layer_gradients
from bplib.vanishing import layer_gradient_norms, vanishing_gradients


def test_the_norms_are_those_of_the_backward_pass():
    norms = layer_gradient_norms("tanh", depth=4, width=5, N=7, seed=3)
    net = bplib.MLP([5] * 5, sigma="tanh", output_sigma="identity", seed=3)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    grads = net.gradients(X, Y)
    np.testing.assert_allclose(norms, [np.sqrt((grads.W[l] ** 2).sum()) for l in range(1, 5)],
                               rtol=1e-14)


def test_sigmoid_gradients_vanish_towards_the_input_and_tanh_relu_do_not():
    norms = vanishing_gradients(depth=10)
    assert list(norms) == ["sigmoid", "tanh", "relu"]
    assert all(v.shape == (10,) and (v > 0).all() for v in norms.values())
    s = norms["sigmoid"]
    # each layer shrinks it by at least sigma' <= 1/4 times |W| ~ 1: over 9 layers, < 1e-3
    assert s[0] / s[-1] < 1e-3
    assert np.all(np.diff(s) > 0)  # smaller at every step towards the input
    for name in ("tanh", "relu"):
        assert norms[name][0] / norms[name][-1] > 0.1, name


def test_the_numbers_repeat_with_the_seed_and_change_without():
    a, b = layer_gradient_norms("relu", seed=1), layer_gradient_norms("relu", seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, layer_gradient_norms("relu", seed=2))


@pytest.mark.parametrize("kwargs, words", [({"depth": 0}, "depth must be a whole number >= 1"),
                                           ({"width": 2.5}, "width must be a whole number"),
                                           ({"seed": -1}, "seed must be a whole number >= 0"),
                                           ({"sigma": "swish"}, "unknown activation 'swish'")])
def test_bad_arguments_are_explained(kwargs, words):
    args = dict(sigma="sigmoid")
    args.update(kwargs)
    with pytest.raises(NotationError, match=words):
        layer_gradient_norms(**args)


def test_the_plot_has_one_line_per_activation_on_a_log_scale():
    norms = vanishing_gradients(depth=10)
    ax = plot_layer_gradients(norms)
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["sigmoid", "tanh", "relu"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), norms["sigmoid"])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(1, 11))
    assert ax.get_title() == "gradients by layer at depth L = 10"


@pytest.mark.parametrize("bad", [{}, [1, 2], {"sigmoid": [1.0, -1.0]}])
def test_the_plot_refuses_what_is_not_norms(bad):
    with pytest.raises(NotationError):
        plot_layer_gradients(bad)
