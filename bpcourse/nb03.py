r"""Checks for notebook 03: the MLP's notation, one neuron and one layer.

w^l_jk connects neuron k of layer l-1 to neuron j of layer l, so row j of
W^l holds the weights into neuron j:

    s^l_j = sum_k w^l_jk x^{l-1}_k + b^l_j,   x^l_j = sigma(s^l_j),
    s^l = W^l x^{l-1} + b^l.

One neuron is asked for with the sum written as a for loop over k, the whole
layer without a loop: the inputs are watched arrays that count the loops. A
loop must also carry the value: on inputs whose whole-row products give NaN
(their entries stay exact), x^l_j must still come out right.
"""
import numpy as np

from bplib import activations

from .method import FORWARD, Log, MethodError, Rules, reference, run, watched

NEURON = Rules("the sum over k written as a for loop, as on the slide", FORWARD)
LAYER = Rules("s^l = W^l x^{l-1} + b^l as one matrix-vector product", FORWARD)


class _Entries(np.ndarray):
    """An array whose entries read one at a time are exact, and whose memory is NaN.

    A loop over k reads the entries one at a time (``W[j, k]``, ``W[j][k]``, ``for w in
    W[j]``) and gets the right sum; anything that uses a whole row at once, on the array
    or on a plain copy of it (``W[j] @ x_prev``, ``np.dot``, ``np.asarray(W)``,
    ``W.tolist()``), works on the NaN underneath, so an answer whose value comes from one
    shows it.
    """

    def __array_finalize__(self, obj):
        self.true = None   # only _entries and indexing give a view its numbers

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if self.true is None:
            return out
        true = self.true[key]
        if not isinstance(out, np.ndarray):
            return np.float64(true)   # one entry: its number
        out.true = true
        return out

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def item(self, *args):
        return float(self.true.item(*args)) if self.true is not None else super().item(*args)


def _entries(a):
    true = np.array(a, dtype=float)
    out = np.full_like(true, np.nan).view(_Entries)
    out.true = true
    return out


def _case(d_l, d_prev, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d_l, d_prev)), rng.normal(size=d_l), rng.normal(size=d_prev)


@reference
def reference_neuron(W, b, x_prev, j, sigma=activations.tanh):
    """x^l_j = sigma(sum_k w^l_jk x^{l-1}_k + b^l_j)."""
    return float(sigma(W[j] @ x_prev + b[j]))


@reference
def reference_weighted_input(W, b, x_prev):
    """s^l = W^l x^{l-1} + b^l, shape (d_l,)."""
    return W @ x_prev + b


def _number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} is one number; yours is {type(value).__name__} "
                             f"{np.shape(value)}") from None


HINT = ("W^l has shape (d_l, d_{l-1}): row j holds the weights into neuron j, and "
        "x^{l-1} has d_{l-1} entries")


