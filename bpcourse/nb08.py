r"""Checks for notebook 08, backpropagation through an MLP.

Going from layer L down to layer 1,

    dl/ds^(l)   = J_sigma(s^(l))^T dl/dx^(l)    (sigma'(s^(l)) * dl/dx^(l), element-wise sigma)
    dl/dW^(l)   = dl/ds^(l) (x^(l-1))^T         (an outer product, summed over a batch)
    dl/db^(l)   = dl/ds^(l)                      (summed over a batch)
    dl/dx^(l-1) = (W^(l))^T dl/ds^(l)

The student's backward pass is judged by ``bplib.gradient_check``, which
compares it with finite differences; a wrong one is compared with the
backward pass of each usual mistake (``MISTAKES``) to name it. An answer that
calls bplib's own backward pass (net.backward, net.gradients) is refused.
"""
from types import SimpleNamespace

import numpy as np

from bplib import activations, losses
from bplib.gradcheck import gradient_check, numerical_gradients
from bplib.mlp import MLP, Trace

from .method import BACKPROP, CHAIN, FINITE_DIFFERENCES, OWN_DERIVATIVES, Log, MethodError, Rules, \
    ShapeError, as_array, reference, run, watched

RULES = Rules("your own backward pass, layer by layer from l = L down to 1",
              {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN})
HINT = ("W^(l) has shape (d_l, d_{l-1}): dl/dx^(l-1) = (W^(l))^T dl/ds^(l), which for rows is "
        "dl_ds @ net.W[l]; dl/dW^(l) = dl/ds^(l) (x^(l-1))^T has the shape of W^(l)")


@reference
def backward(net, trace, dl_dxL):
    """The reference: bplib's own backward pass, with the exercise's signature."""
    return net.backward(trace, dl_dxL)


@reference
def _variant(net, trace, dl_dxL, back_W="W", dsigma="s", db="ds", x_in="prev", reduce="sum",
             sign=1):
    """The backward pass with one chosen mistake (element-wise activations only)."""
    dW, db_ = {}, {}
    dl_dx = sign * dl_dxL
    for l in range(net.L, 0, -1):
        act = net.activation(l)
        dl_ds = {"s": lambda: act.backward(trace.s[l], trace.x[l], dl_dx),
                 "x": lambda: act.derivative(trace.x[l]) * dl_dx,
                 "none": lambda: dl_dx}[dsigma]()
        x_prev = trace.x[l - 1] if x_in == "prev" else trace.x[l]
        rows = np.atleast_2d(dl_ds)
        n = len(rows) if reduce == "mean" else 1
        dW[l] = rows.T @ np.atleast_2d(x_prev) / n
        db_[l] = (rows.sum(axis=0) / n) if db == "ds" else np.zeros_like(net.b[l])
        dl_dx = dl_ds @ (net.W[l] if back_W == "W" else net.W[l].T)
    return SimpleNamespace(W=dW, b=db_)


MISTAKES = [
    (dict(back_W="WT"), "W^(l) where (W^(l))^T belongs: dl/dx^(l-1) = (W^(l))^T dl/ds^(l), "
                        "which for rows is dl_ds @ net.W[l]"),
    (dict(dsigma="x"), "sigma'(x^(l)) where sigma'(s^(l)) belongs: the derivative of the "
                       "activation is taken at the weighted input s^(l) = trace.s[l], the value "
                       "that enters sigma"),
    (dict(dsigma="none"), "sigma' is missing: dl/ds^(l) = sigma'(s^(l)) * dl/dx^(l) needs the "
                          "derivative of the activation"),
    (dict(db="zero"), "dl/db^(l) is 0: the bias enters s^(l) with derivative 1, so "
                      "dl/db^(l) = dl/ds^(l) (summed over a batch)"),
    (dict(x_in="this"), "dl/dW^(l) = dl/ds^(l) (x^(l-1))^T takes the activation that enters "
                        "layer l, x^(l-1) = trace.x[l - 1], not x^(l)"),
    (dict(reduce="mean"), "the gradients are divided by N: the lecture's loss is the sum over "
                          "samples, not the mean"),
    (dict(sign=-1), "every gradient has the wrong sign: backpropagation starts from dl/dx^(L) "
                    "as it is given and only multiplies by Jacobians"),
]


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


