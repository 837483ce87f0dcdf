r"""Checks for notebook 09, further: the memory of reverse mode and the four equations read.

Reverse mode needs what the forward pass kept: the trace holds x^(l) for
l = 0..L and s^(l) for l = 1..L, each (N, d_l) for a batch. Read one at a
time (Nielsen, ch. 2-3), the four equations

    BP1  delta^(L) = sigma'(s^(L)) * dl/dx^(L)
    BP2  delta^(l) = sigma'(s^(l)) * (W^(l+1))^T delta^(l+1)
    BP3  dl/db^(l) = delta^(l)
    BP4  dl/dw^l_jk = delta^l_j x^(l-1)_k

say which weights get no gradient (a factor exactly 0), which neurons learn
slowly (a small sigma'), and why the cross-entropy on a sigmoid output keeps
delta^(L) large where the quadratic loss lets it vanish.
"""
import numpy as np

from bplib import losses
from bplib.mlp import MLP

from .method import (BACKPROP, BUILD_NETWORK, CHAIN, FINITE_DIFFERENCES, FORWARD, GIVEN_DERIVATIVES,
                     OWN_DERIVATIVES, Rules, as_array, pair, reference, run)
from .nb08 import DERIVATIVES

FLOAT_BYTES = 8   # a float64


# --- the memory of the trace -------------------------------------------------------------------

@reference
def trace_nbytes(trace):
    """The bytes the arrays of a trace hold, each array counted once.

    An identity layer's x^(l) is its s^(l), one array under two names.

    Parameters
    ----------
    trace : Trace

    Returns
    -------
    int
    """
    arrays = {id(a): a for a in list(trace.x.values()) + list(trace.s.values())}
    return int(sum(a.nbytes for a in arrays.values()))


@reference
def measured_floats(sizes, N, seed=0):
    """The float64 numbers the trace of a real forward pass holds, for a batch of N.

    A tanh network with a sigmoid output layer (no layer shares x^(l) with s^(l)).

    Parameters
    ----------
    sizes : list of int, [d_0, ..., d_L]
    N : int, the batch size

    Returns
    -------
    int
    """
    net = MLP(sizes, sigma="tanh", output_sigma="sigmoid", seed=seed)
    X = np.random.default_rng(seed).normal(size=(N, sizes[0]))
    return trace_nbytes(net.forward(X)) // FLOAT_BYTES


@reference
def trace_floats(sizes, N):
    """N (d_0 + 2 (d_1 + ... + d_L)): x^(l) for l = 0..L and s^(l) for l = 1..L. The reference."""
    return int(N * (sizes[0] + 2 * sum(sizes[1:])))


@reference
def _memory_variant(sizes, N, mistake):
    d = list(sizes)
    return int({"no_input": N * 2 * sum(d[1:]),
                "no_s": N * sum(d),
                "one_sample": d[0] + 2 * sum(d[1:]),
                "bytes": FLOAT_BYTES * N * (d[0] + 2 * sum(d[1:])),
                "parameters": sum(a * (p + 1) for p, a in zip(d, d[1:])),
                "s_only_hidden": N * (d[0] + 2 * sum(d[1:]) - d[-1])}[mistake])


MEMORY_MISTAKES = [
    ("no_input", "x^(0) is missing: the trace keeps the input too, as dl/dW^(1) = "
                 "delta^(1) (x^(0))^T needs it"),
    ("no_s", "s^(l) is missing: the trace keeps the weighted inputs s^(l) beside the "
             "activations x^(l), for sigma'(s^(l))"),
    ("one_sample", "that is one sample's trace: a batch keeps every array for each of the N "
                   "samples, (N, d_l)"),
    ("bytes", "that counts bytes, 8 for each float64: the question asks for the number of floats"),
    ("parameters", "that counts the parameters W^(l) and b^(l); the trace holds the values of "
                   "the forward pass, x^(l) and s^(l), for the batch"),
    ("s_only_hidden", "s^(L) of the output layer is missing: the trace keeps s^(l) for every "
                      "l = 1..L"),
]
MEMORY = Rules("the number of floats from your own formula in N and the d_l, without running "
               "a forward pass", {**FORWARD, **BUILD_NETWORK})