def test_neuron(neuron):
    """Raise AssertionError, in the lecture's words, unless x^l_j is right."""
    sigma = activations.tanh
    W, b, x_prev = _case(4, 4, seed=3)   # square, so W[k, j] runs too
    j = 1
    log = Log()
    got = _number(run(neuron, watched(W, "W", log), b.copy(), watched(x_prev, "x", log), j, sigma,
                      rules=NEURON, hint=HINT).value, "x^l_j")
    s_j = W[j] @ x_prev + b[j]
    if np.isclose(got, sigma(W[:, j] @ x_prev + b[j])):
        raise AssertionError("you used w^l_kj = W[k, j]; w^l_jk is W[j, k]: row j of W^l holds "
                             "the weights into neuron j")
    if np.isclose(got, s_j):
        raise AssertionError("that is s^l_j, the weighted input; the activation is x^l_j = "
                             "sigma(s^l_j)")
    if np.isclose(got, sigma(W[j] @ x_prev)):
        raise AssertionError("the bias is missing: x^l_j = sigma(sum_k w^l_jk x^{l-1}_k + b^l_j)")
    if np.isclose(got, sigma(W[j] @ x_prev) + b[j]):
        raise AssertionError("the bias was added after sigma: it belongs inside, "
                             "x^l_j = sigma(sum_k w^l_jk x^{l-1}_k + b^l_j)")
    for k in (0, len(x_prev) - 1):
        if np.isclose(got, sigma(s_j - W[j, k] * x_prev[k])):
            raise AssertionError(f"the term k = {k} is missing from the sum: k runs over every "
                                 "neuron of layer l-1, range(len(x_prev))")
    assert np.isclose(got, sigma(s_j)), (
        f"your x^l_{j} = {got:.6f} is not sigma(sum_k w^l_jk x^(l-1)_k + b^l_j) for neuron "
        f"j = {j}: row j of W^l, every k of x^(l-1), b^l_j, then sigma")
    if log["x", "item"] < len(x_prev) and log["W", "item"] < len(x_prev) and not (
            log["x", "iter"] or log["W", "iter"]):
        raise MethodError("the value is right, but the exercise asks for the sum over k as a "
                             "for loop, as on the slide: s_j = b[j], then for k in "
                             "range(len(x_prev)): s_j += W[j, k] * x_prev[k]")
    flow = run(neuron, _entries(W), b.copy(), _entries(x_prev), j, sigma, rules=NEURON,
               hint=HINT).value
    if not np.isclose(_number(flow, "x^l_j"), sigma(s_j)):
        raise MethodError("the value is right, but it does not come from your for loop: it "
                          "comes from a product or sum over a whole row (W[j] @ x_prev, np.dot, "
                          "a sum of W[j] * x_prev, also on a copy such as np.asarray(W)); the "
                          "exercise asks for the sum over k in the "
                          "loop itself: s_j = b[j], then for k in range(len(x_prev)): "
                          "s_j += W[j, k] * x_prev[k]")
    # Layers that narrow and widen, and a sigma other than tanh.
    relu = activations.relu
    for d_l, d_prev, seed in ((3, 5, 4), (6, 2, 8)):
        W, b, x_prev = _case(d_l, d_prev, seed)
        for j in range(d_l):
            got = _number(run(neuron, W.copy(), b.copy(), x_prev.copy(), j, relu,
                              rules=NEURON, hint=HINT).value, "x^l_j")
            want = reference_neuron(W, b, x_prev, j, relu)
            if np.isclose(got, want):
                continue
            if d_l < d_prev and np.isclose(got, relu(W[j, :d_l] @ x_prev[:d_l] + b[j])):
                raise AssertionError(
                    f"with W^l of shape ({d_l}, {d_prev}) your sum stops after k = {d_l - 1}: "
                    f"it runs over the d_l = {d_l} neurons of layer l, which fits a square W^l "
                    f"only; k runs over the d_(l-1) = {d_prev} neurons of layer l-1, "
                    "range(len(x_prev))")
            if np.isclose(got, activations.tanh(W[j] @ x_prev + b[j])):
                raise AssertionError(
                    f"with sigma = relu your x^l_{j} = {got:.6f} is tanh's: use the sigma you "
                    "are given, sigma(s_j)")
            raise AssertionError(
                f"with sigma = relu, W^l of shape ({d_l}, {d_prev}) and j = {j}, your x^l_j = "
                f"{got:.6f} is not sigma(sum_k w^l_jk x^(l-1)_k + b^l_j): k runs over the "
                f"d_(l-1) = {d_prev} neurons of layer l-1, j picks row j of W^l")


def test_weighted_input(weighted_input):
    """Raise AssertionError, in the lecture's words, unless s^l = W^l x^{l-1} + b^l."""
    W, b, x_prev = _case(4, 4, seed=5)
    log = Log()
    got = run(weighted_input, watched(W, "W", log), b.copy(), watched(x_prev, "x", log),
              rules=LAYER, hint=HINT).value
    if isinstance(got, list):
        raise AssertionError("you returned a Python list; s^l is a numpy array, W @ x_prev + b")
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"return a numpy array, got {type(got).__name__}") from None
    assert got.shape == (4,), (
        f"your s^l has shape {got.shape}: s^l is a vector with one entry s^l_j per neuron j of "
        "layer l, the sum over k of w^l_jk x^{l-1}_k plus b^l_j")
    if np.allclose(got, W.T @ x_prev + b):
        raise AssertionError("s^(l) should be W^(l) x^(l-1) + b^(l); yours looks like "
                             "W^(l)^T x^(l-1) + b^(l) (or x @ W): check the order of j and k")
    if np.allclose(got, (W * x_prev).sum(axis=0) + b):
        raise AssertionError("that sums w^l_jk x^{l-1}_k over j, the neurons of layer l; s^l_j "
                             "sums over k, the order of j and k: W @ x_prev")
    if np.allclose(got, W @ x_prev):
        raise AssertionError("the bias is missing: s^l = W^l x^{l-1} + b^l")
    assert np.allclose(got, W @ x_prev + b), "s^l should be W^l x^{l-1} + b^l; yours differs"
    if log["W", "item"] or log["W", "iter"] or log["x", "item"] or log["x", "iter"]:
        raise MethodError("the value is right, but the exercise asks for the whole layer "
                             "without a loop: W @ x_prev is the matrix-vector product that "
                             "computes every s^l_j at once")
    # A layer that narrows and one that widens.
    for d_l, d_prev, seed in ((2, 6, 6), (5, 2, 7)):
        W, b, x_prev = _case(d_l, d_prev, seed)
        got = np.asarray(run(weighted_input, W.copy(), b.copy(), x_prev.copy(), rules=LAYER,
                             hint=HINT + ": s^l = W^l x^{l-1}, W on the left").value,
                         dtype=float)
        assert got.shape == (d_l,), (
            f"for W^l of shape (d_l, d_(l-1)) = ({d_l}, {d_prev}) your s^l has shape "
            f"{got.shape}: s^l has one entry s^l_j per neuron j of layer l")
        assert np.allclose(got, W @ x_prev + b), (
            f"for W^l of shape (d_l, d_(l-1)) = ({d_l}, {d_prev}) your s^l differs from "
            "W^l x^(l-1) + b^l; it is right for a square W^l: s^l_j sums over k, the neurons "
            "of layer l-1")