def _square():
    net = MLP([3, 3, 3, 3], sigma="tanh", seed=5)
    rng = np.random.default_rng(6)
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(size=3)
    return net, rng.normal(size=3), rng.normal(size=3)   # one sample: W x and W^T x both run


def _name(student_fn, net, x, y, loss):
    """The message of the usual mistake the student's pass matches on this case, or None."""
    if any(net.activation(l).name == "softmax" for l in range(1, net.L + 1)):
        return None
    trace = net.forward(x)
    dl_dxL = loss.gradient(trace.output, y)
    try:
        got = student_fn(net, trace, dl_dxL.copy())
        mine = [np.asarray(got.W[l], dtype=float) for l in range(1, net.L + 1)] + \
            [np.asarray(got.b[l], dtype=float) for l in range(1, net.L + 1)]
    except Exception:
        return None
    for kwargs, message in [({}, None)] + MISTAKES:   # right here: no mistake to name
        try:
            v = _variant(net, trace, dl_dxL, **kwargs)
        except ValueError:
            continue
        theirs = [v.W[l] for l in range(1, net.L + 1)] + [v.b[l] for l in range(1, net.L + 1)]
        if all(a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-10)
               for a, b in zip(mine, theirs)):
            return message
    return None


def _shape_of_result(grads, net, trace):
    """Name a result of the wrong kind or of one-sample shapes on a batch."""
    if isinstance(grads, dict) or isinstance(grads, (tuple, list)):
        raise AssertionError(f"you returned a {type(grads).__name__}; return "
                             "SimpleNamespace(W=dW, b=db), so that result.W[l] is dl/dW^(l)")
    for symbol in ("W", "b"):
        part = getattr(grads, symbol, None)
        if isinstance(part, list):
            raise AssertionError(f"d{symbol} is a list; make it a dict keyed by the layer number "
                                 f"l = 1..L, d{symbol}[l] = ... (layer 0 has no parameters)")
    for l in range(1, net.L + 1):
        for symbol in ("W", "b"):
            try:
                getattr(grads, symbol)[l]
            except (KeyError, IndexError, TypeError, AttributeError):
                raise AssertionError(
                    f"dl/d{symbol}^({l}) is missing: the loop runs from l = L down to 1, "
                    f"range(net.L, 0, -1), and fills d{symbol}[l] for every layer") from None
        gW, want = np.shape(grads.W[l]), net.W[l].shape
        if gW == want[::-1] and gW != want:
            raise AssertionError(
                f"dl/dW^({l}) has shape {gW}: it looks transposed; W^({l}) has shape {want}, "
                "dl/dW^(l) = dl/ds^(l) (x^(l-1))^T, row j for neuron j, np.outer(dl_ds, x_prev)")
    if trace.output.ndim != 2:
        return
    N = trace.output.shape[0]
    for l in range(1, net.L + 1):
        try:
            gW, gb = np.shape(grads.W[l]), np.shape(grads.b[l])
        except Exception:
            return
        if gW == (N * net.sizes[l], N * net.sizes[l - 1]):
            raise AssertionError(
                f"dl/dW^({l}) has shape {gW}: np.outer flattens a batch; for samples as rows, "
                "dl/dW^(l) = sum_n dl/ds_n (x_n^(l-1))^T, a sum of outer products that one "
                "matrix product of dl_ds (N, d_l) and x_prev (N, d_(l-1)) gives")
        if gb == (N, net.sizes[l]):
            raise AssertionError(
                f"dl/db^({l}) has shape {gb}, one row per sample: over a batch it is summed "
                "over the samples (axis 0), to the shape of b^(l)")


def test_backward(student_fn):
    """gradient_check on each case, with the network and the trace left unchanged."""
    for what, net, x, y, loss in _cases():
        trace = net.forward(x)
        try:
            grads = run(student_fn, net, trace, loss.gradient(trace.output, y), rules=RULES,
                        hint=HINT, changed={
                            0: "your backward pass changed W^(l) or b^(l): it must only read "
                               "the network and the trace",
                            1: "your backward pass changed the trace x^(l) or s^(l): compute "
                               "new arrays instead of updating those in place"}).value
        except ShapeError as error:
            named = _name(student_fn, *_square(), losses.quadratic)
            batch = "" if trace.output.ndim == 1 else (
                "one-sample code on a batch? With samples as rows, dl_ds has shape (N, d_l) "
                "and x_prev (N, d_(l-1)): each product must sum over the N samples. ")
            raise AssertionError(f"on {what}: {named or batch + str(error)}") from None
        _shape_of_result(grads, net, trace)
        result = gradient_check(net, x, y, loss, backward=student_fn)
        if not result.passed:
            named = _name(student_fn, net, x, y, loss) or \
                _name(student_fn, *_square(), losses.quadratic)
            raise AssertionError(f"on {what}: {named}" if named else
                                 f"on {what}, bplib.gradient_check says:\n{result}")


