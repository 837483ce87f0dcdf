"""What an exercise may call of bplib is listed: anything else of bplib, or of a
library that differentiates (sympy), that the answer calls itself is refused,
however it is reached (a name of its own, a callback, numpy in between)."""
import numpy as np
import pytest
import sympy

import bplib
from bplib import activations
from bpcourse import nb06, nb08
from bpcourse.method import Delegated, Rules, run

SIGMOID = ("sigmoid", np.linspace(-2, 2, 5))


def private_helper(name, s, x):
    return activations._dsigmoid_from_x(x)


def stored_derivative(name, s, x):
    return activations.get(name).df_from_x(x)


def through_a_callback(name, s, x):
    # an allowed call (a Function's f(x)) running the student's own lambda, which reaches in
    wrapped = bplib.Function("mine", lambda v: activations._dsigmoid_from_x(v))
    return wrapped(x)


def through_numpy(name, s, x):
    return np.apply_along_axis(activations._dsigmoid_from_x, 0, x)


def own_formula(name, s, x):
    return x * (1 - x)


@pytest.mark.parametrize("answer", [private_helper, stored_derivative, through_a_callback,
                                    through_numpy])
def test_a_bplib_function_the_exercise_does_not_give_is_refused(answer):
    name, s = SIGMOID
    x = activations.sigmoid(s)
    with pytest.raises(Delegated) as e:
        run(answer, name, s, x, rules=nb08.LOCAL)
    assert any("which this exercise does not give you" in n for n in e.value.names), e.value.names
    assert any("bplib.activations." in n for n in e.value.names), e.value.names


def test_the_answers_own_formula_and_what_is_given_pass():
    name, s = SIGMOID
    x = activations.sigmoid(s)
    assert np.allclose(run(own_formula, name, s, x, rules=nb08.LOCAL).value, x * (1 - x))
    net = bplib.MLP([3, 4, 2], seed=0)

    def reads_the_network(x0):   # net.W[l], net.b[l], net.activation(l)(s): GIVEN
        for l in range(1, net.L + 1):
            x0 = net.activation(l)(net.W[l] @ x0 + net.b[l])
        return x0

    got = run(reads_the_network, np.ones(3), rules=Rules("a forward pass")).value
    assert np.allclose(got, net.forward(np.ones(3)).output)


def sympy_derivative(x):
    t = sympy.Symbol("t")
    return sympy.lambdify(t, sympy.diff(sympy.exp(sympy.sin(t ** 2)), t), "numpy")(x)


def test_computer_algebra_where_a_derivative_is_asked_is_refused():
    with pytest.raises(Delegated) as e:
        nb06.test_df(sympy_derivative)
    assert any(n.startswith("sympy.") for n in e.value.names), e.value.names


def test_what_the_rules_allow_is_allowed():
    def forward_pass(net, x0):
        return net(x0)

    net = bplib.MLP([2, 3, 1], seed=1)
    with pytest.raises(Delegated):
        run(forward_pass, net, np.ones(2), rules=Rules("a forward pass, written yourself"))
    allowed = Rules("a forward pass", allow={"net(x)": bplib.MLP.__call__})
    assert np.allclose(run(forward_pass, net, np.ones(2), rules=allowed).value,
                       net.forward(np.ones(2)).output)


def test_bplib_itself_handed_in_as_the_answer_is_refused():
    x = activations.sigmoid(SIGMOID[1])
    with pytest.raises(Delegated) as e:
        run(activations._dsigmoid_from_x, x, rules=nb08.LOCAL)
    assert any("_dsigmoid_from_x" in n for n in e.value.names), e.value.names
