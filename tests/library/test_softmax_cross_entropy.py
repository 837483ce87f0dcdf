"""Softmax with cross-entropy: dl/ds^(L) = x^(L) - y, exact where softmax saturates.

The reference values are computed with mpmath at 50 digits from the same
s^(L), then rounded once to float64.
"""
import mpmath
import numpy as np
import pytest

import bplib
from bplib import MLP
from bplib.gradcheck import gradient_check

mpmath.mp.dps = 50


def exact_softmax_minus_y(s, label):
    """softmax(s) - y for one sample, y one-hot at label, each entry rounded once."""
    e = [mpmath.exp(mpmath.mpf(float(v))) for v in s]
    total = mpmath.fsum(e)
    return np.array([float(v / total - (1 if j == label else 0)) for j, v in enumerate(e)])


def exact_cross_entropy(s, label):
    """-log softmax(s)_label."""
    total = mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in s)
    return float(mpmath.log(total) - mpmath.mpf(float(s[label])))


def saturated_net(gap):
    """One layer, identity W: s^(1) = x^(0), and softmax(s^(1)) with a class gap below the top."""
    net = MLP([3, 3], sigma="identity", output_sigma="softmax", seed=0)
    net.W[1], net.b[1] = np.eye(3), np.zeros(3)
    return net, np.array([0.0, -gap, -1.0])


# gap 690: x^(L)_1 ~ 1e-300; 740: a subnormal ~ 4e-322; 800: 0 in float64
@pytest.mark.parametrize("gap", [690.0, 740.0, 800.0])
def test_dl_ds_at_a_saturated_softmax_is_exact(gap):
    net, x = saturated_net(gap)
    label = 1  # the class softmax gives (almost) no probability
    grads = net.gradients(x, label, "cross_entropy")
    exact = exact_softmax_minus_y(x, label)
    assert exact[1] == -1.0
    np.testing.assert_allclose(grads.s[1], exact, rtol=4e-16, atol=0)
    np.testing.assert_allclose(grads.W[1], np.outer(exact, x), rtol=4e-16, atol=0)
    np.testing.assert_allclose(grads.b[1], exact, rtol=4e-16, atol=0)
    assert grads.loss == pytest.approx(exact_cross_entropy(x, label), rel=1e-15)


def test_the_jacobian_route_loses_what_the_fused_form_keeps():
    """Backpropagating -y / x^(L) through J_softmax gives dl/ds^(L)_1 = 0 where it is -1."""
    net, x = saturated_net(800.0)
    trace = net.forward(x)
    via_jacobian = net.backward(trace, bplib.cross_entropy.gradient(trace.output, 1))
    assert abs(via_jacobian.s[1][1] - (-1.0)) > 0.5
    assert net.gradients(x, 1, "cross_entropy").s[1][1] == -1.0


def test_a_batch_of_saturated_samples_sums_exactly():
    net, x = saturated_net(740.0)
    X = np.stack([x, x[::-1]])
    labels = np.array([1, 0])
    grads = net.gradients(X, labels, "cross_entropy")
    rows = [exact_softmax_minus_y(X[0], 1), exact_softmax_minus_y(X[1], 0)]
    np.testing.assert_allclose(grads.s[1], np.stack(rows), rtol=4e-16, atol=0)
    np.testing.assert_allclose(grads.b[1], rows[0] + rows[1], rtol=4e-16, atol=1e-300)


def test_soft_targets_use_x_times_the_sum_of_y_minus_y(rng):
    """For y that does not sum to 1, J^T (-y / x) = x sum_j y_j - y, not x - y."""
    net = MLP([3, 4], sigma="identity", output_sigma="softmax", seed=2)
    x, y = rng.normal(size=3), np.array([0.2, 0.0, 0.5, 0.1])
    grads = net.gradients(x, y, "cross_entropy")
    trace = net.forward(x)
    via_jacobian = net.backward(trace, bplib.cross_entropy.gradient(trace.output, y))
    np.testing.assert_allclose(grads.s[1], via_jacobian.s[1], rtol=1e-12)
    np.testing.assert_allclose(grads.s[1], trace.output * 0.8 - y, rtol=1e-12)


def test_gradient_check_passes_the_fused_form_where_differences_can_see():
    net, x = saturated_net(30.0)  # x^(L)_1 ~ 1e-13: small, and still a slope to measure
    check = gradient_check(net, x, 1, "cross_entropy")
    assert check.passed, str(check)


def test_training_steps_along_the_fused_gradient():
    net, x = saturated_net(800.0)
    before = net.W[1].copy()
    loss_before = bplib.train.step(net, x, 1, "cross_entropy", lr=0.5)
    assert loss_before == pytest.approx(exact_cross_entropy(x, 1), rel=1e-15)
    np.testing.assert_allclose(net.W[1], before - 0.5 * np.outer(exact_softmax_minus_y(x, 1), x),
                               rtol=1e-15)