MEMORY_CASES = [([4, 3, 2], 5), ([2, 7], 1), ([10, 20, 20, 3], 16), ([64, 32, 10], 128)]


def test_trace_floats(student_fn):
    """Your count against the bytes of a real trace, over several sizes and batches."""
    for sizes, N in MEMORY_CASES:
        got = run(student_fn, list(sizes), N, rules=MEMORY).value
        if isinstance(got, (list, tuple, np.ndarray)) and np.ndim(got) > 0:
            raise AssertionError(f"for sizes {sizes} and N = {N} you returned "
                                 f"{type(got).__name__}; return one whole number, the total")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise AssertionError(f"return a whole number of floats, got "
                                 f"{type(got).__name__}") from None
        measured = measured_floats(sizes, N)
        if got == measured:
            continue
        for key, message in MEMORY_MISTAKES:
            if got == _memory_variant(sizes, N, key):
                raise AssertionError(f"for sizes {sizes} and N = {N} your count is {got:g}: "
                                     f"{message}")
        raise AssertionError(
            f"for sizes {sizes} and N = {N} your count is {got:g}, not what the trace of a real "
            "forward pass holds: count each array the trace keeps, x^(l) for l = 0..L and s^(l) "
            "for l = 1..L, each (N, d_l)")


# --- BP4: a weight whose input is 0, or whose neuron is switched off -----------------------------

ZERO = Rules("which entries are 0 read from the trace by BP1-BP4, without computing a gradient",
             {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN}, allow=GIVEN_DERIVATIVES)


@reference
def _zero_variant(net, trace, l, mistake=None):
    """The mask of the entries of dl/dW^(l) that are exactly 0 for every target, or a mistake."""
    dsigma = net.activation(l).derivative(trace.s[l])
    rows, cols = dsigma == 0, trace.x[l - 1] == 0
    if mistake == "columns_only":
        rows = np.zeros_like(rows)
    elif mistake == "rows_only":
        cols = np.zeros_like(cols)
    elif mistake == "relu_rows_everywhere":
        rows = trace.s[l] <= 0
    if mistake == "both":
        return rows[:, None] & cols[None, :]
    return rows[:, None] | cols[None, :]


@reference
def zero_gradient_entries(net, trace, l):
    """The entries of dl/dW^(l) that BP4 makes exactly 0 for one sample: the reference."""
    return _zero_variant(net, trace, l)


ZERO_MISTAKES = [
    ("columns_only", "only the columns k with x^(l-1)_k = 0 are marked: BP4's other factor, "
                     "delta^l_j = sigma'(s^l_j) * (...) by BP1/BP2, is 0 too where sigma'(s^l_j) "
                     "= 0, for a whole row j"),
    ("rows_only", "only the rows j with sigma'(s^l_j) = 0 are marked: BP4, dl/dw^l_jk = "
                  "delta^l_j x^(l-1)_k, is 0 too where the input x^(l-1)_k = 0, for a whole "
                  "column k"),
    ("both", "you mark an entry only where both factors are 0: delta^l_j x^(l-1)_k is 0 as soon "
             "as one of them is"),
    ("relu_rows_everywhere", "the rows with s^l_j <= 0 are marked on a layer that is not relu: "
                             "there sigma'(s^l_j) is not 0, so delta^l_j is not switched off"),
]


