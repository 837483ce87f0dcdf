r"""Checks for notebook 08, backpropagation through an MLP.

Going from layer L down to layer 1,

    dl/ds^(l)   = J_sigma(s^(l))^T dl/dx^(l)    (sigma'(s^(l)) * dl/dx^(l), element-wise sigma)
    dl/dW^(l)   = dl/ds^(l) (x^(l-1))^T         (an outer product, summed over a batch)
    dl/db^(l)   = dl/ds^(l)                      (summed over a batch)
    dl/dx^(l-1) = (W^(l))^T dl/ds^(l)

The student's backward pass is judged by ``bplib.gradient_check``, which
compares it with finite differences and names what a wrong one looks like.
"""
import numpy as np

from bplib import losses
from bplib.gradcheck import gradient_check
from bplib.mlp import MLP


def backward(net, trace, dl_dxL):
    """The reference: bplib's own backward pass, with the exercise's signature."""
    return net.backward(trace, dl_dxL)


def _cases():
    """(what, net, x, y, loss): one sample and a batch, element-wise and softmax outputs."""
    rng = np.random.default_rng(8)
    yield ("one sample, sigmoid layers, quadratic loss",
           MLP([3, 4, 2], sigma="sigmoid", seed=2), rng.normal(size=3), rng.normal(size=2),
           losses.quadratic)
    yield ("a batch of 5 samples, tanh layers, quadratic loss",
           MLP([3, 5, 4, 2], sigma="tanh", seed=3), rng.normal(size=(5, 3)),
           rng.normal(size=(5, 2)), losses.quadratic)
    yield ("a batch of 4 samples, softmax output, cross-entropy loss",
           MLP([4, 6, 3], sigma="tanh", output_sigma="softmax", seed=4),
           rng.normal(size=(4, 4)), np.array([0, 2, 1, 2]), losses.cross_entropy)


def test_backward(student_fn):
    """gradient_check on each case, with the network and the trace left unchanged."""
    for what, net, x, y, loss in _cases():
        W_before = [net.W[l].copy() for l in range(1, net.L + 1)]
        trace = net.forward(x)
        kept = [trace.x[l].copy() for l in range(net.L + 1)]
        student_fn(net, trace, loss.gradient(trace.output, y))
        assert all(np.array_equal(net.W[l], W) for l, W in zip(range(1, net.L + 1), W_before)), (
            "your backward pass changed W^(l): it must only read the network and the trace")
        assert all(np.array_equal(trace.x[l], v) for l, v in enumerate(kept)), (
            "your backward pass changed the trace x^(l): compute new arrays instead of "
            "updating those in place")
        result = gradient_check(net, x, y, loss, backward=student_fn)
        if not result.passed:
            raise AssertionError(f"on {what}, bplib.gradient_check says:\n{result}")
