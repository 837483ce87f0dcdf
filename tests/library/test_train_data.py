"""Gradient descent and SGD on the sum loss; the data sets."""
import hashlib
import re
from importlib import resources

import numpy as np
import pytest

import bplib
from bplib import MLP, NotationError
from bplib import data
from bplib.train import accuracy, predict, step, train


def snapshot(net):
    return [(net.W[l].copy(), net.b[l].copy()) for l in range(1, net.L + 1)]


def unchanged(net, snap):
    return all(np.array_equal(net.W[l], W) and np.array_equal(net.b[l], b)
               for l, (W, b) in zip(range(1, net.L + 1), snap))


# --- train.step ----------------------------------------------------------------

def test_step_is_one_gradient_descent_step_on_the_sum_loss(rng):
    net = MLP([3, 4, 2], sigma="tanh", seed=0)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    grads = net.gradients(X, Y)
    before = snapshot(net)
    returned = step(net, X, Y, lr=0.05)
    assert returned == pytest.approx(grads.loss, rel=1e-14)  # the loss before the step
    for l, (W, b) in zip(range(1, 3), before):
        np.testing.assert_allclose(net.W[l], W - 0.05 * grads.W[l], rtol=1e-14)
        np.testing.assert_allclose(net.b[l], b - 0.05 * grads.b[l], rtol=1e-14, atol=1e-16)
    assert bplib.quadratic(net(X), Y) < returned  # a small step downhill lowers L


def test_step_uses_the_networks_backward(rng):
    """A notebook sets net.backward to the student's own; training must use it."""
    net = MLP([2, 3, 1], seed=0)
    calls = []

    def students_backward(trace, dl_dxL):
        calls.append(trace)
        return MLP.backward(net, trace, dl_dxL)

    net.backward = students_backward
    step(net, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    train(net, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), epochs=2, progress=False)
    assert len(calls) == 3


def test_step_starts_a_backward_pass_of_ones_own_from_delta_L(rng):
    """With net.delta_L, the replaced backward pass starts from dl/ds^(L), not dl/dx^(L)."""
    X, labels = rng.normal(size=(6, 2)), rng.integers(3, size=6)
    net = MLP([2, 4, 3], sigma="tanh", output_sigma="softmax", seed=0)
    reference = net.copy()
    starts = []

    def delta_L(xL, y):
        starts.append(y)
        return xL - y          # softmax with cross-entropy

    net.delta_L = delta_L
    net.backward = lambda trace, dl_dsL: MLP._backward(net, trace, dl_dsL, dl_dsL,
                                                        input_gradient=False)
    mine = train(net, X, labels, "cross_entropy", lr=0.05, epochs=3, progress=False)
    theirs = train(reference, X, labels, "cross_entropy", lr=0.05, epochs=3, progress=False)
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    assert len(starts) == 3 and starts[0].shape == (6, 3)   # one-hot rows, as targets() gives
    np.testing.assert_array_equal(starts[0].argmax(axis=1), labels)


def test_delta_L_without_a_backward_pass_of_ones_own_is_refused(rng):
    net = MLP([2, 3, 1], seed=0)
    net.delta_L = lambda xL, y: xL - y
    with pytest.raises(NotationError, match="set net.backward"):
        step(net, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))


def test_a_diverging_step_changes_no_layer(rng):
    net = MLP([2, 3, 1], seed=0)
    before = snapshot(net)
    good = net.gradients(np.ones(2), np.ones(1))

    class Huge:  # layer 1 updates fine, layer 2 overflows to infinity
        W = {1: good.W[1], 2: np.full((1, 3), 1e308)}
        b = {1: good.b[1], 2: good.b[2]}

    net.backward = lambda trace, dl_dxL: Huge
    with pytest.raises(NotationError, match=r"W\^\(2\) holds NaN or infinite values"):
        step(net, np.ones(2), np.ones(1), lr=10.0)
    assert unchanged(net, before)


