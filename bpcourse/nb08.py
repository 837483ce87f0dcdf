r"""Checks for notebook 08, backpropagation through an MLP.

Going from layer L down to layer 1,

    dl/ds^(l)   = J_sigma(s^(l))^T dl/dx^(l)    (sigma'(s^(l)) * dl/dx^(l), element-wise sigma)
    dl/dW^(l)   = dl/ds^(l) (x^(l-1))^T         (an outer product, summed over a batch)
    dl/db^(l)   = dl/ds^(l)                      (summed over a batch)
    dl/dx^(l-1) = (W^(l))^T dl/ds^(l)

The student writes one layer's step (``layer_backward``: dl/dW^(l), dl/db^(l),
dl/dx^(l-1) from dl/ds^(l)), the local derivatives sigma' and delta^(L) for
softmax with cross-entropy, then puts them together into a backward pass that
starts from delta^(L) = dl/ds^(L). The pass is judged by
``bplib.gradient_check``, which compares it with finite differences; a wrong
one is compared with the pass of each usual mistake (``MISTAKES``) to name it.
An answer that calls bplib's own backward pass or derivatives (net.backward,
net.gradients, activation.backward, ...) is refused.
"""
from types import SimpleNamespace

import numpy as np

from bplib import activations, losses
from bplib.gradcheck import gradient_check, numerical_gradients
from bplib.mlp import MLP, Trace

from .method import BACKPROP, CHAIN, FINITE_DIFFERENCES, OWN_DERIVATIVES, Log, MethodError, Rules, \
    ShapeError, as_array, reference, run, watched

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
    (dict(x_in="this"), "your factor x^0_k is the input of layer 1, two layers below w^2_jk: "
                        "w^2_jk sits in s^2_j = sum_k w^2_jk x^1_k + b^2_j, so ds^2_j/dw^2_jk "
                        "is the activation that enters layer 2"),
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
    (dict(x_in="this"), "your factor x^1_k is the activation that leaves layer 1: w^1_jk sits "
                        "in s^1_j = sum_k w^1_jk x^0_k + b^1_j, so ds^1_j/dw^1_jk is the input "
                        "that enters layer 1"),
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
                       symbol, net.W[l].shape,
                       f"a gradient has the shape of what it differentiates, one entry [j, k] "
                       f"= dl/dw^{l}_jk for each weight w^{l}_jk of W^({l}) = net.W[{l}]")
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
    "(x2_j - y_j) x2_j (1 - x2_j)": "your product has factors for two links of the path only: "
                                    "the first link, w^2_jk -> s^2_j, and its ds^2_j/dw^2_jk "
                                    "are missing",
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
    "(d2_0 w2_0j + d2_1 w2_1j) x1_j (1 - x1_j)": "your product stops at s^1_j: the first link "
                                                  "of the path, w^1_jk -> s^1_j, and its "
                                                  "ds^1_j/dw^1_jk are missing",
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
        (lambda s, x: 1 - x, "your 1 - x goes to 1 as s -> -oo (x -> 0), where the sigmoid "
                             "is flat and its slope goes to 0: a factor is missing; "
                             "differentiate 1 / (1 + e^-s) and write it through x = sigma(s)"),
        (lambda s, x: 1 - x ** 2, "your 1 - x^2 is tanh', not the sigmoid's derivative"),
        (lambda s, x: x, "that is sigma itself, not its slope: differentiate 1 / (1 + e^-s)"),
    ],
    "tanh": [
        (lambda s, x: 1 - x, "your 1 - x for tanh goes to 2 as s -> -oo (x -> -1), where "
                             "tanh is flat, and to 0 as s -> +oo: tanh is odd, so its slope is "
                             "the same at s and -s, and yours is not"),
        (lambda s, x: x * (1 - x), "your x (1 - x) is the sigmoid's derivative, not tanh'"),
        (lambda s, x: 1 + x ** 2, "the sign is wrong: your 1 + x^2 grows where tanh flattens"),
        (lambda s, x: x, "that is tanh itself, not its slope"),
    ],
    "relu": [
        (lambda s, x: x, "that is relu itself, max(0, s), not its slope: relu is a straight "
                         "line on each side of s = 0, so its slope is constant on each side"),
        (lambda s, x: np.ones_like(s), "yours is 1 everywhere, also where s < 0: relu is "
                                       "flat there"),
        (lambda s, x: (s < 0).astype(float), "the two sides are swapped: yours is 1 where "
                                              "relu is flat"),
        (lambda s, x: (s >= 0).astype(float), "yours is 1 at s = 0 itself, relu's kink; this "
                                               "notebook takes the slope there to be 0"),
    ],
}