# --- by hand, scalar by scalar: dl/dw^2_jk and dl/dw^1_jk of a 2-layer sigmoid net -------------

BY_HAND = Rules("the entries dl/dw^l_jk by your own formula, one at a time, in loops over j and k",
                {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN, **OWN_DERIVATIVES})
DERIVATIVES = {
    "bplib's sigma' (activation.derivative)": activations.Activation.derivative,
    "bplib's dl/ds step (activation.backward)": activations.Activation.backward,
    "bplib's softmax backward step": activations.Softmax.backward,
    "bplib's softmax Jacobian": activations.Softmax._jac,
    "bplib's loss gradient (loss.gradient)": losses.Loss.gradient,
    "bplib's fused softmax with cross-entropy gradient": losses.CrossEntropy.grad_after_softmax,
}
LOCAL = Rules("the local derivative written yourself, as a formula",
              {**DERIVATIVES, **FINITE_DIFFERENCES, **OWN_DERIVATIVES})


def _two_layer(sizes, seed):
    """A 2-layer sigmoid net with non-zero biases, one sample x^(0) and a target y."""
    net = MLP(sizes, sigma="sigmoid", seed=seed)
    rng = np.random.default_rng(seed + 100)
    for l in (1, 2):
        net.b[l] = rng.normal(size=sizes[l])
    return net, rng.normal(size=sizes[0]), rng.uniform(0, 1, size=sizes[2])


def _finite_differences(net, x, y, l):
    """dl/dW^(l) by central differences (notebook 05), for the quadratic loss."""
    return numerical_gradients(net, x, y, losses.quadratic)[f"W^({l})"]


@reference
def _by_hand(net, trace, y, l, dsigma2="s", dsigma1="s", sign=1, paths="all", back="W",
             x_in="prev"):
    """dl/dW^(l) entry by entry, with one chosen mistake."""
    x0, x1, x2 = trace.x[0], trace.x[1], trace.x[2]
    d = {"s": lambda x: x * (1 - x),                 # sigma'(s) from the saved x = sigma(s)
         "x": lambda x: _sig(x) * (1 - _sig(x)),     # sigma' taken at x instead of s
         "none": lambda x: np.ones_like(x)}
    e2 = sign * (x2 - y) * d[dsigma2](x2)            # dl/ds^(2)
    if l == 2:
        x_prev = x1 if x_in == "prev" else x0
        return np.outer(e2, x_prev)
    W2 = net.W[2] if back == "W" else net.W[2].T
    if paths == "last":
        e2 = np.where(np.arange(len(e2)) == len(e2) - 1, e2, 0.0)
    e1 = (e2 @ W2) * d[dsigma1](x1)
    x_prev = x0 if x_in == "prev" else x1
    return np.outer(e1, x_prev)


def _sig(v):
    return 1 / (1 + np.exp(-v))


