"""Every bad input we tried, with the lecture's words it must be refused in.

Each row of BAD is (what, call, words): ``call(net, ctx)`` must raise a
NotationError (a ValueError) whose message contains ``words``, and leave every
W^(l), b^(l) of the network as it was. The network has sizes [2, 4, 3]:
W^(1) is (4, 2) = (d_1, d_0), W^(2) is (3, 4) = (d_2, d_1).
"""
import numpy as np
import pytest

import bplib
from bplib import MLP, NotationError
from bplib.mlp import Trace

NAN, INF = np.nan, np.inf


class Ctx:
    """What the calls need besides the network: inputs, a trace, another network."""

    def __init__(self, net):
        self.x = np.array([0.5, -1.0])
        self.X = np.array([[0.5, -1.0], [0.2, 0.3], [-0.7, 0.1]])
        self.trace = net.forward(self.x)
        self.batch_trace = net.forward(self.X)
        self.twin = MLP([2, 4, 3], sigma="tanh", output_sigma="softmax", seed=1)
        self.small = MLP([2, 3], seed=0)


def setW(l, value):
    return lambda net, c: net.W.__setitem__(l, value)


def setb(l, value):
    return lambda net, c: net.b.__setitem__(l, value)


def ce(x, y):
    return lambda net, c: net.gradients(x, y, "cross_entropy")


X2 = np.ones((3, 2))