def _local_at(student_fn, name, s):
    """Check sigma'(s) for one activation at one s, naming the mistake."""
    x = activations.get(name)(s)
    got = as_array(run(student_fn, name, s.copy(), x.copy(), rules=LOCAL).value,
                   f"sigma' for {name}", s.shape,
                   "sigma' is taken entry by entry, one sigma'(s_i) for each entry s_i of s")
    want = _local(name, s, x)
    if np.allclose(got, want, rtol=1e-9, atol=1e-12):
        return
    if np.allclose(got, _local(name, s, x, at="x"), rtol=1e-9, atol=1e-12):
        raise AssertionError(
            f"{name}: sigma'(x^(l)) where sigma'(s^(l)) belongs: the derivative is taken at "
            "s, and written in terms of the saved x = sigma(s) it needs no sigma again")
    for wrong, message in LOCAL_MISTAKES[name]:
        if np.allclose(got, wrong(s, x), rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name}: {message}")
    raise AssertionError(f"{name}: sigma'(s) is not right at s = {s.ravel()[:3].round(3)}...")


def test_local_derivative(student_fn):
    """sigma'(s) for sigmoid, tanh, relu, from the saved x: right, and without sigma again."""
    rng = np.random.default_rng(11)
    # a layer of a batch, one sample, a wider batch; each with an s of exactly 0 (relu's kink)
    for s in (rng.normal(0, 2, size=(3, 4)), rng.normal(0, 2, size=5), rng.normal(0, 2, size=(2, 6))):
        s.flat[:2] = -0.5, 0.0
        for name in ("sigmoid", "tanh", "relu"):
            _local_at(student_fn, name, s)
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
                       "dl/ds^(L)", xL.shape,
                       "a gradient has the shape of what it differentiates, s^(L), and "
                       "x^(L) = softmax(s^(L)) has that shape too")
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


# --- one layer's backward step: dl/dW^(l), dl/db^(l), dl/dx^(l-1) from dl/ds^(l) ----------------

LAYER = Rules("one layer's backward step, written yourself with numpy's products and sums",
              {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN, **DERIVATIVES})
LAYER_HINT = ("W^(l) has shape (d_l, d_(l-1)); one sample: dl_ds (d_l,), x_prev (d_(l-1),); "
              "a batch: dl_ds (N, d_l), x_prev (N, d_(l-1)), one row per sample")
LAYER_NAMES = ("dl/dW^(l)", "dl/db^(l)", "dl/dx^(l-1)")


@reference
def _layer(dl_ds, x_prev, W, back_W="W", outer="right", reduce="sum", db="ds", sign=1,
           dx="rows"):
    """One layer's backward step, for one sample or rows, with one chosen mistake."""
    rows, prev = np.atleast_2d(dl_ds), np.atleast_2d(x_prev)
    dW = rows.T @ prev if outer == "right" else prev.T @ rows
    db_ = rows.sum(axis=0) if db == "ds" else np.zeros(W.shape[0])
    if reduce in ("mean", "mean W"):
        dW = dW / len(rows)
    if reduce in ("mean", "mean b"):
        db_ = db_ / len(rows)
    if dx == "columns":        # the one-sample product W^T dl_ds applied to a whole batch
        dx_prev = W.T @ dl_ds
    else:
        dx_prev = dl_ds @ (W if back_W == "W" else W.T)
    return sign * dW, sign * db_, sign * dx_prev


@reference
def layer_backward(dl_ds, x_prev, W):
    """(dl/dW^(l), dl/db^(l), dl/dx^(l-1)) from dl/ds^(l): the reference."""
    return _layer(dl_ds, x_prev, W)


