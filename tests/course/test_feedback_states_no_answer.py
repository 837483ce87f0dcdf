"""Feedback to a wrong answer names the mistake from the student's own values, never the answer.

Each case is a wrong answer whose feedback is about a shape, a loop's range or a formula:
the feedback must hold the words that name the mistake, and none of the strings that
would give the right shape, range or formula away.
"""
import numpy as np
import pytest

from bpcourse import nb01, nb02, nb03, nb04, nb05, nb07, nb08, nb09
from bplib.widgets import check_expression

from solution_cells import define
from wrong_answers import ANSWERS, LOC, OD, SIG, SR

TESTS = {
    "weight_shape": nb01.test_weight_shape,
    "numerical_jacobian": nb02.test_numerical_jacobian,
    "weighted_input": nb03.test_weighted_input,
    "forward": nb04.test_forward,
    "forward_batch": nb04.test_forward_batch,
    "finite_difference_gradients": nb05.test_finite_differences,
    "output_weight_gradient": nb08.test_output_weight_gradient,
    "local_derivative": nb08.test_local_derivative,
    "softmax_cross_entropy_delta": nb08.test_softmax_cross_entropy_delta,
    "layer_backward": nb08.test_layer_backward,
    "zero_gradient_entries": nb09.test_zero_gradient_entries,
    "saturation_ratio": nb09.test_saturation_ratio,
    "output_deltas": nb09.test_output_deltas,
    "jacobian_sin_linear": nb07.test_jacobian_sin_linear,
    "gradient_from_left": nb07.test_gradient_from_left,
    "gradient_forward_mode": nb07.test_gradient_forward_mode,
    "softmax_jacobian": nb07.test_softmax_jacobian,
}


def table(exercise, misconception):
    """The source of a wrong answer of the course's table."""
    return next(w.source for w in ANSWERS
                if (w.exercise, w.misconception) == (exercise, misconception))


FD_RAVEL = """def finite_difference_gradients(net, x, y, loss, h=1e-5):
    dW, db = {}, {}
    for l in range(1, net.L + 1):
        for params, grads in ((net.W, dW), (net.b, db)):
            theta = params[l]
            g = np.zeros_like(theta)
            for i in np.ndindex(theta.shape):
                old = theta[i]
                theta[i] = old + h
                up = loss(net(x), y)
                theta[i] = old - h
                down = loss(net(x), y)
                theta[i] = old
                g[i] = (up - down) / (2 * h)
            grads[l] = g.ravel()
    return dW, db"""
OUT_RAVEL = (SIG + "def output_weight_gradient(net, trace, y):\n"
             "    x1, x2 = trace.x[1], trace.x[2]\n"
             "    dW2 = np.zeros(net.W[2].shape)\n"
             "    for j in range(net.sizes[2]):\n"
             "        for k in range(net.sizes[1]):\n"
             "            dW2[j, k] = (x2[j] - y[j]) * x2[j] * (1 - x2[j]) * x1[k]\n"
             "    return dW2.ravel()")
FORWARD = ("def forward(net, x):\n"
           "    for l in range(1, net.L + 1):\n"
           "        x = net.activation(l)(net.W[l] @ x + net.b[l])\n")
BATCH = ("def forward_batch(net, X):\n"
         "    for l in range(1, net.L + 1):\n"
         "        X = net.activation(l)(X @ net.W[l].T + net.b[l])\n")