BAD = [
    # --- x^(0) ----------------------------------------------------------------------
    ("x of the wrong size", lambda n, c: n(np.ones(3)),
     "x^(0) must have shape (2,) = (d_0,) for one sample or (N, 2) = (N, d_0) for a batch, got (3,)"),
    ("x batch of the wrong width", lambda n, c: n(np.ones((5, 3))), "got (5, 3)"),
    ("x with 3 axes", lambda n, c: n(np.ones((2, 2, 2))), "got (2, 2, 2)"),
    ("x a number", lambda n, c: n(1.0), "x^(0) must have shape (2,) = (d_0,)"),
    ("x None", lambda n, c: n(None), "x^(0) must have shape"),
    ("x an empty batch", lambda n, c: n(np.ones((0, 2))), "the batch is empty"),
    ("x an empty vector", lambda n, c: n(np.ones(0)), "got (0,)"),
    ("x with NaN", lambda n, c: n(np.array([NAN, 1.0])), "x^(0) holds NaN or infinite values"),
    ("x with inf", lambda n, c: n(np.array([1.0, INF])), "the first at index (1,)"),
    ("x batch with -inf", lambda n, c: n(np.array([[1.0, 2.0], [-INF, 0]])),
     "the first at index (1, 0)"),
    ("x a string", lambda n, c: n("ab"), "x^(0) must hold real numbers"),
    ("x a list of strings", lambda n, c: n(["a", "b"]), "x^(0) must hold real numbers"),
    ("x an object", lambda n, c: n(object()), "x^(0) must be an array of real numbers"),
    ("x a list of objects", lambda n, c: n([object(), object()]),
     "x^(0) must be an array of real numbers"),
    ("x a dict", lambda n, c: n({0: 1.0, 1: 2.0}), "x^(0) must be an array of real numbers"),
    ("x complex", lambda n, c: n(np.array([1j, 1.0])), "x^(0) must hold real numbers"),
    ("x ragged", lambda n, c: n([[1.0, 2.0], [3.0]]), "x^(0) must be an array of real numbers"),
    ("x of forward", lambda n, c: n.forward(np.ones(5)), "(d_0,)"),
    ("x of gradients", lambda n, c: n.gradients(np.ones(5), np.ones(3)), "(d_0,)"),
    # --- y ------------------------------------------------------------------------
    ("y of the wrong size", lambda n, c: n.gradients(c.x, np.ones(2)),
     "y must have shape (3,) = (d_L,) like x^(L), got (2,)"),
    ("y batch of the wrong shape", lambda n, c: n.gradients(c.X, np.ones((3, 2))),
     "y must have shape (3, 3) = (N, d_L) like x^(L), got (3, 2)"),
    ("y one row for a batch", lambda n, c: n.gradients(c.X, np.ones(3)), "got (3,)"),
    ("y with NaN", lambda n, c: n.gradients(c.x, np.array([NAN, 0, 0])),
     "y holds NaN or infinite values"),
    ("y with inf", lambda n, c: n.gradients(c.X, np.full((3, 3), INF)), "y holds NaN"),
    ("y a string", lambda n, c: n.gradients(c.x, "abc"), "y must hold real numbers"),
    ("y None", lambda n, c: n.gradients(c.x, None), "y must have shape (3,)"),
    # --- labels for cross_entropy --------------------------------------------------------
    ("labels too few", ce(X2, np.array([0, 1])), "y has 2 labels but the batch has 3 samples"),
    ("labels too many", ce(X2, np.array([0, 1, 2, 0])), "y has 4 labels but the batch has 3"),
    ("label out of range", ce(np.ones(2), 3), "class labels must be in 0..d_L-1 = 0..2, got 3"),
    ("label negative", ce(np.ones(2), -1), "class labels must be in 0..d_L-1 = 0..2, got -1"),
    ("labels out of range", ce(X2, np.array([0, 5, 1])), "0..d_L-1 = 0..2, got [0, 5, 1]"),
    ("label a fraction", ce(np.ones(2), 1.5), "a class label must be a whole number"),
    ("label NaN", ce(np.ones(2), NAN), "a class label must be a whole number"),
    ("label a string", ce(np.ones(2), "a"), "a class label must be a whole number"),
    ("label None", ce(np.ones(2), None), "a class label must be a whole number"),
    ("one-hot of the wrong width", ce(X2, np.eye(2)[[0, 1, 0]]), "y must have shape (3, 3)"),
    # --- W^(l), b^(l) assignment ------------------------------------------------------
    ("W^(2) transposed", setW(2, np.ones((4, 3))),
     "W^(2) must have shape (3, 4) = (d_2, d_1), got (4, 3)"),
    ("W^(1) a vector", setW(1, np.ones(8)), "W^(1) must have shape (4, 2) = (d_1, d_0), got (8,)"),
    ("W^(1) with NaN", setW(1, np.full((4, 2), NAN)), "W^(1) holds NaN or infinite values"),
    ("W^(2) with inf", setW(2, np.full((3, 4), INF)), "W^(2) holds NaN or infinite values"),
    ("W^(1) strings", setW(1, np.full((4, 2), "a")), "W^(1) must hold real numbers"),
    ("W^(1) None", setW(1, None), "W^(1) must have shape (4, 2)"),
    ("W^(0) assigned", setW(0, np.ones((2, 2))), "W^(0) does not exist: layer 0 is the input x^(0)"),
    ("W^(3) assigned", setW(3, np.ones((3, 3))), "W^(3) does not exist: this network has L = 2"),
    ("b^(1) the wrong length", setb(1, np.ones(3)), "b^(1) must have shape (4,) = (d_1,), got (3,)"),
    ("b^(2) a column", setb(2, np.ones((3, 1))), "b^(2) must have shape (3,) = (d_2,), got (3, 1)"),
    ("b^(2) with NaN", setb(2, np.array([0, NAN, 0])), "b^(2) holds NaN"),
    ("b^(0) assigned", setb(0, np.ones(2)), "b^(0) does not exist: layer 0 is the input"),
    # --- layer numbers ------------------------------------------------------------------
    ("W^(0)", lambda n, c: n.W[0], "W^(0) does not exist: layer 0 is the input x^(0), and "
     "layers with parameters are numbered 1..L = 1..2"),
    ("W^(L+1)", lambda n, c: n.W[3], "W^(3) does not exist: this network has L = 2 layers, "
     "so W^(l) exists for l = 1..2"),
    ("W^(-1)", lambda n, c: n.W[-1], "W^(-1) does not exist"),
    ("W^(1.5)", lambda n, c: n.W[1.5], "layer numbers are whole numbers 1..L, got 1.5"),
    ("W^('1')", lambda n, c: n.W["1"], "layer numbers are whole numbers 1..L, got '1'"),
    ("W^(True)", lambda n, c: n.W[True], "layer numbers are whole numbers"),
    ("W^(None)", lambda n, c: n.W[None], "layer numbers are whole numbers"),
    ("b^(0)", lambda n, c: n.b[0], "b^(0) does not exist"),
    ("b^(3)", lambda n, c: n.b[3], "b^(3) does not exist"),
    ("s^(0)", lambda n, c: c.trace.s[0], "s^(0) does not exist"),
    ("s^(3)", lambda n, c: c.trace.s[3], "s^(3) does not exist"),
    ("x^(3)", lambda n, c: c.trace.x[3], "x^(3) does not exist: this network has L = 2 layers, "
     "so x^(l) exists for l = 0..2"),
    ("x^(-1)", lambda n, c: c.trace.x[-1], "x^(-1) does not exist"),
    ("dl/dW^(0)", lambda n, c: n.gradients(c.x, np.ones(3)).W[0], "dl/dW^(0) does not exist"),
    ("dl/ds^(0)", lambda n, c: n.gradients(c.x, np.ones(3)).s[0], "dl/ds^(0) does not exist"),
    ("dl/dx^(3)", lambda n, c: n.gradients(c.x, np.ones(3)).x[3], "dl/dx^(3) does not exist"),
    ("activation of layer 0", lambda n, c: n.W[0.0], "layer numbers are whole numbers"),
    # --- dl/dx^(L) and the trace --------------------------------------------------------
    ("dl/dx^(L) of the wrong size", lambda n, c: n.backward(c.trace, np.ones(2)),
     "dl/dx^(L) must have shape (3,) = (d_L,), got (2,), the shape of x^(L)"),
    ("dl/dx^(L) a batch for one sample", lambda n, c: n.backward(c.trace, np.ones((1, 3))),
     "got (1, 3)"),
    ("dl/dx^(L) one row for a batch", lambda n, c: n.backward(c.batch_trace, np.ones(3)),
     "dl/dx^(L) must have shape (3, 3) = (N, d_L), got (3,)"),
    ("dl/dx^(L) with NaN", lambda n, c: n.backward(c.trace, np.array([0, NAN, 0])),
     "dl/dx^(L) holds NaN or infinite values"),
    ("dl/dx^(L) with inf", lambda n, c: n.backward(c.trace, np.array([0, 0, -INF])),
     "dl/dx^(L) holds NaN"),
    ("dl/dx^(L) None", lambda n, c: n.backward(c.trace, None), "dl/dx^(L) must have shape (3,)"),
    ("dl/dx^(L) strings", lambda n, c: n.backward(c.trace, ["a", "b", "c"]),
     "dl/dx^(L) must hold real numbers"),
    ("not a trace", lambda n, c: n.backward(c.x, np.ones(3)),
     "backward takes the trace that net.forward(x) returned"),
    ("a trace from another network", lambda n, c: n.backward(c.twin.forward(c.x), np.ones(3)),
     "this trace comes from another network"),
    ("a trace from a network of other sizes",
     lambda n, c: n.backward(c.small.forward(c.x), np.ones(3)), "another network"),
    ("a hand-made trace of other sizes",
     lambda n, c: n.backward(Trace(c.small.forward(c.x).x, c.small.forward(c.x).s), np.ones(3)),
     "this trace comes from a network of other sizes"),
    # --- the network itself, activations, losses -------------------------------------------
    ("sizes with one entry", lambda n, c: MLP([2]), "sizes must be [d_0, d_1, ..., d_L] with L >= 1"),
    ("sizes empty", lambda n, c: MLP([]), "sizes must be [d_0, d_1, ..., d_L]"),
    ("sizes with 0", lambda n, c: MLP([2, 0]), "every d_l a positive whole number, got [2, 0]"),
    ("sizes negative", lambda n, c: MLP([2, -3]), "positive whole number"),
    ("sizes fractional", lambda n, c: MLP([2, 2.5]), "positive whole number"),
    ("sizes float", lambda n, c: MLP([2, 2.0]), "positive whole number"),
    ("sizes bool", lambda n, c: MLP([2, True]), "positive whole number"),
    ("sizes a string", lambda n, c: MLP("23"), "positive whole number"),
    ("sizes None", lambda n, c: MLP(None), "sizes must be [d_0, d_1, ..., d_L]"),
    ("sizes a number", lambda n, c: MLP(3), "sizes must be [d_0, d_1, ..., d_L]"),
    ("a seed that is not a number", lambda n, c: MLP([2, 2], seed="a"), "seed must be a whole"),
    ("unknown activation", lambda n, c: MLP([2, 2], sigma="swish"), "unknown activation 'swish'"),
    ("unknown output activation", lambda n, c: MLP([2, 2], output_sigma="sign"),
     "unknown activation 'sign'"),
    ("numpy's tanh as sigma", lambda n, c: MLP([2, 2], sigma=np.tanh), "needs sigma'"),
    ("unknown loss", lambda n, c: n.gradients(c.x, np.ones(3), "hinge"), "unknown loss 'hinge'"),
    ("a number as loss", lambda n, c: n.gradients(c.x, np.ones(3), 2), "must be a bplib loss"),
    ("cross-entropy without probabilities",
     lambda n, c: MLP([2, 3], sigma="identity", seed=0).gradients(np.array([3.0, -4.0]), 0,
                                                                   "cross_entropy"),
     "cross_entropy takes probabilities x^(L) in [0, 1]"),
    # --- training --------------------------------------------------------------------------
    ("lr zero", lambda n, c: bplib.train.step(n, c.X, np.ones((3, 3)), lr=0),
     "the learning rate must be a positive number, got 0"),
    ("lr a string", lambda n, c: bplib.train.step(n, c.X, np.ones((3, 3)), lr="big"),
     "the learning rate must be a positive number"),
    ("a step that diverges", lambda n, c: bplib.train.step(n, c.X, [[1e6, 0, 0]] * 3, lr=1e308),
     "holds NaN or infinite values"),
]