SIGMA_S = "written through the saved x^2_j = sigma(s^2_j), it needs no sigma again"
OUTPUT_MISTAKES = [
    (dict(dsigma2="none"), "sigma' is missing: the path w^2_jk -> s^2_j -> x^2_j -> l has "
                           "three links, and x^2_j = sigma(s^2_j) is one of them; your product "
                           "has a factor for the other two only"),
    (dict(dsigma2="x"), "sigma'(x^2_j) where sigma'(s^2_j) belongs: the derivative is taken at "
                        "the weighted input s^2_j, the value that enters sigma; "
                        f"{SIGMA_S}"),
    (dict(sign=-1), "the sign is wrong: your first factor is y_j - x^2_j; differentiate "
                    "l = 1/2 sum_j (x^2_j - y_j)^2 with respect to x^2_j again"),
    (dict(x_in="this"), "w^2_jk multiplies x^1_k, the activation entering layer 2 "
                        "(trace.x[1][k]), not x^0_k: ds^2_j/dw^2_jk = x^1_k"),
]
HIDDEN_MISTAKES = [
    (dict(paths="last"), "only the last output neuron's path is counted: w^1_jk reaches the loss "
                         "through every output neuron i, so the paths add up, sum over i "
                         "(total += ... inside the loop over i)"),
    (dict(back="WT"), "w^2_ji where w^2_ij belongs: s^2_i = sum_j w^2_ij x^1_j, so the path from "
                      "x^1_j to output neuron i has weight net.W[2][i, j]"),
    (dict(dsigma1="none"), "sigma'(s^1_j) is missing: x^1_j = sigma(s^1_j) is a link of the "
                           "chain too, with a local derivative of its own"),
    (dict(dsigma2="none"), "sigma'(s^2_i) is missing from each path: x^2_i = sigma(s^2_i) is a "
                           "link of every path through output neuron i"),
    (dict(dsigma1="x", dsigma2="x"), "sigma'(x) where sigma'(s) belongs: each derivative is "
                                     "taken at the weighted input s, the value that enters "
                                     "sigma, and written through the saved x = sigma(s)"),
    (dict(dsigma1="x"), "sigma'(x^1_j) where sigma'(s^1_j) belongs: write it through the saved "
                        "x^1_j = sigma(s^1_j), not by applying sigma to x^1_j again"),
    (dict(sign=-1), "the sign is wrong: your paths start from y_i - x^2_i; differentiate the "
                    "quadratic loss with respect to x^2_i again"),
    (dict(x_in="this"), "w^1_jk multiplies x^0_k, the input (trace.x[0][k]), not x^1_k: "
                        "ds^1_j/dw^1_jk = x^0_k"),
]


def _by_hand_test(student_fn, l, mistakes):
    symbol = f"dl/dW^({l})"
    for sizes, seed in (([3, 3, 3], 2), ([3, 4, 2], 1)):   # square first: mistakes give a value
        net, x, y = _two_layer(sizes, seed)
        trace = net.forward(x)
        log = Log()
        watched_trace = Trace([watched(trace.x[i], f"x^({i})", log) for i in range(3)],
                              [None] + [watched(trace.s[i], f"s^({i})", log) for i in (1, 2)])
        got = as_array(run(student_fn, net, watched_trace, y.copy(), rules=BY_HAND,
                           changed={1: "your function changed the trace: compute new numbers "
                                       "instead of updating x^(l) or s^(l) in place"}).value,
                       symbol, net.W[l].shape)
        want = _finite_differences(net, x, y, l)
        wrong = ~np.isclose(got, want, rtol=1e-5, atol=1e-8)
        if wrong.any():
            for kwargs, message in mistakes:
                try:
                    theirs = _by_hand(net, trace, y, l, **kwargs)
                except ValueError:   # a transpose that only runs on square layers
                    continue
                if np.allclose(got, theirs, rtol=1e-7, atol=1e-10):
                    raise AssertionError(message)
            if np.allclose(got, want.T, rtol=1e-5, atol=1e-8):
                raise AssertionError(
                    f"j and k are swapped: entry [j, k] of {symbol} is dl/dw^{l}_jk, row j for "
                    f"the neuron of layer {l} that w^{l}_jk feeds, column k for the neuron of "
                    f"layer {l - 1} it comes from")
            j, k = (int(v) for v in np.argwhere(wrong)[0])
            raise AssertionError(
                f"on a {'-'.join(map(str, sizes))} network, {wrong.sum()} of {wrong.size} entries "
                f"differ from finite differences; the first is dl/dw^{l}_{j}{k} (j = {j}, "
                f"k = {k}): yours {got[j, k]:.6g}; check each factor along the path of that "
                "weight to the loss")
        entries = sum(log[f"x^({i})", "item"] for i in range(3))
        if entries < net.W[l].size:
            raise MethodError(
                f"your {symbol} is right, but it reads the trace as whole vectors (np.outer, @): "
                "this exercise asks for the entries one at a time, a loop over j and k with "
                "trace.x[l][j] and trace.x[l - 1][k], so that each line is the formula of one "
                "dl/dw^l_jk; the vector form comes next")