def _zero_cases():
    """(what, net, one sample x^(0)) with zeros in x^(0) and switched-off relu neurons."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=6)
    x[[1, 4]] = 0.0                      # blank pixels
    yield "a 6-5-5-3 relu network with an identity output", \
        MLP([6, 5, 5, 3], sigma="relu", output_sigma="identity", seed=3), x
    x = rng.uniform(0, 1, size=4)
    x[2] = 0.0
    yield "a 4-6-2 relu network with a sigmoid output", \
        MLP([4, 6, 2], sigma="relu", output_sigma="sigmoid", seed=4), x


def _some_off(net, x):
    """Whether every hidden layer has a neuron switched off and one switched on."""
    trace = net.forward(x)
    return all(0 < np.sum(trace.s[l] <= 0) < net.sizes[l] for l in range(1, net.L))


def confirm_zero_entries(net, trace, l, mask, targets=3, seed=0):
    """Whether ``mask`` marks exactly the entries of dl/dW^(l) that are 0 for several targets.

    Runs bplib's backward pass from dl/dx^(L) = x^(L) - y for random targets y (the
    quadratic loss).

    Returns
    -------
    (bool, array of bool)
        The verdict and where dl/dW^(l) was 0 for every target.
    """
    rng = np.random.default_rng(seed)
    zero = np.ones(net.W[l].shape, dtype=bool)
    for _ in range(targets):
        y = rng.normal(size=trace.output.shape)
        zero &= net.backward(trace, trace.output - y).W[l] == 0
    return bool(np.array_equal(np.asarray(mask, dtype=bool), zero)), zero


def _axes(shape, sizes, l):
    """What the axes of the student's mask count, in words, where they count a layer's neurons."""
    if len(shape) != 2:
        return f", {len(shape)} axes where dl/dW^({l}) has two"
    if shape[1] == sizes[l] != sizes[l - 1]:
        return (f": {shape[1]} columns, one per neuron of layer {l}, as if k ran over x^({l}); "
                f"k runs over the neurons of layer {l - 1}, whose x^({l - 1})_k is BP4's factor")
    return ""


def test_zero_gradient_entries(student_fn):
    """The mask for every layer, against the zeros of real gradients for several targets."""
    for what, net, x in _zero_cases():
        assert _some_off(net, x), "the check's network lost its switched-off neurons"
        trace = net.forward(x)
        for l in range(1, net.L + 1):
            shape = net.W[l].shape
            got = run(student_fn, net, trace, l, rules=ZERO,
                      changed={1: "your function changed the trace: compute new arrays "
                                  "instead of updating x^(l) or s^(l) in place"}).value
            if isinstance(got, list):
                raise AssertionError("you returned a Python list; return a numpy array of "
                                     "True and False, np.zeros(shape, dtype=bool) to start")
            got = np.asarray(got)
            if got.shape == shape[::-1] and got.shape != shape:
                raise AssertionError(
                    f"on {what}, layer {l}: your mask has shape {got.shape} = (d_{l - 1}, d_{l}), "
                    f"rows and columns swapped; entry (j, k) of dl/dW^({l}) is dl/dw^{l}_jk, "
                    f"as in W^({l}): row j, column k")
            if got.shape != shape:
                raise AssertionError(
                    f"on {what}, layer {l}: your mask has shape {got.shape}"
                    f"{_axes(got.shape, net.sizes, l)}; it marks the entries of dl/dW^({l}), one "
                    f"for each weight w^{l}_jk of W^({l}) = net.W[{l}]")
            if got.dtype != bool and not np.isin(got, (0, 1)).all():
                raise AssertionError("return True and False (or 1 and 0): True where the "
                                     "entry of dl/dW^(l) is exactly 0")
            got = got.astype(bool)
            right, zero = confirm_zero_entries(net, trace, l, got)
            if right:
                continue
            if np.array_equal(got, ~zero):
                raise AssertionError(f"on {what}, layer {l}: your mask is True where the "
                                     "gradient is not 0; mark the entries that are exactly 0")
            for key, message in ZERO_MISTAKES:
                if np.array_equal(got, _zero_variant(net, trace, l, key)):
                    raise AssertionError(f"on {what}, layer {l}: {message}")
            j, k = (int(v) for v in np.argwhere(got != zero)[0])
            raise AssertionError(
                f"on {what}, layer {l}: your mask is wrong at {int(np.sum(got != zero))} of "
                f"{got.size} entries, the first (j, k) = ({j}, {k}), where it says "
                f"{'0' if got[j, k] else 'not 0'}; look at the two factors of BP4 there, "
                f"delta^{l}_{j} and x^({l - 1})_{k}, and at what delta^{l}_{j} is made of")


# --- BP1/BP2: a saturated neuron learns slowly -------------------------------------------------

SATURATION = Rules("the ratio from your own sigma', as a formula in s",
                   {**DERIVATIVES, **BACKPROP, **FINITE_DIFFERENCES, **OWN_DERIVATIVES})


def _sig(v):
    return 1 / (1 + np.exp(-v))


@reference
def _saturation_variant(s, mistake=None):
    d = _sig(s) * (1 - _sig(s))
    return {None: lambda: 4 * d, "sigma_prime": lambda: d, "inverse": lambda: 1 / (4 * d),
            "sigma": lambda: _sig(s), "over_sigma": lambda: d / 0.5,
            "tail": lambda: 4 * np.exp(-np.abs(s))}[mistake]()


@reference
def saturation_ratio(s):
    """|delta| of a sigmoid neuron at s over that of one at s = 0, same dl/dx: the reference."""
    return _saturation_variant(np.asarray(s, dtype=float))


SATURATION_MISTAKES = [
    ("sigma_prime", "that is sigma'(s) itself, |delta| at s for dl/dx = 1; the ratio compares "
                    "it with |delta| of the neuron at s = 0"),
    ("inverse", "your ratio is upside down: |delta| at s (the saturated neuron) over |delta| "
                "at s = 0, so it is at most 1"),
    ("sigma", "that is sigma(s), the activation, not its slope sigma'(s)"),
    ("over_sigma", "you divided by sigma(0), the activation at 0; the ratio divides by the "
                   "slope there, sigma'(0)"),
    ("tail", "that is the approximation for large |s| of the tails: it is exact at no s; write "
             "the ratio in full"),
]


def real_delta_ratio(s, seed=0):
    """|delta^(1)_j| / |delta^(1)_0| in a real sigmoid network whose hidden neuron 0 sits at s = 0.

    A 1 -> (1 + len(s)) -> 2 network: x^(0) = 1, the hidden neurons' biases put neuron 0
    at s = 0 and neuron j at s[j - 1], and all hidden neurons send the same weights on,
    so BP2 gives them the same (W^(2))^T delta^(2); bplib's backward pass does the rest.

    Returns
    -------
    array, the shape of s
    """
    s = np.atleast_1d(np.asarray(s, dtype=float))
    net = MLP([1, 1 + s.size, 2], sigma="sigmoid", seed=seed)
    net.W[1] = np.zeros((1 + s.size, 1))
    net.b[1] = np.concatenate([[0.0], s])
    net.W[2] = np.tile(np.random.default_rng(seed).normal(size=(2, 1)), (1, 1 + s.size))
    grads = net.gradients(np.ones(1), np.array([1.0, 0.0]))
    delta = grads.s[1]
    return np.abs(delta[1:] / delta[0])


def test_saturation_ratio(student_fn):
    """Your ratio against the |delta| of a real network, element-wise on an array of s."""
    s = np.array([-8.0, -3.0, -0.5, 0.0, 1.0, 2.5, 6.0])
    got = as_array(run(student_fn, s.copy(), rules=SATURATION).value, "your ratio", s.shape,
                   "the ratio is taken entry by entry, one ratio for each s you are given")
    want = real_delta_ratio(s)
    if np.allclose(got, want, rtol=1e-6, atol=1e-12):
        return
    for key, message in SATURATION_MISTAKES:
        if np.allclose(got, _saturation_variant(s, key), rtol=1e-6, atol=1e-12):
            raise AssertionError(message)
    if np.allclose(got, -want, rtol=1e-6, atol=1e-12):
        raise AssertionError("your ratio is negative: it compares the sizes |delta|, both "
                             "sigma'(s) and sigma'(0) are positive")
    i = int(np.argmax(np.abs(got - want) > 1e-6 * np.abs(want)))
    raise AssertionError(f"at s = {s[i]:g} your ratio is {got[i]:.6g}, not that of a real network: "
                         "both neurons get the same signal from above, so by BP2 only their own "
                         "factor differs")


# --- BP1 at a saturated output: quadratic loss against cross-entropy -------------------------

class BinaryCrossEntropy(losses.Loss):
    """l = -sum_j [y_j log x_j + (1 - y_j) log(1 - x_j)] for sigmoid outputs x = x^(L).

    dl/dx^(L) = (x - y) / (x (1 - x)).
    """

    name = "binary_cross_entropy"

    def value(self, xL, y):
        return -np.sum(y * np.log(xL) + (1 - y) * np.log1p(-xL))

    def grad(self, xL, y):
        return (xL - y) / (xL * (1 - xL))


binary_cross_entropy = BinaryCrossEntropy()
OUTPUT = Rules("delta^(L) by BP1 from your own dl/dx^(L) and sigma', as formulas in x^(L) and y",
               {**DERIVATIVES, **BACKPROP, **FINITE_DIFFERENCES, **OWN_DERIVATIVES})


@reference
def _output_variant(xL, y, mistake=None):
    dsig = xL * (1 - xL)
    q, ce = (xL - y) * dsig, xL - y
    if mistake == "quadratic_no_sigma_prime":
        q = xL - y
    elif mistake == "ce_with_sigma_prime":
        ce = (xL - y) * dsig
    elif mistake == "ce_dl_dx":
        ce = (xL - y) / dsig
    elif mistake == "ce_softmax_form":
        ce = -y / xL * dsig
    elif mistake == "wrong_sign":
        q, ce = -q, -ce
    elif mistake == "swapped":
        q, ce = ce, q
    elif mistake == "sigma_prime_at_x":
        q = (xL - y) * _sig(xL) * (1 - _sig(xL))
    return q, ce


@reference
def output_deltas(xL, y):
    """(delta^(L) of the quadratic loss, of the cross-entropy) for sigmoid outputs: the reference."""
    return _output_variant(xL, y)


OUTPUT_MISTAKES = [
    ("quadratic_no_sigma_prime", "your quadratic delta^(L) is dl/dx^(L) = x^(L) - y alone: BP1 "
                                 "multiplies it by sigma'(s^(L)), which you write through the "
                                 "saved x^(L)"),
    ("ce_with_sigma_prime", "your cross-entropy delta^(L) equals the quadratic one: you took "
                            "the quadratic loss's dl/dx^(L); differentiate "
                            "-[y log x + (1 - y) log(1 - x)] with respect to x, then multiply by "
                            "sigma'(s^(L))"),
    ("ce_dl_dx", "your cross-entropy delta^(L) is dl/dx^(L) alone: BP1 multiplies it by "
                 "sigma'(s^(L))"),
    ("ce_softmax_form", "your cross-entropy is notebook 08's -sum_j y_j log x_j, made for a "
                        "softmax output; a sigmoid output neuron's cross-entropy has the term "
                        "(1 - y) log(1 - x) too"),
    ("wrong_sign", "both signs are wrong: dl/dx^(L) of either loss is positive where x^(L) > y"),
    ("swapped", "the pair is swapped: return (delta of the quadratic loss, delta of the "
                "cross-entropy)"),
    ("sigma_prime_at_x", "sigma'(x^(L)) where sigma'(s^(L)) belongs: written through the saved "
                         "x^(L) = sigma(s^(L)) it needs no sigma again"),
]


def saturated_output_case(seed=5):
    """A 3-4-2 network with a sigmoid output saturated on the wrong side of its targets.

    Returns
    -------
    (MLP, x^(0) of shape (3,), y of shape (2,))
    """
    net = MLP([3, 4, 2], sigma="tanh", output_sigma="sigmoid", seed=seed)
    net.b[2] = np.array([-6.0, 5.0])      # x^(2)_0 near 0 with y_0 = 1, x^(2)_1 near 1 with y_1 = 0
    return net, np.random.default_rng(seed).normal(size=3) * 0.3, np.array([1.0, 0.0])


def real_output_deltas(net, x, y):
    """(delta^(L) of the quadratic loss, of the cross-entropy), by bplib's backward pass."""
    return (net.gradients(x, y, losses.quadratic).s[net.L],
            net.gradients(x, y, binary_cross_entropy).s[net.L])