# (exercise, source, words that name the mistake, strings that would state the answer)
CASES = [
    # 01: W^(1) of sizes [4, 3, 2] has shape (3, 4)
    ("weight_shape", "def weight_shape(sizes, l):\n    return (sizes[l], 1)",
     ("(3, 1)", "1 is the size of no layer"), ("(3, 4)", "(d_l, d_{l-1})", "(d_1, d_0)")),
    ("weight_shape", table("weight_shape", "rows and columns swapped"),
     ("(4, 3) = (d_0, d_1)", "swapped"), ("(3, 4)", "(d_l, d_{l-1})", "(d_1, d_0)")),
    # 02: J of f: R^2 -> R^3 has shape (3, 2); of tanh(B x), f: R^3 -> R^5, (5, 3)
    ("numerical_jacobian", table("numerical_jacobian", "columns stacked as rows: J transposed"),
     ("(2, 3) = (n, m)", "2 rows, one per input x_j"), ("(3, 2)", "(m, n)")),
    ("numerical_jacobian",
     "def numerical_jacobian(f, x, h=1e-5):\n"
     "    return np.concatenate([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])",
     ("(6,)", "one axis where J has two"), ("(3, 2)", "(m, n)")),
    ("numerical_jacobian",
     "def numerical_jacobian(f, x, h=1e-5):\n"
     "    return np.stack([(f(x + h * e) - f(x - h * e))[:3] / (2 * h) for e in np.eye(len(x))],"
     " axis=1)",
     ("(3, 3)", "m = len(f(x))"), ("(5, 3)",)),
    # 03: s^l of a 4 x 4 W^l has shape (4,)
    ("weighted_input", "def weighted_input(W, b, x_prev):\n"
                       "    return W @ x_prev[:, None] + b[:, None]",
     ("(4, 1)", "one entry s^l_j per neuron j"), ("(4,)", "(d_l,)")),
    # 04: x^(L) of sizes [3, 4, 5, 2] has shape (2,); X^(L) of 6 samples (6, 2)
    ("forward", FORWARD + "    return x[None, :]",
     ("(1, 2)", "2 axes", "one entry per neuron of the output layer L"), ("(2,)", "(d_L,)")),
    ("forward", table("forward", "the loop stops one layer early"),
     ("stops after layer 2",), ("range(1, net.L + 1)", "1..3")),
    ("forward_batch", BATCH + "    return X.ravel()",
     ("(12,)", "row n of X^(L)"), ("(6, 2)", "(N, d_L)")),
    ("forward_batch", table("forward_batch", "samples as columns, result (d_L, N)"),
     ("(d_L, N) = (2, 6)", "samples are rows"), ("(6, 2)", "(N, d_L)")),
    ("forward_batch", table("forward_batch", "the one-sample formula W @ X on a batch"),
     ("samples as rows",), ("net.W[l].T", "X @ net.W")),
    # 05: dl/dW^(1) of sizes [2, 4, 3, 1] has shape (4, 2)
    ("finite_difference_gradients", FD_RAVEL,
     ("(8,)", "the shape of what it differentiates"), ("(4, 2)",)),
    # 08: dl/dW^(2) of a 3-3-3 network is (3, 3); sigma' of s (3, 4); a batch's dl/ds^(L) (3, 4)
    ("output_weight_gradient", OUT_RAVEL,
     ("(9,)", "the shape of what it differentiates"), ("(3, 3)",)),
    ("local_derivative", LOC.format(sig="(x * (1 - x)).ravel()", tanh="1 - x ** 2",
                                    relu="(s > 0).astype(float)"),
     ("(12,)", "entry by entry"), ("(3, 4)",)),
    ("softmax_cross_entropy_delta", "def softmax_cross_entropy_delta(xL, y):\n"
                                    "    return (xL - y).ravel()",
     ("(12,)", "the shape of what it differentiates"), ("(3, 4)",)),
    ("layer_backward", "def layer_backward(dl_ds, x_prev, W):\n"
                       "    return np.outer(dl_ds, x_prev).ravel(), dl_ds, W.T @ dl_ds",
     ("(6,)", "one entry (j, k) = dl/dw^l_jk"), ("(3, 2)",)),
    ("layer_backward", "def layer_backward(dl_ds, x_prev, W):\n"
                       "    return np.outer(dl_ds, x_prev), dl_ds, dl_ds",
     ("dl/dx^(l-1) has shape (3,)", "x_prev"), ("(2,)",)),
    ("layer_backward", table("layer_backward", "db not summed over the batch"),
     ("(5, 3)", "one row per sample"), ("(3,)",)),
    ("local_derivative", LOC.format(sig="x * (1 - x)", tanh="1 - x ** 2", relu="s * (s > 0)"),
     ("relu itself",), ("1 where s > 0", "0 elsewhere")),
    ("local_derivative", LOC.format(sig="1 - x", tanh="1 - x ** 2", relu="(s > 0).astype(float)"),
     ("your 1 - x goes to 1", "a factor is missing"), ("x (1 - x)", "factor x")),
    ("local_derivative", table("local_derivative", "tanh' without the square"),
     ("your 1 - x for tanh",), ("1 - x^2", "1 - x ** 2", "square")),
    ("local_derivative", table("local_derivative", "relu' = 1 everywhere"),
     ("yours is 1 everywhere",), ("relu' is 0",)),
    # 09: dl/dW^(1) of a 6-5-5-3 network is (5, 6); the ratio of 7 s is (7,); delta^(L) (2,)
    ("zero_gradient_entries", table("zero_gradient_entries", "x^(l) for x^(l-1)"),
     ("(5, 5)", "as if k ran over x^(1)"), ("(5, 6)", "(d_1, d_0)")),
    ("zero_gradient_entries", table("zero_gradient_entries", "rows and columns swapped"),
     ("(6, 5) = (d_0, d_1)", "swapped"), ("(5, 6)", "(d_1, d_0)")),
    ("saturation_ratio", SR.format("(4 * x * (1 - x))[:3]"),
     ("(3,)", "entry by entry"), ("(7,)",)),
    ("output_deltas", OD.format("((xL - y) * slope)[..., :1], xL - y"),
     ("(1,)", "one entry per output neuron"), ("(2,)",)),
]