LAYER_MISTAKES = [
    (dict(back_W="WT"), "your dl/dx^(l-1) is W^(l) dl/ds^(l): W^(l) where its transpose belongs; "
                        "entry k of dl/dx^(l-1) collects the weights out of neuron k of layer "
                        "l-1, which are column k of W^(l), not row k"),
    (dict(dx="columns"), "your dl/dx^(l-1) multiplies (W^(l))^T by the whole (N, d_l) array "
                         "dl_ds, as if its columns were the samples: with samples as rows, row n "
                         "of dl/dx^(l-1) belongs to sample n, row n of dl_ds"),
    (dict(outer="wrong"), "your dl/dW^(l) is x^(l-1) (dl/ds^(l))^T, the outer product the wrong "
                          "way round: entry (j, k) is dl/dw^l_jk, row j for neuron j of layer l, "
                          "column k for neuron k of layer l-1, as in W^(l)"),
    (dict(reduce="mean"), "your dl/dW^(l) and dl/db^(l) are divided by N = {N}: a mean, where the "
                          "lecture's loss is the sum over the samples, L = sum_n l_n"),
    (dict(reduce="mean W"), "your dl/dW^(l) is divided by N = {N}: a mean, where the lecture's "
                            "loss is the sum over the samples, L = sum_n l_n"),
    (dict(reduce="mean b"), "your dl/db^(l) is divided by N = {N}: a mean, where the lecture's "
                            "loss is the sum over the samples, L = sum_n l_n"),
    (dict(db="zero"), "your dl/db^(l) is 0: b^l_j is a term of s^l_j = sum_k w^l_jk x^(l-1)_k + "
                      "b^l_j; what is ds^l_j/db^l_j?"),
    (dict(sign=-1), "all three of your results have the wrong sign: the backward step only "
                    "multiplies dl/ds^(l) by local derivatives, and no minus enters"),
]


def _layer_cases():
    """(what, dl_ds, x_prev, W): one sample with d_l larger and smaller than d_(l-1), a batch."""
    rng = np.random.default_rng(13)
    yield ("one sample, d_l = 3, d_(l-1) = 2", rng.normal(size=3), rng.normal(size=2),
           rng.normal(size=(3, 2)))
    yield ("one sample, d_l = 2, d_(l-1) = 4", rng.normal(size=2), rng.normal(size=4),
           rng.normal(size=(2, 4)))
    yield ("a batch of N = 5 samples, d_l = 3, d_(l-1) = 4", rng.normal(size=(5, 3)),
           rng.normal(size=(5, 4)), rng.normal(size=(3, 4)))


def _square_layer(batch):
    """Square shapes (N = d_l = d_(l-1) = 3), where W^(l) for its transpose runs too."""
    rng = np.random.default_rng(14)
    return rng.normal(size=(3, 3) if batch else 3), rng.normal(size=(3, 3) if batch else 3), \
        rng.normal(size=(3, 3))


def _triple(value):
    """The three results of one layer's step as float arrays, naming a wrong kind of result."""
    if isinstance(value, list) and len(value) == 3:
        raise AssertionError("you returned a list [.., .., ..]; return the three results as a "
                             "tuple, `return dl_dW, dl_db, dl_dx_prev`")
    if not (isinstance(value, tuple) and len(value) == 3):
        got = f"a tuple of {len(value)}" if isinstance(value, tuple) else type(value).__name__
        raise AssertionError("return the three results as a tuple, "
                             f"`return dl_dW, dl_db, dl_dx_prev`, got {got}")
    return tuple(as_array(v, name) for v, name in zip(value, LAYER_NAMES))


def _close(a, b):
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _layer_named(got, dl_ds, x_prev, W):
    """The usual mistake whose values ``got`` equals, in words, or None."""
    N = len(dl_ds) if np.ndim(dl_ds) == 2 else 1
    for kwargs, message in LAYER_MISTAKES:
        try:
            theirs = _layer(dl_ds, x_prev, W, **kwargs)
        except ValueError:   # a mistake that only runs on other shapes
            continue
        if not all(_close(g, r) for g, r in zip(theirs, _layer(dl_ds, x_prev, W))) and \
                all(_close(g, t) for g, t in zip(got, theirs)):
            return message.format(N=N)
    return None


