"""A table of plausible wrong answers: each is caught, and most are named in the lecture's words.

Goals: at least 95 % caught, at least 80 % named, every answer that delegates to
bplib (or to a reference of the checks) and every answer that breaks the
exercise's method caught, and every solution passes.
"""
import pytest

from bpcourse import Delegated, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09

from solution_cells import define, solution_functions
from wrong_answers import ANSWERS

def backward_with_its_pieces(fn):
    """nb08.test_backward as the notebook's check cell calls it, with the pieces beside ``fn``."""
    pieces = [fn.__globals__[n] for n in ("layer_backward", "local_derivative") if n in fn.__globals__]
    nb08.test_backward(fn, *pieces)


TESTS = {
    "weight_shape": nb01.test_weight_shape,
    "numerical_jacobian": nb02.test_numerical_jacobian,
    "neuron": nb03.test_neuron,
    "weighted_input": nb03.test_weighted_input,
    "forward": nb04.test_forward,
    "forward_batch": nb04.test_forward_batch,
    "finite_difference_gradients": nb05.test_finite_differences,
    "df": nb06.test_df,
    "chain_derivative": nb06.test_chain_derivative,
    "jacobian_sin_linear": nb07.test_jacobian_sin_linear,
    "gradient_from_left": nb07.test_gradient_from_left,
    "softmax_jacobian": nb07.test_softmax_jacobian,
    "layer_backward": nb08.test_layer_backward,
    "backward": backward_with_its_pieces,
    "graph_gradients": nb06.test_graph_gradients,
    "Value": nb06.test_engine,
    "gradient_forward_mode": nb07.test_gradient_forward_mode,
    "output_weight_gradient": nb08.test_output_weight_gradient,
    "hidden_weight_gradient": nb08.test_hidden_weight_gradient,
    "local_derivative": nb08.test_local_derivative,
    "softmax_cross_entropy_delta": nb08.test_softmax_cross_entropy_delta,
    "trace_floats": nb09.test_trace_floats,
    "zero_gradient_entries": nb09.test_zero_gradient_entries,
    "saturation_ratio": nb09.test_saturation_ratio,
    "output_deltas": nb09.test_output_deltas,
}


def verdict(wrong):
    """(caught, named, message) for one wrong answer."""
    fn = define(wrong.source, wrong.exercise)
    try:
        TESTS[wrong.exercise](fn)
    except NotImplementedError:
        return False, False, "not done"
    except Delegated as e:
        return True, all(w.lower() in str(e).lower() for w in wrong.words), f"delegated: {e}"
    except Exception as e:  # an AssertionError names it; anything else is still caught
        message = str(e) if isinstance(e, AssertionError) else f"{type(e).__name__}: {e}"
        return True, all(w.lower() in message.lower() for w in wrong.words), message
    return False, False, "passed"


@pytest.fixture(scope="module")
def verdicts():
    return [(wrong, *verdict(wrong)) for wrong in ANSWERS]


def test_the_table_covers_every_exercise_with_80_answers_or_more():
    assert len(ANSWERS) >= 80
    assert {w.exercise for w in ANSWERS} == set(TESTS)
    assert {w.kind for w in ANSWERS} == {"mistake", "delegation", "method"}


def test_goals_caught_named_delegation_and_method(verdicts):
    n = len(verdicts)
    caught = sum(c for _, c, _, _ in verdicts)
    named = sum(m for _, _, m, _ in verdicts)
    print(f"\n{n} wrong answers: {caught} caught ({caught / n:.0%}), "
          f"{named} named ({named / n:.0%})")
    for wrong, c, m, message in verdicts:
        if not m:
            print(f"  {'not named' if c else 'NOT CAUGHT'}: {wrong.exercise}: {wrong.misconception}"
                  f"\n    wanted {wrong.words}; said: {message[:300]}")
    assert caught / n >= 0.95
    assert named / n >= 0.80
    for wrong, c, _, message in verdicts:
        if wrong.kind in ("delegation", "method"):
            assert c, f"{wrong.kind} not caught: {wrong.exercise}: {wrong.misconception}"
        if wrong.kind == "delegation":
            assert message.startswith("delegated"), (wrong.misconception, message)


@pytest.mark.parametrize("name", sorted(TESTS))
def test_every_solution_passes(name):
    TESTS[name](solution_functions()[name])


@pytest.mark.parametrize("exercise, source", __import__("right_answers").RIGHT,
                         ids=lambda v: v if isinstance(v, str) and "\n" not in v else "")
def test_right_answers_written_differently_pass(exercise, source):
    TESTS[exercise](define(source, exercise))


# --- in grading: the hidden tests' markers, for every delegation and method violation ------