def test_output_weight_gradient(student_fn):
    """dl/dw^2_jk = (x^2_j - y_j) sigma'(s^2_j) x^1_k, against finite differences, by loops."""
    _by_hand_test(student_fn, 2, OUTPUT_MISTAKES)


def test_hidden_weight_gradient(student_fn):
    """dl/dw^1_jk = sum_i (x^2_i - y_i) sigma'(s^2_i) w^2_ij sigma'(s^1_j) x^0_k, by loops."""
    _by_hand_test(student_fn, 1, HIDDEN_MISTAKES)


@reference
def output_weight_gradient(net, trace, y):
    """dl/dW^(2) of a 2-layer sigmoid net with the quadratic loss, entry by entry: the reference."""
    return _by_hand(net, trace, y, 2)


@reference
def hidden_weight_gradient(net, trace, y):
    """dl/dW^(1) of a 2-layer sigmoid net with the quadratic loss, entry by entry: the reference."""
    return _by_hand(net, trace, y, 1)


# The same formulas typed into an answer box, in the variables of one entry.
OUTPUT_EXPRESSION = "(x2_j - y_j) x2_j (1 - x2_j) x1_k"
OUTPUT_VARIABLES = ("x2_j", "y_j", "x1_k")
OUTPUT_EXPRESSION_MISTAKES = {
    "(x2_j - y_j) x1_k": OUTPUT_MISTAKES[0][1],
    "(y_j - x2_j) x2_j (1 - x2_j) x1_k": OUTPUT_MISTAKES[2][1],
    "(x2_j - y_j) x2_j (1 - x2_j)": "the factor x^1_k is missing: ds^2_j/dw^2_jk = x^1_k",
    "(x2_j - y_j) (1 - x2_j) x1_k": "your sigma'(s^2_j) = 1 - x^2_j lacks a factor: "
                                    "differentiate 1 / (1 + e^-s) and write it through x = sigma(s)",
    "(x2_j - y_j)^2 x2_j (1 - x2_j) x1_k": "your dl/dx^2_j = (x^2_j - y_j)^2 still has the square: "
                                           "differentiating brings the power down, and the 1/2 "
                                           "cancels it",
}


OUTPUT_WORKED = (
    "The worked answer: one path, w^2_jk -> s^2_j -> x^2_j -> l, three links. "
    "ds^2_j/dw^2_jk = x^1_k (the other terms of the sum do not hold w^2_jk); "
    "dx^2_j/ds^2_j = sigma'(s^2_j) = x^2_j (1 - x^2_j) for the sigmoid, through the saved x^2_j; "
    "dl/dx^2_j = x^2_j - y_j (the 1/2 cancels the 2). "
    "So dl/dw^2_jk = (x^2_j - y_j) x^2_j (1 - x^2_j) x^1_k.")

HIDDEN_EXPRESSION = "(d2_0 w2_0j + d2_1 w2_1j) x1_j (1 - x1_j) x0_k"
HIDDEN_VARIABLES = ("d2_0", "d2_1", "w2_0j", "w2_1j", "x1_j", "x0_k")
HIDDEN_EXPRESSION_MISTAKES = {
    "d2_0 w2_0j x1_j (1 - x1_j) x0_k": HIDDEN_MISTAKES[0][1].replace(
        "(total += ... inside the loop over i)", "here i = 0 and i = 1"),
    "d2_1 w2_1j x1_j (1 - x1_j) x0_k": HIDDEN_MISTAKES[0][1].replace(
        "(total += ... inside the loop over i)", "here i = 0 and i = 1"),
    "(d2_0 w2_0j + d2_1 w2_1j) x0_k": HIDDEN_MISTAKES[2][1],
    "d2_0 w2_0j d2_1 w2_1j x1_j (1 - x1_j) x0_k": (
        "the paths add up, they do not multiply: x^1_j feeds both output neurons, and the "
        "multivariable chain rule sums the paths, sum_i delta^2_i w^2_ij"),
    "(d2_0 w2_0j + d2_1 w2_1j) x1_j (1 - x1_j)": "the factor x^0_k is missing: "
                                                  "ds^1_j/dw^1_jk = x^0_k",
}