def _layer_mistake(got, dl_ds, x_prev, W):
    """What is wrong with one layer's results, in the lecture's words with the student's values.

    Returns None when they are right; the message never holds the right numbers.
    """
    gW, gb, gx = got
    batch = np.ndim(dl_ds) == 2
    N, (d, d_prev) = (len(dl_ds) if batch else 1), W.shape
    if gW.shape != W.shape:
        if gW.shape == W.shape[::-1]:
            return (f"your dl/dW^(l) has shape {gW.shape}, the shape of (W^(l))^T: the outer "
                    "product is the wrong way round; entry (j, k) is dl/dw^l_jk, row j for "
                    "neuron j of layer l, as in W^(l)")
        if batch and gW.shape == (N * d, N * d_prev):
            return (f"your dl/dW^(l) has shape {gW.shape} = (N d_l, N d_(l-1)): np.outer "
                    "flattens a batch into two long vectors; over a batch dl/dW^(l) = "
                    "sum_n dl/ds^(l)_n (x^(l-1)_n)^T, one (d_l, d_(l-1)) matrix summed over "
                    "the N samples")
        return (f"your dl/dW^(l) has shape {gW.shape}: a gradient has the shape of what it "
                "differentiates, one entry (j, k) = dl/dw^l_jk for each weight of W^(l)")
    if gb.shape != (d,):
        if batch and gb.shape == (N, d):
            return (f"your dl/db^(l) has shape {gb.shape}, one row per sample: the loss is "
                    "L = sum_n l_n, so over a batch dl/db^(l) is summed over the samples, to "
                    "the shape of b^(l)")
        if batch and gb.shape == (N,):
            return (f"your dl/db^(l) has shape {gb.shape}, one number per sample: it is summed "
                    "over the neurons; b^(l) has one entry b^l_j per neuron j of layer l, and "
                    "the sum runs over the samples")
        return (f"your dl/db^(l) has shape {gb.shape}: a gradient has the shape of what it "
                "differentiates, one entry dl/db^l_j for each bias b^l_j of b^(l)")
    if gx.shape != np.shape(x_prev):
        return (f"your dl/dx^(l-1) has shape {gx.shape}: a gradient has the shape of what it "
                "differentiates, x^(l-1) = x_prev, one entry per entry of x_prev")
    ok = [_close(g, r) for g, r in zip(got, _layer(dl_ds, x_prev, W))]
    if all(ok):
        return None
    named = _layer_named(got, dl_ds, x_prev, W)
    if named:
        return named
    wrong = [n for n, good in zip(LAYER_NAMES, ok) if not good]
    right = [n for n, good in zip(LAYER_NAMES, ok) if good]
    return (f"your {' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right"
            + (f" ({' and '.join(right)} {'is' if len(right) == 1 else 'are'})" if right else "")
            + "; work one entry out on paper with the chain rule through "
              "s^(l) = W^(l) x^(l-1) + b^(l), then write it for the whole array")


def test_layer_backward(student_fn):
    """One layer's step on one sample (d_l larger, then smaller than d_(l-1)) and on a batch."""
    for what, dl_ds, x_prev, W in _layer_cases():
        try:
            got = _triple(run(student_fn, dl_ds.copy(), x_prev.copy(), W.copy(), rules=LAYER,
                              hint=LAYER_HINT).value)
        except ShapeError as error:
            named = None
            sq = _square_layer(np.ndim(dl_ds) == 2)
            try:   # W^(l) for its transpose, and the like, run on square shapes: name them there
                named = _layer_named(_triple(student_fn(*(a.copy() for a in sq))), *sq)
            except Exception:
                pass
            batch = "" if np.ndim(dl_ds) == 1 else (
                "one-sample code on a batch? With samples as rows, dl_ds has shape (N, d_l) and "
                "x_prev (N, d_(l-1)). ")
            raise AssertionError(f"on {what}: {named or batch + str(error)}") from None
        message = _layer_mistake(got, dl_ds, x_prev, W)
        if message:
            raise AssertionError(f"on {what}: {message}")


# --- the backward pass from delta^(L), built from the student's own pieces -----------------------

RULES = Rules("your own backward pass from delta^(L), layer by layer from l = L down to 1, "
              "with your layer_backward and your local_derivative",
              {**BACKPROP, **FINITE_DIFFERENCES, **CHAIN, **DERIVATIVES})
HINT = ("W^(l) has shape (d_l, d_(l-1)); delta^(L) = dl/ds^(L) has the shape of x^(L), and each "
        "dl/ds^(l) the shape of s^(l) = trace.s[l]")
ELEMENT_WISE = ("sigmoid", "tanh", "relu")


def _sigma_prime(net, trace, l, at="s"):
    """sigma'(s^(l)) of an element-wise layer; ``at`` a mistake of ``_local``."""
    name = net.activation(l).name
    if name not in ELEMENT_WISE:
        raise ValueError(f"{name} is not element-wise")
    if at == "swapped":            # local_derivative(name, x, s): the arguments swapped
        return _local(name, trace.x[l], trace.s[l])
    return _local(name, trace.s[l], trace.x[l], at=at)