def test_output_deltas(student_fn):
    """Both delta^(L) against bplib's backward pass at saturated and unsaturated outputs."""
    net, x, y = saturated_output_case()
    rng = np.random.default_rng(13)
    X = rng.normal(size=(5, 3))
    Y = rng.integers(0, 2, size=(5, 2)).astype(float)
    for what, xs, ys in (("one sample saturated on the wrong side", x, y),
                         ("a batch of 5 samples", X, Y)):
        xL = net(xs)
        got = pair(run(student_fn, xL.copy(), ys.copy(), rules=OUTPUT).value,
                   "output_deltas", "delta_quadratic, delta_cross_entropy")
        rule = ("delta^(L) = dl/ds^(L) has the shape of s^(L), which x^(L) = sigma(s^(L)) "
                "shares: one entry per output neuron (and sample)")
        q = as_array(got[0], "your quadratic delta^(L)", xL.shape, rule)
        ce = as_array(got[1], "your cross-entropy delta^(L)", xL.shape, rule)
        want_q, want_ce = real_output_deltas(net, xs, ys)
        ok_q = np.allclose(q, want_q, rtol=1e-7, atol=1e-12)
        ok_ce = np.allclose(ce, want_ce, rtol=1e-7, atol=1e-12)
        if ok_q and ok_ce:
            continue
        for key, message in OUTPUT_MISTAKES:
            wq, wce = _output_variant(xL, ys, key)
            if np.allclose(q, wq, rtol=1e-7, atol=1e-12) and \
                    np.allclose(ce, wce, rtol=1e-7, atol=1e-12):
                raise AssertionError(f"on {what}: {message}")
        which = "quadratic" if not ok_q else "cross-entropy"
        mine = q if not ok_q else ce
        want = want_q if not ok_q else want_ce
        j = np.unravel_index(int(np.argmax(np.abs(mine - want))), xL.shape)
        raise AssertionError(
            f"on {what}: your {which} delta^(L) at x^(L) = {xL[j]:.4g}, y = {ys[j]:g} is "
            f"{mine[j]:.4g}, not bplib's backward pass: BP1, delta^(L) = sigma'(s^(L)) * "
            "dl/dx^(L), with the loss's own dl/dx^(L)")


