"""The named mistakes of notebooks 01, 02, 04 and 05 give what the wrong answers that make them give.

The grader names a mistake when a student's reported numbers equal the mistake's
values on the hidden test's inputs (``bpcourse.mistakes``). Here each wrong
answer of the course's table runs on inputs like the hidden tests' (sizes that
widen and narrow, L >= 3, m other than 3, a batch) and must give its mistake's
values there, and differ from the right answer.
"""
import copy

import numpy as np
import pytest

import bplib
from bpcourse import nb02
from bpcourse.mistakes import EXERCISES, MISTAKES
from wrong_answers import ANSWERS

# (function, misconception in wrong_answers.py) -> the mistake it makes
MADE = {
    ("weight_shape", "rows and columns swapped"): "nb01.weight_shape.swapped",
    ("weight_shape", "the smaller size first: right only for narrowing sizes"):
        "nb01.weight_shape.smaller_first",
    ("numerical_jacobian", "forward differences"): "nb02.numerical_jacobian.forward_difference",
    ("numerical_jacobian", "backward differences"): "nb02.numerical_jacobian.backward_difference",
    ("numerical_jacobian", "divides by h, not 2h"): "nb02.numerical_jacobian.dropped_half",
    ("numerical_jacobian", "/ 2 * h: divides by 2, then multiplies by h"):
        "nb02.numerical_jacobian.slash_2_times_h",
    ("numerical_jacobian", "sign of the difference reversed"): "nb02.numerical_jacobian.wrong_sign",
    ("forward", "a sigmoid hard-coded on every layer"): "nb04.forward.hard_coded_sigmoid",
    ("forward", "tanh and a sigmoid hard-coded: right only for the tanh-sigmoid network"):
        "nb04.forward.hard_coded_tanh_sigmoid",
    ("finite_difference_gradients", "divides by h instead of 2h"): "nb05.fd.dropped_half",
    ("finite_difference_gradients", "sign reversed"): "nb05.fd.wrong_sign",
    ("finite_difference_gradients", "a batch mean where the lecture sums over samples"):
        "nb05.fd.mean_not_sum",
}


def _inputs(exercise, rng):
    """A list of (inputs, label) like the hidden test's."""
    if exercise == "nb01.weight_shape":
        return [(([2, 5, 8, 4, 1],), "widening then narrowing"), (([7, 3, 6],), "mixed")]
    if exercise == "nb02.numerical_jacobian":
        A = rng.normal(size=(5, 2))
        return [((lambda v: np.tanh(A @ v), rng.normal(size=2)), "tanh"),
                ((nb02.f_example, rng.normal(size=2), 1e-2), "step")]
    if exercise == "nb04.forward":
        deep = bplib.MLP([2, 6, 3, 1], sigma="relu", output_sigma="identity", seed=3)
        return [((deep, rng.normal(size=2)), "deep"),
                ((bplib.MLP([4, 2], sigma="relu", seed=4), rng.normal(size=4)), "one layer")]
    if exercise == "nb05.fd":
        net = bplib.MLP([2, 4, 1, 3], sigma="tanh", seed=5)
        return [((net, rng.normal(size=2), rng.normal(size=3), bplib.quadratic), ""),
                ((net, rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), bplib.quadratic), "batch ")]
    raise KeyError(exercise)


def _define(source, name):
    ns = {"np": np, "bplib": bplib}
    exec(source, ns)
    return ns[name]


@pytest.mark.parametrize("answer", sorted(MADE), ids=lambda a: f"{a[0]}: {a[1]}")
def test_a_wrong_answer_gives_its_mistakes_values(answer):
    source = {(w.exercise, w.misconception): w.source for w in ANSWERS}[answer]
    fn = _define(source, answer[0])
    if answer[0] == "weight_shape":   # the hidden test reports the shapes of every layer
        one = fn
        fn = lambda sizes: [one(list(sizes), l) for l in range(1, len(sizes))]  # noqa: E731
    mistake = MISTAKES[MADE[answer]]
    exercise = EXERCISES[mistake.id.rsplit(".", 1)[0]]
    differs = False
    for args, label in _inputs(exercise.id, np.random.default_rng(11)):
        got = exercise.reports(fn(*copy.deepcopy(args)), label)
        want = exercise.reports(mistake.values(*args), label)
        assert [n for n, _ in got] == [n for n, _ in want]
        for (name, a), (_, b) in zip(got, want):
            assert np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9), name
        differs = differs or _differs_from_right(exercise.id, args, got, label)
    assert differs, "the mistake's values equal the right answer's on every input"


def _differs_from_right(exercise, args, got, label):
    from bpcourse import nb01, nb04, nb05

    right = {"nb01.weight_shape": lambda sizes: [nb01.reference_weight_shape(sizes, l)
                                                 for l in range(1, len(sizes))],
             "nb02.numerical_jacobian": lambda f, x, h=1e-5: nb02.central_difference(f, x, h),
             "nb04.forward": nb04.reference_forward,
             "nb05.fd": nb05.finite_difference_gradients}[exercise]
    want = EXERCISES[exercise].reports(right(*args), label)
    return any(np.shape(a) != np.shape(b) or not np.allclose(a, b) for (_, a), (_, b) in
               zip(got, want))