@pytest.fixture
def net():
    return MLP([2, 4, 3], sigma="tanh", output_sigma="softmax", seed=0)


@pytest.mark.parametrize("what, call, words", BAD, ids=[row[0] for row in BAD])
def test_bad_input_is_refused_in_the_lectures_words(net, what, call, words):
    ctx = Ctx(net)
    before = [(net.W[l].copy(), net.b[l].copy()) for l in range(1, net.L + 1)]
    with pytest.raises(NotationError) as info:
        call(net, ctx)
    assert words in str(info.value), f"{what}: {info.value}"
    for l, (W, b) in zip(range(1, net.L + 1), before):
        np.testing.assert_array_equal(net.W[l], W, err_msg=f"{what} changed W^({l})")
        np.testing.assert_array_equal(net.b[l], b, err_msg=f"{what} changed b^({l})")


def test_every_row_of_the_table_is_distinct():
    assert len({row[0] for row in BAD}) == len(BAD)


def test_notation_error_is_a_value_error():
    assert issubclass(NotationError, ValueError)


# --- inputs that are not bad: integers and lists -----------------------------------------

def test_integer_x_works_and_equals_the_float_result(net):
    xi = np.array([[1, -2], [0, 3]])
    np.testing.assert_array_equal(net(xi), net(xi.astype(float)))
    np.testing.assert_array_equal(net([1, -2]), net(np.array([1.0, -2.0])))
    g_int = net.gradients(xi, np.array([0, 2]), "cross_entropy")
    g_float = net.gradients(xi.astype(float), np.array([0, 2]), "cross_entropy")
    np.testing.assert_array_equal(g_int.W[1], g_float.W[1])
    assert net.forward(xi).x[0].dtype == np.float64