def neuron_curves(loss, epochs=300, lr=0.15, w=2.0, b=2.0):
    """Nielsen's one sigmoid neuron, input 1 and target 0, trained from w = b = 2.

    Returns
    -------
    array (epochs + 1,)
        The output x = sigma(w + b) before each step and after the last.
    """
    net = MLP([1, 1], sigma="sigmoid")
    net.W[1], net.b[1] = np.array([[w]]), np.array([b])
    x0, y, out = np.ones(1), np.zeros(1), []
    for _ in range(epochs):
        out.append(float(net(x0)[0]))
        g = net.gradients(x0, y, loss)
        net.W[1], net.b[1] = net.W[1] - lr * g.W[1], net.b[1] - lr * g.b[1]
    out.append(float(net(x0)[0]))
    return np.array(out)


# The two deltas compared at one wrong, saturated output, typed into an answer box.
RATIO = 1 / (0.05 * 0.95)
RATIO_MISTAKES = {
    20: "20 is 1 / x^(L): sigma'(s^(L)) = x^(L) (1 - x^(L)) has the factor 1 - x^(L) as well",
    0.0475: "0.0475 is the quadratic |delta^(L)| over the cross-entropy's; the question asks how "
            "many times larger the cross-entropy's is",
    1: "the two are not equal at a saturated output: the quadratic loss keeps sigma'(s^(L)) in "
       "BP1, the cross-entropy's dl/dx^(L) cancels it",
    0.95: "0.95 is the cross-entropy's |delta^(L)| = |x^(L) - y| alone; divide it by the "
          "quadratic loss's",
}
RATIO_WORKED = ("The worked answer: delta^(L) = x^(L) - y with the cross-entropy and "
                "(x^(L) - y) x^(L) (1 - x^(L)) with the quadratic loss, so the ratio is "
                "1 / (x^(L) (1 - x^(L))) = 1 / (0.05 * 0.95) = 21.1: the more saturated the "
                "output, the larger.")