HIDDEN_WORKED = (
    "The worked answer: x^1_j feeds both output neurons, so dl/dx^1_j adds the two paths, "
    "dl/dx^1_j = d2_0 w2_0j + d2_1 w2_1j (each path: dl/ds^2_i = delta^2_i, times "
    "ds^2_i/dx^1_j = w^2_ij); then x^1_j = sigma(s^1_j) and s^1_j = sum_k w^1_jk x^0_k + b^1_j "
    "give dl/dw^1_jk = (d2_0 w2_0j + d2_1 w2_1j) x1_j (1 - x1_j) x0_k.")

# The largest sigma' of the sigmoid, asked before the vanishing gradients.
SIGMA_MAX = 0.25
SIGMA_MAX_MISTAKES = {
    0.5: "0.5 is x = sigma(s) where sigma' is largest (at s = 0), not the value of sigma' there",
    1: "1 is the largest value of tanh' (at s = 0); the sigmoid's slope is smaller",
    0: "0 is where sigma' goes as the sigmoid saturates, its smallest value, not its largest",
}
SIGMA_MAX_WORKED = ("The worked answer: x (1 - x) is a parabola in x in (0, 1), largest at "
                    "x = 1/2, that is s = 0: 1/2 * 1/2 = 1/4.")

# --- local derivatives -----------------------------------------------------------------------

@reference
def _local(name, s, x, at="s"):
    """sigma'(s) for sigmoid, tanh, relu, from the saved x where it can; ``at`` a mistake."""
    if at == "x":                       # the derivative taken at x instead of s
        s = x
        x = {"sigmoid": _sig, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}[name](s)
    return {"sigmoid": lambda: x * (1 - x), "tanh": lambda: 1 - x ** 2,
            "relu": lambda: (s > 0).astype(float)}[name]()


@reference
def local_derivative(name, s, x):
    """sigma'(s^(l)) for name in sigmoid, tanh, relu, from the saved x^(l): the reference."""
    return _local(name, s, x)


LOCAL_MISTAKES = {
    "sigmoid": [
        (lambda s, x: x * (1 - x) * (1 - x), "your x (1 - x)^2 has one factor (1 - x) too many"),
        (lambda s, x: 1 - x, "your 1 - x lacks a factor: a factor x is missing"),
        (lambda s, x: 1 - x ** 2, "your 1 - x^2 is tanh', not the sigmoid's derivative"),
        (lambda s, x: x, "that is sigma itself, not its slope: differentiate 1 / (1 + e^-s)"),
    ],
    "tanh": [
        (lambda s, x: 1 - x, "your 1 - x for tanh: the square is missing"),
        (lambda s, x: x * (1 - x), "your x (1 - x) is the sigmoid's derivative, not tanh'"),
        (lambda s, x: 1 + x ** 2, "the sign is wrong: your 1 + x^2 grows where tanh flattens"),
        (lambda s, x: x, "that is tanh itself, not its slope"),
    ],
    "relu": [
        (lambda s, x: x, "that is relu itself, max(0, s); its derivative is 1 where s > 0 "
                         "and 0 elsewhere"),
        (lambda s, x: np.ones_like(s), "relu' is 0 where s < 0: relu is flat there"),
        (lambda s, x: (s < 0).astype(float), "the two sides are swapped: yours is 1 where "
                                              "relu is flat"),
    ],
}


def test_local_derivative(student_fn):
    """sigma'(s) for sigmoid, tanh, relu, from the saved x: right, and without sigma again."""
    rng = np.random.default_rng(11)
    s = rng.normal(0, 2, size=(3, 4))
    s[0, 0] = -0.5
    for name in ("sigmoid", "tanh", "relu"):
        x = activations.get(name)(s)
        got = as_array(run(student_fn, name, s.copy(), x.copy(), rules=LOCAL).value,
                       f"sigma' for {name}", s.shape)
        want = _local(name, s, x)
        if np.allclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        if np.allclose(got, _local(name, s, x, at="x"), rtol=1e-9, atol=1e-12):
            raise AssertionError(
                f"{name}: sigma'(x^(l)) where sigma'(s^(l)) belongs: the derivative is taken at "
                "s, and written in terms of the saved x = sigma(s) it needs no sigma again")
        for wrong, message in LOCAL_MISTAKES[name]:
            if np.allclose(got, wrong(s, x), rtol=1e-9, atol=1e-12):
                raise AssertionError(f"{name}: {message}")
        raise AssertionError(f"{name}: sigma'(s) is not right at s = {s.ravel()[:3].round(3)}...")
    # from the saved x: with an s that disagrees with x, only an answer that reads x is right
    for name in ("sigmoid", "tanh"):
        x = activations.get(name)(s)
        got = np.asarray(run(student_fn, name, s + 1.0, x.copy(), rules=LOCAL).value, dtype=float)
        if not np.allclose(got, _local(name, s, x), rtol=1e-9, atol=1e-12):
            raise MethodError(
                f"{name}: your sigma' computes sigma(s) again; write it from the saved "
                "x^(l) = trace.x[l], which the forward pass kept, so the backward pass never "
                "evaluates sigma")