SIN = "def jacobian_sin_linear(A, b, x):\n    s = A @ x + b\n"
LEFT = ("def gradient_from_left(jacobians, dl_dxN):\n    g = dl_dxN\n"
        "    for J in reversed(jacobians):\n        g = g @ J\n")
FORWARD = ("def gradient_forward_mode(jacobians, dl_dxN):\n"
           "    d0 = jacobians[0].shape[1]\n    g = np.zeros(d0)\n    for k in range(d0):\n"
           "        v = np.eye(d0)[k]\n        for J in jacobians:\n            v = J @ v\n"
           "        g[k] = dl_dxN @ v\n")
SOFTMAX_GIVEAWAYS = ("(m, m)", "diag(p) -", "p p^T", "-p_i p_k", "delta_ik", "p_i (1 - p_i)")


# (exercise, source, words that name the mistake, strings that would state the answer);
# the checks' first cases: A of shape (3, 4); d = [3, 5, 4, 2] and [4, 3, 5, 2]; m = 3
NB07_CASES = [
    ("jacobian_sin_linear", SIN + "    return (np.diag(np.cos(s)) @ A).T",
     ("(4, 3)", "one row per input", "transposed"), ("(m, n)", "(3, 4)")),
    ("jacobian_sin_linear", SIN + "    return np.cos(s)",
     ("your J has shape (3,)", "one row per output f_i"), ("(m, n)",)),
    ("jacobian_sin_linear", table("jacobian_sin_linear", "sin for cos"),
     ("sin(s) itself",), ("cos(s)", "diag(cos")),
    ("jacobian_sin_linear", table("jacobian_sin_linear", "only J_linear"),
     ("J_sin(s) is missing",), ("diag(cos", "= A")),
    ("jacobian_sin_linear", table("jacobian_sin_linear", "A^T for A"),
     ("A^T for A",), ("A itself", "(m, n)")),
    ("jacobian_sin_linear", table("jacobian_sin_linear", "sign error"),
     ("sign",), ("+diag", "cos(s)")),
    ("jacobian_sin_linear", table("jacobian_sin_linear", "the factors in the wrong order"),
     ("wrong order",), ("diag(cos(s)) @ A", "(m, m)", "(m, n)")),
    ("gradient_from_left", table("gradient_from_left", "returns the whole product"),
     ("(2, 3)", "whole Jacobian"), ("(d_0,)", "(3,)")),
    ("gradient_from_left", LEFT + "    return g[None, :]",
     ("your dl/dx has shape (1, 3)", "one number dl/dx_k per input"), ("(d_0,)", "(3,)")),
    ("gradient_forward_mode", FORWARD + "    return g[None, :]",
     ("your dl/dx has shape (1, 4)",), ("(d_0,)", "(4,)")),
    ("softmax_jacobian", table("softmax_jacobian", "the diagonal as a vector"),
     ("vector of shape (3,)", "diagonal alone"), SOFTMAX_GIVEAWAYS),
    ("softmax_jacobian", "def softmax_jacobian(s):\n    p = bplib.softmax(s)\n"
                         "    return np.diag(p)[:, :2]",
     ("your J has shape (3, 2)", "one column per input s_k"), SOFTMAX_GIVEAWAYS + ("(3, 3)",)),
]
CASES += NB07_CASES


@pytest.mark.parametrize("exercise, source, words, answer", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_mistake_is_named_and_the_answer_is_not_stated(exercise, source, words, answer):
    with pytest.raises(AssertionError) as info, np.errstate(all="ignore"):
        TESTS[exercise](define(source, exercise))
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    for given_away in answer:
        assert given_away not in message, (given_away, message)


@pytest.mark.parametrize("expected, mistakes, variables, wrong, factor", [
    (nb08.OUTPUT_EXPRESSION, nb08.OUTPUT_EXPRESSION_MISTAKES, nb08.OUTPUT_VARIABLES,
     "(x2_j - y_j) x2_j (1 - x2_j)", ("x^1_k", "x1_k")),
    (nb08.HIDDEN_EXPRESSION, nb08.HIDDEN_EXPRESSION_MISTAKES, nb08.HIDDEN_VARIABLES,
     "(d2_0 w2_0j + d2_1 w2_1j) x1_j (1 - x1_j)", ("x^0_k", "x0_k")),
])
def test_a_missing_factor_is_named_by_its_link_not_its_value(expected, mistakes, variables,
                                                             wrong, factor):
    message = check_expression(wrong, expected, mistakes, variables=variables).message
    message = message.split(" (read as ")[0]   # the student's own expression, echoed
    assert "first link" in message and "missing" in message
    assert not any(f in message for f in factor), message
