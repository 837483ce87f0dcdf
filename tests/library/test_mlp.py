"""The MLP's forward and backward passes against independent references.

The references are HIPS autograd (the lecture's formulas written again in
autograd.numpy) and central finite differences. Tolerances: rtol 1e-7 against
autograd (both are exact up to rounding), relative error 1e-6 against finite
differences (their truncation error is about 1e-10 here).
"""
import os
import subprocess
import sys

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import bplib
from bplib import MLP
from bplib.gradcheck import numerical_gradients, relative_error

RTOL_AUTOGRAD = 1e-7
TOL_FINITE_DIFF = 1e-6


# --- the reference, from the lecture's formulas --------------------------------

def _softmax(s):
    e = anp.exp(s - anp.max(s, axis=-1, keepdims=True))
    return e / anp.sum(e, axis=-1, keepdims=True)


SIGMA = {
    "sigmoid": lambda s: 1.0 / (1.0 + anp.exp(-s)),
    "tanh": anp.tanh,
    "relu": lambda s: anp.maximum(s, 0.0),
    "identity": lambda s: s,
    "softmax": _softmax,
}
LOSS = {
    "quadratic": lambda xL, y: 0.5 * anp.sum((xL - y) ** 2),
    "cross_entropy": lambda xL, y: -anp.sum(y * anp.log(xL)),
}


def ag_from(l, a, Ws, bs, sigmas):
    """x^(L) from x^(l) = a, by s^(k) = W^(k) x^(k-1) + b^(k), x^(k) = sigma(s^(k)).

    Ws, bs, sigmas are lists indexed by layer (entry 0 unused). Batches as rows.
    """
    for k in range(l + 1, len(Ws)):
        a = SIGMA[sigmas[k]](anp.dot(a, Ws[k].T) + bs[k])
    return a


def reference_grads(net, x, Y, loss):
    """dl/dW, dl/db, dl/ds, dl/dx of the network by autograd, as dicts by layer."""
    L = net.L
    Ws = [None] + [net.W[l].copy() for l in range(1, L + 1)]
    bs = [None] + [net.b[l].copy() for l in range(1, L + 1)]
    sig = [None] + [net.activation(l).name for l in range(1, L + 1)]
    ell = LOSS[loss]

    def loss_of_params(params):
        W = [None] + [params[2 * i] for i in range(L)]
        b = [None] + [params[2 * i + 1] for i in range(L)]
        return ell(ag_from(0, x, W, b, sig), Y)

    flat = [p for l in range(1, L + 1) for p in (Ws[l], bs[l])]
    g = grad(loss_of_params)(flat)
    gW = {l: g[2 * (l - 1)] for l in range(1, L + 1)}
    gb = {l: g[2 * (l - 1) + 1] for l in range(1, L + 1)}

    # x^(l) and s^(l) by the plain formulas, then differentiate the rest of the net
    xs, ss = {0: x}, {}
    for l in range(1, L + 1):
        ss[l] = xs[l - 1] @ Ws[l].T + bs[l]
        xs[l] = np.asarray(SIGMA[sig[l]](ss[l]))
    gx = {l: grad(lambda a, l=l: ell(ag_from(l, a, Ws, bs, sig), Y))(xs[l])
          for l in range(0, L + 1)}
    gs = {l: grad(lambda s, l=l: ell(ag_from(l, SIGMA[sig[l]](s), Ws, bs, sig), Y))(ss[l])
          for l in range(1, L + 1)}
    return gW, gb, gs, gx, xs, ss


# --- the cases -----------------------------------------------------------------

# (output activation, loss, targets): "labels", "one-hot" or "real"
OUTPUTS = [
    (None, "quadratic", "real"),                 # the hidden sigma on layer L too
    ("softmax", "cross_entropy", "labels"),
    ("softmax", "cross_entropy", "one-hot"),
    ("softmax", "quadratic", "real"),
]