# --- train.train ---------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [None, 1, 3, 100])
def test_train_returns_one_loss_per_epoch_and_is_deterministic(batch_size, capsys):
    X, y = data.moons(n=40, seed=3)
    nets = [MLP([2, 5, 2], sigma="tanh", output_sigma="softmax", seed=1) for _ in range(2)]
    runs = [train(n, X, y, loss="cross_entropy", lr=0.05, epochs=7, batch_size=batch_size,
                  seed=4, progress=False) for n in nets]
    assert len(runs[0]) == 7 and all(isinstance(v, float) for v in runs[0])
    assert runs[0] == runs[1]
    np.testing.assert_array_equal(nets[0].W[1], nets[1].W[1])
    # each entry is the sum loss over all samples after that epoch
    assert runs[0][-1] == pytest.approx(bplib.cross_entropy(nets[0](X), y), rel=1e-12)
    assert runs[0][-1] < runs[0][0]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_minibatch_order_depends_on_the_seed():
    X, y = data.moons(n=40, seed=3)
    a, b = (MLP([2, 5, 2], sigma="tanh", output_sigma="softmax", seed=1) for _ in range(2))
    ha = train(a, X, y, loss="cross_entropy", lr=0.05, epochs=3, batch_size=4, seed=1,
               progress=False)
    hb = train(b, X, y, loss="cross_entropy", lr=0.05, epochs=3, batch_size=4, seed=2,
               progress=False)
    assert ha != hb


def test_full_batch_gradient_descent_equals_repeated_steps():
    X, y = data.xor()
    Y = data.one_hot(y, 2)
    a, b = MLP([2, 3, 2], seed=5), MLP([2, 3, 2], seed=5)
    history = train(a, X, Y, lr=0.5, epochs=4, progress=False)
    for _ in range(4):
        step(b, X, Y, lr=0.5)
    np.testing.assert_allclose(a.W[1], b.W[1], rtol=1e-14)
    assert history[-1] == pytest.approx(bplib.quadratic(b(X), Y))


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    X, y = data.xor()
    train(MLP([2, 2, 1], seed=0), X, y[:, None], epochs=3, progress=True)
    assert capsys.readouterr().out == ""


def test_xor_is_learned_by_a_small_sigmoid_net():
    X, y = data.xor()
    net = MLP([2, 3, 1], sigma="sigmoid", seed=0)
    history = train(net, X, y[:, None].astype(float), lr=2.0, epochs=2000, progress=False)
    assert history[-1] < 0.05 < history[0]
    assert accuracy(net, X, y) == 1.0
    np.testing.assert_array_equal(predict(net, X), y)


def test_predict_and_accuracy_with_several_outputs():
    net = MLP([2, 3], sigma="identity", seed=0)
    net.W[1] = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    X = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0], [1.0, 0.5]])
    np.testing.assert_array_equal(predict(net, X), [0, 1, 2, 0])
    assert accuracy(net, X, [0, 1, 2, 1]) == 0.75
    assert accuracy(net, X, data.one_hot(np.array([0, 1, 2, 1]), 3)) == 0.75
    assert predict(net, X[1]) == 1  # one sample


@pytest.mark.parametrize("call, words", [
    (lambda net, X, y: step(net, X, y, lr=0), "learning rate must be a positive number, got 0"),
    (lambda net, X, y: step(net, X, y, lr=-0.1), "learning rate must be a positive number"),
    (lambda net, X, y: step(net, X, y, lr=float("nan")), "learning rate must be a positive"),
    (lambda net, X, y: step(net, X, y, lr=np.inf), "learning rate must be a positive"),
    (lambda net, X, y: step(net, X, y, lr="0.1"), "learning rate must be a positive"),
    (lambda net, X, y: step(net, X, y, lr=None), "learning rate must be a positive"),
    (lambda net, X, y: train(net, X, y, lr=0, progress=False), "learning rate"),
    (lambda net, X, y: train(net, X, y, epochs=0, progress=False), "epochs must be a whole number"),
    (lambda net, X, y: train(net, X, y, epochs=2.5, progress=False), "epochs must be a whole"),
    (lambda net, X, y: train(net, X, y, batch_size=0, progress=False), "batch_size must be"),
    (lambda net, X, y: train(net, X, y, batch_size=1.5, progress=False), "batch_size must be"),
    (lambda net, X, y: train(net, X[0], y[0], progress=False), "batch X of shape (N, d_0)"),
    (lambda net, X, y: train(net, X, y[:2], progress=False), "X has 4 samples but y has 2"),
    (lambda net, X, y: train(net, X, 1.0, progress=False), "y has a single number"),
    (lambda net, X, y: train(net, X, y, loss="hinge", progress=False), "unknown loss"),
    (lambda net, X, y: accuracy(net, X, [0, 1]), "one label per sample"),
])
def test_bad_training_input_is_refused_and_changes_nothing(call, words):
    X, y = data.xor()
    net = MLP([2, 2, 1], seed=0)
    before = snapshot(net)
    with pytest.raises(ValueError) as info:  # NotationError is a ValueError
        call(net, X, y[:, None].astype(float))
    assert words in str(info.value)
    assert unchanged(net, before)