def test_an_integer_W_is_stored_as_float64_so_updates_are_not_truncated(net):
    net.W[1] = np.ones((4, 2), dtype=int)
    net.b[1] = [0, 0, 0, 0]
    assert net.W[1].dtype == np.float64 and net.b[1].dtype == np.float64
    bplib.train.step(net, np.array([[0.3, 0.1]]), np.array([1]), "cross_entropy", lr=0.01)
    assert not np.all(net.W[1] == np.round(net.W[1]))  # fractional updates were kept


def test_assignment_stores_a_copy(net):
    W = np.ones((4, 2))
    net.W[1] = W
    W[0, 0] = 99.0
    assert net.W[1][0, 0] == 1.0


def test_a_refused_assignment_keeps_the_users_array(net):
    W = np.full((4, 2), 2.0)
    W[1, 1] = np.nan
    with pytest.raises(NotationError):
        net.W[1] = W
    assert W[0, 0] == 2.0 and np.isnan(W[1, 1])  # the user's array is untouched


def test_an_in_place_update_to_nan_says_it_could_not_be_undone(net):
    """numpy changes W^(l) before the check can refuse it; the message says so and how to avoid it."""
    with pytest.raises(NotationError) as info:
        net.W[2] -= np.full((3, 4), np.inf)
    assert "W^(2) holds NaN or infinite values" in str(info.value)
    assert "in place" in str(info.value) and "net.W[l] = net.W[l] - lr * g" in str(info.value)
    good = net.W[1].copy()
    with pytest.raises(NotationError) as info:
        net.W[1] = net.W[1] - np.full((4, 2), np.inf)  # the recommended form loses nothing
    assert "in place" not in str(info.value)
    np.testing.assert_array_equal(net.W[1], good)