def make_case(sigma, L, output, batch, seed=0):
    """A random net [3, 4, 5, 4, 3][:L+1]-ish, an input and targets.

    For relu the seed is advanced until every s^(l) is at least 1e-3 away from
    0, where relu has no derivative.
    """
    out_sigma, loss, kind = output
    sizes = [3, 4, 5, 4, 3][:L] + [3]
    for trial in range(200):
        rng = np.random.default_rng(1000 * seed + trial)
        net = MLP(sizes, sigma=sigma, output_sigma=out_sigma, seed=int(rng.integers(1 << 30)))
        for l in range(1, L + 1):  # non-zero biases, so dl/db matters
            net.b[l] = rng.normal(0, 0.5, sizes[l])
        x = rng.normal(size=(5, sizes[0]) if batch else sizes[0])
        trace = net.forward(x)
        if sigma != "relu" or min(np.abs(trace.s[l]).min() for l in range(1, L + 1)) > 1e-3:
            break
    else:
        raise AssertionError("no relu net with inputs away from 0 found")
    N = 5 if batch else None
    shape = (N, sizes[-1]) if batch else (sizes[-1],)
    labels = rng.integers(0, sizes[-1], size=N) if batch else int(rng.integers(0, sizes[-1]))
    if kind == "labels":
        y = labels
    elif kind == "one-hot":
        y = np.eye(sizes[-1])[labels]
    else:
        y = rng.normal(size=shape)
    return net, x, y, loss


def as_one_hot(y, d):
    y = np.asarray(y)
    return np.eye(d)[y] if np.issubdtype(y.dtype, np.integer) else y


ACTS = ["sigmoid", "tanh", "relu", "identity"]
CASES = [(sigma, L, out, batch) for sigma in ACTS for L in (1, 2, 3, 4)
         for out in OUTPUTS for batch in (False, True)]
IDS = [f"{s}-L{L}-{o[0] or s}-{o[1]}-{o[2]}-{'batch' if b else 'sample'}"
       for s, L, o, b in CASES]


@pytest.mark.parametrize("sigma, L, output, batch", CASES, ids=IDS)
def test_backward_matches_autograd(sigma, L, output, batch):
    net, x, y, loss = make_case(sigma, L, output, batch)
    W_before = {l: net.W[l].copy() for l in range(1, L + 1)}
    grads = net.gradients(x, y, loss, input_gradient=True)
    Y = as_one_hot(y, net.sizes[-1])
    gW, gb, gs, gx, xs, ss = reference_grads(net, x, Y, loss)

    assert grads.loss == pytest.approx(float(LOSS[loss](xs[L], Y)), rel=1e-12)
    for l in range(1, L + 1):
        assert grads.W[l].shape == net.W[l].shape and grads.b[l].shape == net.b[l].shape
        np.testing.assert_allclose(grads.W[l], gW[l], rtol=RTOL_AUTOGRAD, atol=1e-12,
                                   err_msg=f"dl/dW^({l})")
        np.testing.assert_allclose(grads.b[l], gb[l], rtol=RTOL_AUTOGRAD, atol=1e-12,
                                   err_msg=f"dl/db^({l})")
        assert grads.s[l].shape == ss[l].shape
        np.testing.assert_allclose(grads.s[l], gs[l], rtol=RTOL_AUTOGRAD, atol=1e-12,
                                   err_msg=f"dl/ds^({l})")
    for l in range(0, L + 1):
        assert grads.x[l].shape == xs[l].shape
        np.testing.assert_allclose(grads.x[l], gx[l], rtol=RTOL_AUTOGRAD, atol=1e-12,
                                   err_msg=f"dl/dx^({l})")
    assert all(np.array_equal(net.W[l], W_before[l]) for l in W_before)


FD_CASES = [(sigma, L, out, batch) for sigma in ACTS for L in (1, 2, 3, 4)
            for out in (OUTPUTS[0], OUTPUTS[1]) for batch in (False, True)]


@pytest.mark.parametrize("sigma, L, output, batch", FD_CASES,
                         ids=[f"{s}-L{L}-{o[1]}-{'batch' if b else 'sample'}"
                              for s, L, o, b in FD_CASES])