@reference
def _variant(net, trace, dl_dsL, dsigma="s", output="given", x_in="prev", sign=1, **step):
    """The backward pass from delta^(L) with one chosen mistake.

    In how the layers are put together: ``dsigma`` ("x": sigma' at x; "swapped": the
    arguments of the local derivative swapped; "none"; "layer": layer l's sigma' for layer
    l-1's), ``output="again"`` (sigma'(s^(L)) on top of delta^(L)), ``x_in="this"`` (x^(l) for
    x^(l-1)), ``sign``; or in the layer step: ``step``, the keywords of ``_layer``.
    """
    dW, db = {}, {}
    dl_ds = sign * np.asarray(dl_dsL, dtype=float)
    if output == "again":
        dl_ds = _sigma_prime(net, trace, net.L) * dl_ds
    for l in range(net.L, 0, -1):
        x_prev = trace.x[l - 1] if x_in == "prev" else trace.x[l]
        dW[l], db[l], dl_dx = _layer(dl_ds, x_prev, net.W[l], **step)
        if l > 1:
            if dsigma == "none":
                dl_ds = dl_dx
            elif dsigma == "layer":
                dl_ds = _sigma_prime(net, trace, l) * dl_dx
            else:
                dl_ds = _sigma_prime(net, trace, l - 1, at=dsigma) * dl_dx
    return SimpleNamespace(W=dW, b=db)


@reference
def backward(net, trace, dl_dsL):
    """dl/dW^(l), dl/db^(l) for l = 1..L from delta^(L) = dl/ds^(L): the reference."""
    return _variant(net, trace, dl_dsL)


def _in_the_step(kwargs, words):
    return kwargs, "in the layer step: " + words.replace(" = {N}", "") + \
        "; your backward pass is as right as your layer_backward"


MISTAKES = [
    (dict(dsigma="none"), "sigma' is missing: your layer_backward gives dl/dx^(l-1), and the next "
                          "step needs dl/ds^(l-1); x^(l-1) = sigma(s^(l-1)) is a link of the "
                          "chain between them, with a local derivative of its own"),
    (dict(dsigma="x"), "sigma'(x^(l-1)) where sigma'(s^(l-1)) belongs: the derivative is taken at "
                       "the weighted input s^(l-1), the value that enters sigma"),
    (dict(dsigma="swapped"), "your call hands local_derivative(name, s, x) the saved x^(l-1) "
                             "where s^(l-1) belongs and s^(l-1) where x^(l-1) belongs"),
    (dict(dsigma="layer"), "sigma' of layer l where layer l-1's belongs: dl/dx^(l-1) becomes "
                           "dl/ds^(l-1) through x^(l-1) = sigma(s^(l-1)), layer l-1's own sigma"),
    (dict(output="again"), "sigma'(s^(L)) is taken twice: delta^(L) = dl/ds^(L), where the pass "
                           "starts, already holds the output layer's sigma'"),
    (dict(x_in="this"), "dl/dW^(l) needs the activation that enters layer l, x^(l-1); your call "
                        "gives layer_backward x^(l), the activation that leaves it"),
    (dict(sign=-1), "every gradient has the wrong sign: backpropagation starts from delta^(L) as "
                    "it is given and only multiplies by local derivatives"),
    *[_in_the_step(kwargs, words) for kwargs, words in LAYER_MISTAKES],
]


def _delta_L(net, trace, y, loss):
    """delta^(L) = dl/ds^(L): x^(L) - y after softmax with cross-entropy, else sigma' * dl/dx^(L)."""
    xL = trace.output
    y = loss.targets(xL, y)
    if isinstance(loss, losses.CrossEntropy) and net.activation(net.L).name == "softmax":
        return loss.grad_after_softmax(xL, y)
    return net.activation(net.L).backward(trace.s[net.L], xL, loss.gradient(xL, y))


def _cases():
    """(what, net, x, y, loss): L = 2 and 3, d_l larger and smaller than d_(l-1), one sample
    and batches, element-wise and softmax outputs."""
    rng = np.random.default_rng(8)
    yield ("one sample, sigmoid layers, quadratic loss",
           MLP([3, 4, 2], sigma="sigmoid", seed=2), rng.normal(size=3), rng.normal(size=2),
           losses.quadratic)
    yield ("a batch of 5 samples, tanh layers, quadratic loss",
           MLP([3, 5, 4, 2], sigma="tanh", seed=3), rng.normal(size=(5, 3)),
           rng.normal(size=(5, 2)), losses.quadratic)
    yield ("a batch of 4 samples, relu layers, softmax output, cross-entropy loss",
           MLP([4, 6, 3, 3], sigma="relu", output_sigma="softmax", seed=4),
           rng.normal(size=(4, 4)), np.array([0, 2, 1, 2]), losses.cross_entropy)