# --- softmax with cross-entropy: dl/ds^(L) = x^(L) - y ---------------------------------------

@reference
def softmax_cross_entropy_delta(xL, y):
    """dl/ds^(L) for x^(L) = softmax(s^(L)) and a one-hot y: x^(L) - y. The reference."""
    return xL - y


def test_softmax_cross_entropy_delta(student_fn):
    """x^(L) - y, on one sample and a batch, without bplib's backward step."""
    rng = np.random.default_rng(12)
    for what, s in (("one sample", rng.normal(size=4)), ("a batch of 3", rng.normal(size=(3, 4)))):
        xL = activations.softmax(s)
        y = np.eye(4)[rng.integers(4, size=s.shape[:-1])]
        got = as_array(run(student_fn, xL.copy(), y.copy(), rules=LOCAL).value,
                       "dl/ds^(L)", xL.shape)
        if np.allclose(got, xL - y, rtol=1e-9, atol=1e-12):
            continue
        J = [np.diag(v) - np.outer(v, v) for v in np.atleast_2d(xL)]
        dl_dx = -y / xL
        candidates = [
            (y - xL, "the sign is wrong: yours is y - x^(L); follow the minus of "
                     "dl/dx_j = -y_j / x_j through the product"),
            (dl_dx, "that is dl/dx^(L) = -y / x^(L); dl/ds^(L) multiplies it by the softmax "
                    "Jacobian J^T = diag(x) - x x^T, and the divisions cancel"),
            (xL * (1 - xL) * (xL - y), "softmax is not element-wise: its Jacobian is "
                                       "diag(x) - x x^T, not diag(x (1 - x)); multiply "
                                       "dl/dx_j = -y_j / x_j by the whole Jacobian"),
            (xL, "y is missing: your answer is x^(L) alone, the same for every target"),
            (np.reshape([Jn @ g for Jn, g in zip(J, np.atleast_2d(dl_dx))], xL.shape) * -1,
             "the sign is wrong: J^T dl/dx^(L) with dl/dx_j = -y_j / x_j, redo the signs"),
        ]
        for wrong, message in candidates:
            if np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=1e-9, atol=1e-12):
                raise AssertionError(f"on {what}: {message}")
        raise AssertionError(f"on {what}: your dl/ds^(L) is not J^T dl/dx^(L): work the product "
                             "out on paper, entry j, and use sum_k y_k = 1")


# --- vanishing gradients: |delta^(l)| beside |dl/dW^(l)| ----------------------------------------

def layer_norms(sigma, depth=10, width=32, N=64, seed=0):
    """|delta^(l)| and |dl/dW^(l)| for l = 1..depth, on bplib.vanishing's network.

    The network, samples and loss are those of
    ``bplib.vanishing.layer_gradient_norms`` (weights W^(l)_jk ~ N(0, 1/d_{l-1}),
    the quadratic loss on N samples); delta^(l) = dl/ds^(l) is what BP2 carries
    from layer to layer, dl/dW^(l) = delta^(l) (x^(l-1))^T also holds x^(l-1).

    Returns
    -------
    (array (depth,), array (depth,))
        Frobenius norms of dl/ds^(l) (shape (N, d_l)) and of dl/dW^(l), l = 1..depth.
    """
    net = MLP([width] * (depth + 1), sigma=sigma, output_sigma="identity", seed=seed)
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(N, width)), rng.normal(size=(N, width))
    grads = net.gradients(X, Y, "quadratic", input_gradient=False)
    layers = range(1, depth + 1)
    return (np.array([np.linalg.norm(grads.s[l]) for l in layers]),
            np.array([np.linalg.norm(grads.W[l]) for l in layers]))
