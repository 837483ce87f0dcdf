"""Notebook 09's own machinery: what its checks measure, and what its cells say they show."""
import numpy as np
import pytest

import bplib
from bpcourse import nb09
from bpcourse.mistakes import EXERCISES
from bplib.gradcheck import gradient_check


@pytest.mark.parametrize("seed", range(5))
def test_a_real_trace_holds_what_the_reference_counts(seed):
    rng = np.random.default_rng(seed)
    sizes = [int(d) for d in rng.integers(1, 40, size=int(rng.integers(2, 7)))]
    N = int(rng.integers(1, 200))
    assert nb09.measured_floats(sizes, N, seed=seed) == nb09.trace_floats(sizes, N)


def test_an_identity_layer_is_counted_once():
    """Its x^(L) is its s^(L), one array: the bytes held, not the names."""
    net = bplib.MLP([3, 4, 2], sigma="tanh", output_sigma="identity", seed=0)
    trace = net.forward(np.ones((5, 3)))
    assert trace.x[2] is trace.s[2]
    assert nb09.trace_nbytes(trace) == 8 * 5 * (3 + 4 + 4 + 2)


def test_the_binary_cross_entropy_passes_the_gradient_check():
    net = bplib.MLP([3, 4, 2], sigma="tanh", output_sigma="sigmoid", seed=1)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)).astype(float)
    assert gradient_check(net, X, Y, nb09.binary_cross_entropy).passed


def test_the_checks_network_is_saturated_on_the_wrong_side():
    net, x, y = nb09.saturated_output_case()
    xL = net(x)
    assert np.all(np.abs(xL - y) > 0.99)
    quadratic, cross = nb09.real_output_deltas(net, x, y)
    assert np.all(np.abs(cross) > 100 * np.abs(quadratic))


def test_the_real_networks_delta_ratio_falls_off_both_sides():
    s = np.array([-6.0, -2.0, 0.0, 2.0, 6.0])
    r = nb09.real_delta_ratio(s)
    assert r[2] == pytest.approx(1.0) and r[0] == pytest.approx(r[4]) and r[1] == pytest.approx(r[3])
    assert r[0] < r[1] < r[2] and r[0] < 0.01


def test_the_zero_entries_confirmed_by_real_gradients_are_rows_and_columns():
    for _, net, x in nb09._zero_cases():
        trace = net.forward(x)
        for l in range(1, net.L + 1):
            right, zero = nb09.confirm_zero_entries(net, trace, l, nb09.zero_gradient_entries(
                net, trace, l))
            assert right and zero.any()
    # one layer with every neuron off: then delta is 0 below it too, which one layer's
    # own factors do not show; the checks' cases keep a neuron on in every hidden layer
    net = bplib.MLP([2, 3, 2], sigma="relu", output_sigma="identity", seed=0)
    net.b[1] = -10 * np.ones(3)
    trace = net.forward(np.ones(2))
    assert not nb09._some_off(net, np.ones(2))
    assert np.all(nb09.confirm_zero_entries(net, trace, 1, np.ones((3, 2)))[1])


def test_nielsens_neuron_learns_slowly_with_the_quadratic_loss_only():
    quadratic = nb09.neuron_curves("quadratic")
    cross = nb09.neuron_curves(nb09.binary_cross_entropy)
    assert quadratic[0] == pytest.approx(cross[0]) and quadratic[0] > 0.98
    assert quadratic[50] > 0.95 and cross[50] < 0.15
    assert cross[-1] < quadratic[-1]


def _inputs(exercise):
    rng = np.random.default_rng(3)
    if exercise == "nb09.trace_floats":
        return [([5, 12, 7, 3], 40)]
    if exercise == "nb09.zero_entries":
        _, net, x = next(nb09._zero_cases())
        trace = net.forward(x)
        return [(net, trace, l) for l in range(1, net.L + 1)]
    if exercise == "nb09.saturation":
        return [(rng.uniform(-10, 10, size=6),)]
    xL = bplib.sigmoid(rng.uniform(-8, 8, size=(4, 3)))
    return [(xL, rng.integers(0, 2, size=(4, 3)).astype(float))]


RIGHT = {"nb09.trace_floats": nb09.trace_floats, "nb09.zero_entries": nb09.zero_gradient_entries,
         "nb09.saturation": nb09.saturation_ratio, "nb09.output_deltas": nb09.output_deltas}


@pytest.mark.parametrize("exercise", sorted(RIGHT))
def test_every_named_mistake_differs_from_the_right_answer(exercise):
    """Otherwise the grader would name a mistake where there is none."""
    ex = EXERCISES[exercise]
    for mistake in ex.mistakes:
        differs = False
        for args in _inputs(exercise):
            right = ex.reports(RIGHT[exercise](*args), "r")
            wrong = ex.reports(mistake.values(*args), "r")
            differs |= any(np.shape(a) != np.shape(b) or not np.allclose(a, b)
                           for (_, a), (_, b) in zip(right, wrong))
        assert differs, mistake.id
