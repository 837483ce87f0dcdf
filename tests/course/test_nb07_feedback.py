"""Notebook 07: feedback to a wrong answer names the mistake from the student's own values.

Each case is a wrong answer of one of notebook 07's exercises: its feedback must hold
the words that name the mistake, and none of the strings that would give the right
shape, factor or formula away.
"""
import numpy as np
import pytest

from bpcourse import nb07

from solution_cells import define
from wrong_answers import ANSWERS

TESTS = {
    "jacobian_sin_linear": nb07.test_jacobian_sin_linear,
    "gradient_from_left": nb07.test_gradient_from_left,
    "gradient_forward_mode": nb07.test_gradient_forward_mode,
    "softmax_jacobian": nb07.test_softmax_jacobian,
}
SIN = "def jacobian_sin_linear(A, b, x):\n    s = A @ x + b\n"
LEFT = ("def gradient_from_left(jacobians, dl_dxN):\n    g = dl_dxN\n"
        "    for J in reversed(jacobians):\n        g = g @ J\n")
FORWARD = ("def gradient_forward_mode(jacobians, dl_dxN):\n"
           "    d0 = jacobians[0].shape[1]\n    g = np.zeros(d0)\n    for k in range(d0):\n"
           "        v = np.eye(d0)[k]\n        for J in jacobians:\n            v = J @ v\n"
           "        g[k] = dl_dxN @ v\n")
SOFTMAX_GIVEAWAYS = ("(m, m)", "diag(p) -", "p p^T", "-p_i p_k", "delta_ik", "p_i (1 - p_i)")


def table(exercise, misconception):
    """The source of a wrong answer of the course's table."""
    return next(w.source for w in ANSWERS
                if (w.exercise, w.misconception) == (exercise, misconception))


# (exercise, source, words that name the mistake, strings that would state the answer);
# the checks' first cases: A of shape (3, 4); d = [3, 5, 4, 2] and [4, 3, 5, 2]; m = 3
CASES = [
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