def test_backward_matches_finite_differences(sigma, L, output, batch):
    net, x, y, loss = make_case(sigma, L, output, batch, seed=1)
    grads = net.gradients(x, y, loss)
    numeric = numerical_gradients(net, x, y, loss)
    for l in range(1, L + 1):
        for symbol in "Wb":
            g = getattr(grads, symbol)[l]
            err = relative_error(g, numeric[f"{symbol}^({l})"])
            assert err < TOL_FINITE_DIFF, f"dl/d{symbol}^({l}): relative error {err:.1e}"


def own_central_difference(f, x, h=1e-6):
    """df/dx for scalar f of an array x, entry by entry."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("batch", [False, True])
def test_input_gradient_matches_central_differences(batch):
    net, x, y, loss = make_case("tanh", 3, OUTPUTS[0], batch, seed=2)
    grads = net.gradients(x, y, loss, input_gradient=True)
    numeric = own_central_difference(lambda v: bplib.quadratic(net(v), y), x)
    assert relative_error(grads.x[0], numeric) < TOL_FINITE_DIFF


# --- the sum over samples, purity, shapes -------------------------------------------

@pytest.mark.parametrize("sigma, output", [("sigmoid", OUTPUTS[0]), ("relu", OUTPUTS[1]),
                                           ("tanh", OUTPUTS[3])])
def test_batch_gradient_is_the_sum_of_per_sample_gradients(sigma, output):
    net, X, Y, loss = make_case(sigma, 3, output, batch=True, seed=3)
    batch = net.gradients(X, Y, loss)
    singles = [net.gradients(x, y, loss) for x, y in zip(X, Y)]
    assert batch.loss == pytest.approx(sum(g.loss for g in singles), rel=1e-12)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(batch.W[l], sum(g.W[l] for g in singles), rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_allclose(batch.b[l], sum(g.b[l] for g in singles), rtol=1e-12,
                                   atol=1e-14)
        # per-sample quantities are rows, not sums
        np.testing.assert_allclose(batch.s[l], np.stack([g.s[l] for g in singles]),
                                   rtol=1e-12, atol=1e-14)


def test_backward_twice_gives_the_same_and_leaves_the_net_alone():
    net, X, Y, loss = make_case("sigmoid", 3, OUTPUTS[0], batch=True, seed=4)
    W0 = {l: net.W[l].copy() for l in range(1, 4)}
    b0 = {l: net.b[l].copy() for l in range(1, 4)}
    trace = net.forward(X)
    x_kept = {l: trace.x[l].copy() for l in range(0, 4)}
    dl_dxL = bplib.quadratic.gradient(trace.output, Y)
    first = net.backward(trace, dl_dxL)
    second = net.backward(trace, dl_dxL)
    for l in range(1, 4):
        np.testing.assert_array_equal(first.W[l], second.W[l])
        np.testing.assert_array_equal(first.b[l], second.b[l])
        assert first.W[l] is not second.W[l]  # fresh arrays, nothing accumulates
        np.testing.assert_array_equal(net.W[l], W0[l])
        np.testing.assert_array_equal(net.b[l], b0[l])
    for l in range(0, 4):
        np.testing.assert_array_equal(trace.x[l], x_kept[l])
    # gradients() is just as pure
    g1, g2 = net.gradients(X, Y), net.gradients(X, Y)
    for l in range(1, 4):
        np.testing.assert_array_equal(g1.W[l], g2.W[l])


def test_forward_of_a_batch_equals_row_by_row(rng):
    net = MLP([4, 6, 5, 3], sigma="tanh", output_sigma="softmax", seed=5)
    X = rng.normal(size=(7, 4))
    trace = net.forward(X)
    for n, x in enumerate(X):
        single = net.forward(x)
        for l in range(0, net.L + 1):
            assert single.x[l].shape == (net.sizes[l],)
            np.testing.assert_allclose(trace.x[l][n], single.x[l], rtol=1e-13, atol=1e-15)
        for l in range(1, net.L + 1):
            np.testing.assert_allclose(trace.s[l][n], single.s[l], rtol=1e-13, atol=1e-15)


def test_forward_follows_the_lecture_formulas(rng):
    net = MLP([3, 4, 2], sigma="sigmoid", seed=6)
    x = rng.normal(size=3)
    trace = net.forward(x)
    np.testing.assert_array_equal(trace.x[0], x)
    s1 = net.W[1] @ x + net.b[1]
    x1 = 1 / (1 + np.exp(-s1))
    s2 = net.W[2] @ x1 + net.b[2]
    np.testing.assert_allclose(trace.s[1], s1, rtol=1e-14)
    np.testing.assert_allclose(trace.x[1], x1, rtol=1e-14)
    np.testing.assert_allclose(trace.s[2], s2, rtol=1e-14)
    np.testing.assert_allclose(trace.x[2], 1 / (1 + np.exp(-s2)), rtol=1e-14)
    np.testing.assert_array_equal(net(x), trace.x[2])
    np.testing.assert_array_equal(trace.output, trace.x[net.L])


def test_forward_does_not_keep_a_reference_to_the_callers_input(rng):
    net = MLP([2, 3, 1], seed=0)
    x = rng.normal(size=(4, 2))
    trace = net.forward(x)
    x += 1.0
    assert not np.array_equal(trace.x[0], x)


def test_initial_weights_shapes_scale_and_seed():
    a, b, c = MLP([50, 40, 30], seed=1), MLP([50, 40, 30], seed=1), MLP([50, 40, 30], seed=2)
    for l, (d, p) in enumerate([(40, 50), (30, 40)], start=1):
        assert a.W[l].shape == (d, p) and a.b[l].shape == (d,)
        assert a.W[l].dtype == np.float64
        np.testing.assert_array_equal(a.W[l], b.W[l])
        assert not np.array_equal(a.W[l], c.W[l])
        np.testing.assert_array_equal(a.b[l], 0.0)
        # W_jk ~ N(0, 1/d_{l-1}): the sample variance is within 20 % of 1/d_{l-1}
        assert abs(a.W[l].var() * p - 1) < 0.2
    assert a.n_parameters == 40 * 51 + 30 * 41


def test_copy_is_independent():
    net = MLP([2, 3, 2], sigma="tanh", output_sigma="softmax", seed=0)
    twin = net.copy()
    assert twin.sizes == net.sizes and twin.sigma is net.sigma
    assert twin.output_sigma is net.output_sigma
    twin.W[1] = twin.W[1] + 1
    assert not np.array_equal(twin.W[1], net.W[1])
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(net.copy()(x), net(x))


def test_layers_mapping_interface():
    net = MLP([2, 3, 4, 1], seed=0)
    assert list(net.W) == [1, 2, 3] == net.W.keys() == net.b.keys()
    assert len(net.W) == 3
    assert [v.shape for v in net.W.values()] == [(3, 2), (4, 3), (1, 4)]
    assert [l for l, _ in net.b.items()] == [1, 2, 3]
    assert net.W[np.int64(2)] is net.W[2]
    assert "(4, 3)" in repr(net.W)


# --- softmax and cross-entropy ----------------------------------------------------

def test_softmax_jacobian_equals_the_numerical_one(rng):
    for _ in range(3):
        s = rng.normal(size=5) * 3
        np.testing.assert_allclose(bplib.softmax.jacobian(s), bplib.jacobian(bplib.softmax, s),
                                   rtol=1e-6, atol=1e-9)
        x = bplib.softmax(s)
        assert x.sum() == pytest.approx(1.0) and (x > 0).all()


def test_softmax_backward_is_the_jacobian_transposed_times_dl_dx(rng):
    s = rng.normal(size=(4, 3))
    x = bplib.softmax(s)
    dl_dx = rng.normal(size=(4, 3))
    got = bplib.softmax.backward(s, x, dl_dx)
    for n in range(4):
        np.testing.assert_allclose(got[n], bplib.softmax.jacobian(s[n]).T @ dl_dx[n],
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("labels", [True, False])
def test_softmax_with_cross_entropy_gives_x_minus_y(rng, labels):
    net = MLP([3, 5, 4], sigma="tanh", output_sigma="softmax", seed=7)
    X = rng.normal(size=(6, 3))
    y = rng.integers(0, 4, size=6)
    Y = np.eye(4)[y]
    grads = net.gradients(X, y if labels else Y, "cross_entropy")
    np.testing.assert_allclose(grads.s[2], net(X) - Y, rtol=1e-10, atol=1e-12)
    # one sample, with an int label
    g1 = net.gradients(X[0], int(y[0]) if labels else Y[0], "cross_entropy")
    np.testing.assert_allclose(g1.s[2], net(X[0]) - Y[0], rtol=1e-10, atol=1e-12)


# --- repr ----------------------------------------------------------------------

def test_repr_speaks_the_lecture_notation():
    net = MLP([3, 5, 2], sigma="tanh", output_sigma="softmax")
    text = repr(net)
    assert "L = 2" in text
    assert f"{net.n_parameters} parameters" in text and net.n_parameters == 5 * 4 + 2 * 6
    assert "W^(1): (5, 3)" in text and "W^(2): (2, 5)" in text
    assert "b^(1): (5,)" in text and "b^(2): (2,)" in text
    assert "s^(1) = W^(1) x^(0) + b^(1)" in text
    assert "x^(1) = tanh(s^(1)) in R^5" in text
    assert "x^(2) = softmax(s^(2)) in R^2" in text
    assert "x^(0) in R^3" in text
    assert "W^(3)" not in text and "W^(0)" not in text


def test_trace_and_grads_reprs_name_their_parts():
    net = MLP([2, 3, 1], seed=0)
    trace = net.forward(np.ones(2))
    assert repr(trace).startswith("Trace(x=") and "s=" in repr(trace)
    grads = net.backward(trace, np.ones(1))
    assert repr(grads).startswith("Grads(W=") and "b=" in repr(grads)
    assert grads.loss is None
    assert net.gradients(np.ones(2), np.ones(1)).loss == pytest.approx(
        0.5 * float(((net(np.ones(2)) - 1) ** 2).sum()))


@pytest.mark.parametrize("batch", [False, True])
def test_softmax_as_a_hidden_activation_matches_autograd(batch):
    """softmax is not element-wise; in a hidden layer its whole Jacobian must be used."""
    net, x, y, loss = make_case("softmax", 3, OUTPUTS[0], batch, seed=5)
    grads = net.gradients(x, y, loss)
    gW, gb, gs, gx, _, _ = reference_grads(net, x, y, loss)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(grads.W[l], gW[l], rtol=RTOL_AUTOGRAD, atol=1e-12)
        np.testing.assert_allclose(grads.s[l], gs[l], rtol=RTOL_AUTOGRAD, atol=1e-12)


def test_dl_dx0_is_computed_with_the_rest_or_not_at_all():
    net, x, y, loss = make_case("tanh", 2, OUTPUTS[0], batch=True, seed=6)
    W1 = net.W[1].copy()
    full = net.gradients(x, y, loss, input_gradient=True)
    assert list(full.x) == [0, 1, 2]  # in layer order, all there from the start
    net.W[1] = 2 * W1  # replaced after the backward pass: dl/dx^(0) was already computed
    np.testing.assert_allclose(full.x[0], full.s[1] @ W1, rtol=1e-14)
    for params_only in (net.gradients(x, y, loss), net.gradients(x, y, loss, input_gradient=False),
                        net.backward(net.forward(x), np.ones((5, 3)), input_gradient=False)):
        assert list(params_only.x) == [1, 2] and list(params_only.W) == [1, 2]
        with pytest.raises(bplib.NotationError,
                           match=r"dl/dx\^\(0\) was not computed.*input_gradient=False"):
            params_only.x[0]
        assert list(params_only.x) == [1, 2]  # asking computed nothing
    lean = net.gradients(x, y, loss, input_gradient=False)
    fat = net.gradients(x, y, loss, input_gradient=True)
    for l in (1, 2):
        np.testing.assert_array_equal(lean.W[l], fat.W[l])


def test_results_are_listed_in_layer_order():
    net = MLP([3, 4, 5, 2], seed=0)
    trace = net.forward(np.ones(3))
    assert list(trace.x) == [0, 1, 2, 3] and list(trace.s) == [1, 2, 3]
    grads = net.backward(trace, np.ones(2))
    for part in (grads.W, grads.b, grads.s):
        assert list(part) == [1, 2, 3] == part.keys() and len(part) == 3
        assert [l for l, _ in part.items()] == [1, 2, 3]
        assert [v.shape for v in part.values()] == [part[l].shape for l in (1, 2, 3)]
    assert list(grads.x) == [0, 1, 2, 3] and 0 in grads.x and 4 not in grads.x
    assert "1: array(4, 3)" in repr(grads.W)


def test_backward_reads_like_the_slide(rng):
    """The four equations, from l = L down to 1, checked on the results of one backward pass."""
    net = MLP([3, 4, 5, 2], sigma="tanh", seed=1)
    X = rng.normal(size=(6, 3))
    trace = net.forward(X)
    dl_dxL = rng.normal(size=(6, 2))
    grads = net.backward(trace, dl_dxL)
    np.testing.assert_array_equal(grads.x[3], dl_dxL)
    for l in (3, 2, 1):
        dsigma = 1 - np.tanh(trace.s[l]) ** 2
        np.testing.assert_allclose(grads.s[l], dsigma * grads.x[l], rtol=1e-12)
        np.testing.assert_allclose(grads.W[l], grads.s[l].T @ trace.x[l - 1], rtol=1e-12)
        np.testing.assert_allclose(grads.b[l], grads.s[l].sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(grads.x[l - 1], grads.s[l] @ net.W[l], rtol=1e-12)


def test_gradients_leave_the_callers_batch_alone(rng):
    """gradients reads x^(0) without copying it, and must never write to it."""
    net = MLP([4, 5, 3], sigma="tanh", seed=2)
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    kept = X.copy()
    X.flags.writeable = False  # a write would raise
    first, second = net.gradients(X, Y), net.gradients(X, Y)
    np.testing.assert_array_equal(X, kept)
    for l in (1, 2):
        np.testing.assert_array_equal(first.W[l], second.W[l])


# --- memory: what the library asks of glibc, and when ------------------------------

FAULTS_PER_STEP = """
import resource, sys
import numpy as np
import bplib
from bplib import mlp
assert mlp._freed_memory_kept is None, "importing bplib asked glibc for something"
if sys.argv[1] == "opt-out":
    mlp.keep_freed_memory(0)
net = bplib.MLP([784, 256, 256, 10], seed=0)
rng = np.random.default_rng(0)
X, Y = rng.random((128, 784)), rng.random((128, 10))
for _ in range(3):
    net.gradients(X, Y)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    net.gradients(X, Y)
print(mlp._freed_memory_kept, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _glibc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError):
        return False


def test_training_keeps_freed_memory_for_the_next_step(need):
    """The first net.gradients asks glibc to keep freed memory: no page faults step after step.

    Page faults are counted, not timed: the same on a quiet or a loaded machine.
    """
    need(_glibc(), "the C library is not glibc: bplib leaves malloc alone there")

    def run(how):
        out = subprocess.run([sys.executable, "-c", FAULTS_PER_STEP, how], check=True,
                             capture_output=True, text=True).stdout.split()
        return out[0], float(out[1])

    kept, faults = run("default")
    assert kept == "True" and faults < 50, f"{faults} page faults per step"
    # opted out, glibc returns the memory and every step faults it back in, page by page
    kept, faults = run("opt-out")
    assert kept == "False" and faults > 200, f"{faults} page faults per step"