def _square():
    """A tanh network of square layers with non-zero biases, one sample: (net, trace, delta^(L))."""
    net = MLP([3, 3, 3, 3], sigma="tanh", seed=5)
    rng = np.random.default_rng(6)
    for l in range(1, net.L + 1):
        net.b[l] = rng.normal(size=3)
    trace = net.forward(rng.normal(size=3))
    return net, trace, _delta_L(net, trace, rng.normal(size=3), losses.quadratic)


def _name(student_fn, net, trace, dl_dsL):
    """The message of the usual mistake the student's pass matches on this case, or None."""
    try:
        got = student_fn(net, trace, dl_dsL.copy())
        mine = [np.asarray(got.W[l], dtype=float) for l in range(1, net.L + 1)] + \
            [np.asarray(got.b[l], dtype=float) for l in range(1, net.L + 1)]
    except Exception:
        return None
    for kwargs, message in [({}, None)] + MISTAKES:   # right here: no mistake to name
        try:
            v = _variant(net, trace, dl_dsL, **kwargs)
        except ValueError:
            continue
        theirs = [v.W[l] for l in range(1, net.L + 1)] + [v.b[l] for l in range(1, net.L + 1)]
        if all(a.shape == b.shape and np.allclose(a, b, rtol=1e-7, atol=1e-10)
               for a, b in zip(mine, theirs)):
            return message
    return None


def _shape_of_result(grads, net):
    """Name a result of the wrong kind, or a layer missing from it."""
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
                    f"dl/d{symbol}^({l}) is missing: the loop runs from l = L down to 1 and "
                    f"fills d{symbol}[l] for every layer") from None


def _pieces(pieces):
    """Which of the student's pieces do not pass their own checks yet, in words, or None."""
    from . import passes

    tests = {"layer_backward": test_layer_backward, "local_derivative": test_local_derivative}
    failing = [getattr(fn, "__name__", "?") for fn in pieces
               if getattr(fn, "__name__", None) in tests and not passes(tests[fn.__name__], fn)]
    if not failing:
        return None
    return (f"your backward pass is built from your {' and '.join(failing)}, which "
            f"{'does' if len(failing) == 1 else 'do'} not pass {'its' if len(failing) == 1 else 'their'} "
            "own check yet: fix that first, in its cell above, and run both cells again")


def _not_done_inside(error, student_fn):
    """The name of the function the student's pass calls that is not written yet, or None."""
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return None if code is getattr(student_fn, "__code__", None) else code.co_name


def test_backward(student_fn, *pieces):
    """gradient_check on each case, from the right delta^(L), the network and trace unchanged.

    ``pieces``: the student's ``layer_backward`` and ``local_derivative``, whose own checks say
    whether a wrong pass comes from them.
    """
    for what, net, x, y, loss in _cases():
        trace = net.forward(x)
        dl_dsL = _delta_L(net, trace, y, loss)
        try:
            grads = run(student_fn, net, trace, dl_dsL.copy(), rules=RULES, hint=HINT, changed={
                            0: "your backward pass changed W^(l) or b^(l): it must only read "
                               "the network and the trace",
                            1: "your backward pass changed the trace x^(l) or s^(l): compute "
                               "new arrays instead of updating those in place"}).value
        except NotImplementedError as error:
            inside = _not_done_inside(error, student_fn)
            if inside is None:
                raise
            raise AssertionError(f"your backward pass calls your {inside}, which is not written "
                                 "yet: write it and run its check first") from None
        except ShapeError as error:
            named = _pieces(pieces) or _name(student_fn, *_square())
            raise AssertionError(f"on {what}: {named or str(error)}") from None
        _shape_of_result(grads, net)
        result = gradient_check(net, x, y, loss,
                                backward=lambda net, trace, dl_dxL: student_fn(net, trace,
                                                                               dl_dsL.copy()))
        if not result.passed:
            named = _pieces(pieces) or _name(student_fn, net, trace, dl_dsL) or \
                _name(student_fn, *_square())
            raise AssertionError(f"on {what}: {named}" if named else
                                 f"on {what}, bplib.gradient_check says:\n{result}")


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