# --- data ----------------------------------------------------------------------

@pytest.mark.parametrize("make, n, classes", [
    (lambda seed: data.moons(n=50, seed=seed), 50, 2),
    (lambda seed: data.moons(n=51, noise=0.0, seed=seed), 51, 2),
    (lambda seed: data.spirals(n=90, classes=3, seed=seed), 90, 3),
    (lambda seed: data.spirals(n=40, classes=4, seed=seed), 40, 4),
])
def test_generated_sets_shapes_labels_and_seeds(make, n, classes):
    X, y = make(0)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(classes))
    assert np.isfinite(X).all()
    X2, y2 = make(0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(1)[0])


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.moons(n=60, noise=0.0, seed=2)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()


def test_xor():
    X, y = data.xor()
    assert X.shape == (4, 2) and y.shape == (4,)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


def test_digits_shape_range_labels_and_checksum():
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_allclose(X * 16, np.round(X * 16))  # 17 grey levels, 0..16
    assert np.issubdtype(y.dtype, np.integer) and set(np.unique(y)) == set(range(10))
    assert np.bincount(y).min() > 150  # every digit well represented
    readme = (resources.files("bplib") / "data" / "README.md").read_text()
    stated = re.search(r"sha256 ([0-9a-f]{64})", readme).group(1)
    shipped = (resources.files("bplib") / "data" / "digits.csv.gz").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == stated


def test_split_sizes_and_no_overlap():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = data.split(X, y, test_fraction=0.25, seed=3)
    assert len(X_te) == len(y_te) == 5 and len(X_tr) == len(y_tr) == 15
    assert set(y_tr).isdisjoint(y_te) and set(y_tr) | set(y_te) == set(range(20))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay with their labels
    again = data.split(X, y, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(again[3], y_te)
    assert not np.array_equal(data.split(X, y, test_fraction=0.25, seed=4)[3], y_te)


def test_one_hot():
    Y = data.one_hot(np.array([2, 0, 1, 2]), 3)
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(Y.argmax(axis=1), [2, 0, 1, 2])


@pytest.mark.parametrize("call, words", [
    (lambda: data.one_hot(np.array([0, 3]), 3), "labels of shape (N,) in 0..2"),
    (lambda: data.one_hot(np.array([0.0, 1.0]), 3), "labels of shape (N,)"),
    (lambda: data.one_hot(np.array([[0, 1]]), 3), "labels of shape (N,)"),
    (lambda: data.one_hot(np.array([0]), 0), "d must be a whole number >= 1"),
    (lambda: data.split(np.ones((4, 2)), np.ones(3)), "one row per sample"),
    (lambda: data.split(np.ones((4, 2)), np.ones(4), test_fraction=1.5), "test_fraction"),
    (lambda: data.split(np.ones((4, 2)), np.ones(4), test_fraction=0), "test_fraction"),
    (lambda: data.moons(n=-1), "n must be a whole number"),
    (lambda: data.moons(n=10, noise=-1), "noise must be a number >= 0"),
    (lambda: data.spirals(classes=0), "classes must be a whole number >= 1"),
    (lambda: data.spirals(n=2.5), "n must be a whole number"),
])
def test_bad_data_arguments_are_explained(call, words):
    with pytest.raises(NotationError) as info:
        call()
    assert words in str(info.value)