def _inputs(exercise):
    """Arguments a hidden test might give each exercise."""
    import numpy as np

    import bplib

    rng = np.random.default_rng(0)
    net = bplib.MLP([3, 4, 2], sigma="tanh", seed=1)
    trace = net.forward(rng.normal(size=3))
    Js = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    sig_net = bplib.MLP([3, 4, 2], sigma="sigmoid", seed=2)
    sig_trace = sig_net.forward(rng.normal(size=3))
    s = rng.normal(size=(3, 4))
    relu_net = bplib.MLP([3, 4, 2], sigma="relu", seed=3)
    relu_trace = relu_net.forward(np.array([0.0, 1.0, -0.5]))
    return {
        "weight_shape": ([4, 3, 2], 1),
        "numerical_jacobian": (nb02.f_example, rng.normal(size=2)),
        "neuron": (rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3), 1, bplib.tanh),
        "weighted_input": (rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)),
        "forward": (net, rng.normal(size=3)),
        "forward_batch": (net, rng.normal(size=(5, 3))),
        "finite_difference_gradients": (net, rng.normal(size=3), rng.normal(size=2),
                                        bplib.quadratic),
        "df": (rng.normal(size=5),),
        "chain_derivative": ([bplib.square, bplib.sin, bplib.exp], 0.7),
        "jacobian_sin_linear": (rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4)),
        "gradient_from_left": (Js, rng.normal(size=2)),
        "softmax_jacobian": (rng.normal(size=4),),
        "layer_backward": (rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.normal(size=(4, 3))),
        "backward": (net, trace, rng.normal(size=2)),
        "graph_gradients": (1.5, -0.8),
        "gradient_forward_mode": (Js, rng.normal(size=2)),
        "output_weight_gradient": (sig_net, sig_trace, rng.uniform(size=2)),
        "hidden_weight_gradient": (sig_net, sig_trace, rng.uniform(size=2)),
        "local_derivative": ("sigmoid", s, bplib.sigmoid(s)),
        "softmax_cross_entropy_delta": (bplib.softmax(s), np.eye(4)[[0, 3, 1]]),
        "trace_floats": ([4, 3, 2], 5),
        "zero_gradient_entries": (relu_net, relu_trace, 1),
        "saturation_ratio": (rng.normal(0, 4, size=5),),
        "output_deltas": (bplib.sigmoid(s), np.eye(4)[[0, 3, 1]]),
    }[exercise]


RULES = {
    "weight_shape": nb01.RULES, "numerical_jacobian": nb02.RULES, "neuron": nb03.NEURON,
    "weighted_input": nb03.LAYER, "forward": nb04.RULES, "forward_batch": nb04.BATCH,
    "finite_difference_gradients": nb05.RULES, "df": nb06.DF,
    "chain_derivative": nb06.CHAIN_LOOP, "jacobian_sin_linear": nb07.PRODUCT,
    "gradient_from_left": nb07.FROM_LEFT, "softmax_jacobian": nb07.SOFTMAX,
    "layer_backward": nb08.LAYER, "backward": nb08.RULES,
    "graph_gradients": nb06.GRAPH_RULES, "Value": nb06.ENGINE, "gradient_forward_mode": nb07.FORWARD_MODE,
    "output_weight_gradient": nb08.BY_HAND, "hidden_weight_gradient": nb08.BY_HAND,
    "local_derivative": nb08.LOCAL, "softmax_cross_entropy_delta": nb08.LOCAL,
    "trace_floats": nb09.MEMORY, "zero_gradient_entries": nb09.ZERO,
    "saturation_ratio": nb09.SATURATION, "output_deltas": nb09.OUTPUT,
}


def _markers(exercise, fn, monkeypatch):
    """The names of what the hidden tests would report against ``fn``."""
    import IPython.display

    from bpcourse import report

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    with report.watch(RULES[exercise], fn):
        try:
            if exercise == "Value":   # a class: the hidden test builds graphs with it
                nb06.engine_gradients(fn, nb06.WIDGET[0])
            else:
                fn(*_inputs(exercise))
        except Exception:   # a delegating answer may also be wrong: the marker comes first
            pass
    report.hold_to_method(TESTS[exercise], fn)
    return {obj[report.MIME]["name"] for obj in shown}


@pytest.mark.parametrize("wrong", [w for w in ANSWERS if w.kind != "mistake"],
                         ids=lambda w: f"{w.exercise}: {w.misconception}")
def test_grading_reports_every_delegation_and_method_violation(wrong, monkeypatch):
    from bpcourse import report

    want = report.DELEGATED if wrong.kind == "delegation" else report.METHOD
    assert want in _markers(wrong.exercise, define(wrong.source, wrong.exercise), monkeypatch)


@pytest.mark.parametrize("name", sorted(TESTS))
def test_grading_reports_nothing_against_a_solution(name, monkeypatch):
    assert _markers(name, solution_functions()[name], monkeypatch) == set()
