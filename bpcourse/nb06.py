r"""Checks for notebook 06, the chain rule: (g o f)'(x) = g'(f(x)) f'(x).

The board example of the lecture is f(x) = e^{sin(x^2)}, whose derivative is
f'(x) = e^{sin(x^2)} cos(x^2) 2x. ``MISTAKES`` holds f'(x) as it comes out
when one step of the chain rule goes wrong, each with its message: the code
check ``test_df`` and the answer box of the notebook
(``bplib.widgets.chain_rule_answer(mistakes=nb06.MISTAKES)``) both name them
from this one table. df is asked for as a formula: an answer that calls
finite differences (bplib.derivative, or its own f(x + h)) is refused.
"""
import functools

import numpy as np

from bplib import calculus, graph

from .method import (CHAIN, FINITE_DIFFERENCES, OWN_DERIVATIVES, Log, MethodError, Rules, pair,
                     reference, run, watched)

DF = Rules("f'(x) as a formula you worked out, not finite differences or bplib's derivative",
           {**FINITE_DIFFERENCES, **OWN_DERIVATIVES, **CHAIN})
CHAIN_LOOP = Rules("the chain rule as your own loop: a running product of f_i'(u_{i-1})",
                   {**FINITE_DIFFERENCES, **CHAIN})

CHAIN_RULE = ("differentiate the outer function keeping the inside the same, "
              "then multiply by the derivative of the inner function")

EXPECTED = "2*x*cos(x**2)*exp(sin(x**2))"

# f'(x) as it comes out when one step of the chain rule goes wrong: {expression in x: message}.
MISTAKES = {
    "cos(x**2)*exp(sin(x**2))": (
        "The factor 2x is missing: the innermost function x^2 has derivative 2x. "
        f"The chain rule: {CHAIN_RULE}, all the way in."),
    "2*x*exp(sin(x**2))": (
        "The factor cos(x^2) is missing: sin(u) with u = x^2 is a link of the chain too, "
        f"and its derivative is cos(u) = cos(x^2). The chain rule: {CHAIN_RULE}."),
    "2*x*cos(x)*exp(sin(x**2))": (
        "cos(x) should be cos(x^2): differentiate the outer function keeping the inside the "
        "same, so the derivative of sin(x^2) with respect to its inside is cos(x^2), then "
        "multiply by the derivative of the inner function, 2x."),
    "cos(x)*exp(sin(x**2))": (
        "Two links are off: cos(x) should be cos(x^2) (keep the inside the same), and the "
        "innermost function x^2 has no factor of its own. "
        f"{CHAIN_RULE.capitalize()}."),
    "2*x*cos(2*x)*exp(sin(x**2))": (
        "cos(2x) should be cos(x^2): keep the inside the same when you differentiate the outer "
        "function; the inner derivative 2x is a separate factor."),
    "cos(2*x)*exp(sin(x**2))": (
        "cos(2x) puts the inner derivative inside the outer one: differentiate the outer "
        "function keeping the inside the same, then multiply by the derivative of the inner "
        "function as a factor of its own."),
    "2*x*cos(x**2)": (
        "The factor e^(sin(x^2)) is missing: the outer function e^v has derivative e^v, and "
        "keeping the inside the same gives e^(sin(x^2)); your inner factors are to be "
        "multiplied by it."),
    "2*x*cos(x**2)*exp(cos(x**2))": (
        "The outer factor should be e^(sin(x^2)): differentiate the outer function keeping the "
        "inside the same (e^v stays e^v, with v = sin(x^2)), then multiply by the derivative "
        "of the inner function as a separate factor."),
    "2*x*exp(cos(x**2))": (
        "The outer factor should be e^(sin(x^2)), and sin(x^2) has a derivative of its own, a "
        "separate factor: differentiate the outer function keeping the inside the same, then "
        "multiply by the derivative of the inner function."),
    "exp(sin(x**2))": (
        "That is f itself: the derivative of the outer function e^v is e^v, but the chain "
        f"rule goes on: {CHAIN_RULE}, once for each function inside."),
    "exp(sin(x**2)) + cos(x**2) + 2*x": (
        "That is a sum of the factors: the chain rule multiplies them. "
        + CHAIN_RULE.capitalize() + "."),
    "-2*x*cos(x**2)*exp(sin(x**2))": (
        "The sign is wrong: sin's derivative is +cos (it is cos whose derivative is -sin). "
        f"The chain rule: {CHAIN_RULE}."),
    "-2*x*sin(x**2)*exp(sin(x**2))": (
        "-sin(x^2) is the derivative of cos, not of sin: (sin u)' = cos u, taken at u = x^2."),
}



# The zeros of f'(x) in -2.5 <= x <= 2.5, asked in an answer box: {count: what it misses}.
ZEROS = 5
ZEROS_MISTAKES = {
    1: "1: only x = 0, where 2x vanishes? cos(x^2) has zeros in the range too",
    2: "2: did you count x = 0, where the factor 2x vanishes?",
    3: "3: cos(u) = 0 at more than one u: is there a second u = x^2 with cos(u) = 0 "
       "below 2.5^2 = 6.25?",
    4: "4: each x^2 with cos(x^2) = 0 comes with a + and a - root; did you count x = 0 too?",
    6: "6: cos(u) = 0 at u = pi/2, 3 pi/2, 5 pi/2, ...: which of them are below 2.5^2 = 6.25?",
    7: "7: cos(u) = 0 at u = pi/2, 3 pi/2, 5 pi/2, ...: which of them are below 2.5^2 = 6.25?",
}
ZEROS_WORKED = ("The worked answer: 2x = 0 at x = 0; cos(x^2) = 0 at x^2 = pi/2 and 3 pi/2 "
                "(5 pi/2 = 7.85 is beyond 2.5^2 = 6.25), so x = +-1.2533 and +-2.1708; "
                "e^(sin(x^2)) > 0 never vanishes. Five zeros.")


@functools.lru_cache(maxsize=None)
def _numeric():
    """MISTAKES as numpy functions of x (sympy is imported only when a mistake is named)."""
    import sympy

    x = sympy.Symbol("x")
    return [(sympy.lambdify(x, sympy.sympify(text), "numpy"), message)
            for text, message in MISTAKES.items()]


def f(x):
    """f(x) = e^{sin(x^2)}, element-wise."""
    return np.exp(np.sin(np.square(x)))


@reference
def df(x):
    """f'(x) = e^{sin(x^2)} cos(x^2) 2x, element-wise: the reference."""
    x = np.asarray(x, dtype=float)
    return np.exp(np.sin(x ** 2)) * np.cos(x ** 2) * 2 * x


PROBE = np.array([-2.1, -1.3, -0.4, 0.3, 0.8, 1.7, 2.4])


def _numbers(value, shape, what):
    if isinstance(value, list):
        raise AssertionError(f"{what} returned a Python list; return a numpy array like x, "
                             "computed with np.exp, np.sin, np.cos on the whole array")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should return numbers, got {type(value).__name__}") from None
    assert a.shape == shape, f"{what} should return an array of shape {shape} like x, got {a.shape}"
    assert np.all(np.isfinite(a)), f"{what} returned NaN or infinite values"
    return a


def explain(got, x):
    """Name the mistake that turns f'(x) into ``got``, or say where it differs."""
    for wrong, message in _numeric():
        if np.allclose(got, wrong(x), rtol=1e-6, atol=1e-9):
            return message
    i = int(np.argmax(np.abs(got - df(x))))
    return (f"at x = {x[i]:.2f} yours gives {got[i]:.6f}, which is not f'(x) there (compare "
            "with bplib.derivative(f, x)): check each factor of your formula, one link of the "
            "chain at a time, outer, middle, inner")


def test_df(student_df):
    """df(x) for the board example, on an array of x (element-wise), as a formula."""
    log = Log()
    got = _numbers(run(student_df, watched(PROBE, "x", log), rules=DF).value, PROBE.shape, "df(x)")
    assert np.allclose(got, df(PROBE), rtol=1e-6, atol=1e-9), explain(got, PROBE)
    if log["x", "nudge"]:
        raise MethodError("your df adds a small h to x: that is a finite difference, "
                             "(f(x + h) - f(x - h)) / 2h; the exercise asks for the formula "
                             "the chain rule gives, one factor per link of the chain")


@reference
def chain_derivative(stages, x):
    """Value and derivative of f_N o ... o f_1 at x: the reference.

    Parameters
    ----------
    stages : list of bplib Functions [f_1, ..., f_N], in the order they act
    x : float

    Returns
    -------
    (float, float): f_N(...f_1(x)) and its derivative
    """
    return _chain(stages, x)


@reference
def _chain(stages, x, at="input", start=1.0, combine="product"):
    """The loop with one chosen mistake: where f_i' is taken, how the factors combine."""
    a, running = float(x), start
    for f_i in stages:
        point = {"input": a, "x": float(x), "output": float(f_i(a))}[at]
        local = float(f_i.derivative(point))
        running = {"product": local * running, "sum": local + running, "last": local}[combine]
        a = float(f_i(a))
    return a, running


CHAIN_MISTAKES = [
    (dict(at="x"), "every local derivative was taken at x; f_i' must be taken at "
                   "f_{i-1}(...f_1(x)), the value that enters f_i"),
    (dict(at="output"), "each local derivative was taken at the value f_i leaves, f_i(u); "
                        "f_i' is taken at the value that enters f_i: compute the derivative "
                        "before you update u"),
    (dict(start=0.0), "the running product started at 0 stays 0; start it at 1, the "
                      "derivative of x with respect to itself"),
    (dict(start=0.0, combine="sum"), "that is a sum of the local derivatives; the chain rule "
                                     "multiplies them: running = f_i'(u) * running"),
    (dict(combine="sum"), "that is a sum of the local derivatives; the chain rule multiplies "
                          "them: running = f_i'(u) * running"),
    (dict(combine="last"), "only the last local derivative is left: the running product "
                           "multiplies every factor, running = f_i'(u) * running"),
]


def test_chain_derivative(student_chain):
    """The running product of local derivatives, each at its own point."""
    chains = [
        [calculus.square, calculus.sin, calculus.exp],
        [calculus.sin, calculus.square],
        [calculus.exp, calculus.cos, calculus.square, calculus.sin],
        [calculus.cos],
    ]
    for stages in chains:
        name = " o ".join(s.name for s in reversed(stages))
        for x in (0.7, -1.2):
            out = pair(run(student_chain, list(stages), x, rules=CHAIN_LOOP).value,
                       "the chain rule as a loop", "a, running")
            value, deriv = (float(np.asarray(v, dtype=float)) for v in out)
            want_value, want = _chain(stages, x)
            if np.isclose(value, want, rtol=1e-9) and np.isclose(deriv, want_value, rtol=1e-9) \
                    and not np.isclose(want, want_value):
                raise AssertionError("value and derivative are swapped: return (value, "
                                     "derivative), `return a, running`")
            assert np.isclose(value, want_value, rtol=1e-9), (
                f"for {name} at x = {x} the value should be {want_value:.6f}, got {value:.6f}: "
                "apply the stages in order, f_1 first")
            if np.isclose(deriv, want, rtol=1e-9, atol=1e-12):
                continue
            if np.isclose(deriv, -want, rtol=1e-9):
                raise AssertionError(f"for {name} at x = {x}: the derivative has the wrong sign")
            for kwargs, message in CHAIN_MISTAKES:
                if np.isclose(deriv, _chain(stages, x, **kwargs)[1], rtol=1e-9, atol=1e-12):
                    raise AssertionError(f"for {name} at x = {x}: {message}")
            raise AssertionError(f"for {name} at x = {x}: your derivative {deriv:.6f} is not "
                                 "the product of the local derivatives, each f_i' taken at the "
                                 "value that enters f_i")


# --- the multivariable chain rule on a graph with fan-out ----------------------------------------

AT = {"x": 1.5, "w": -0.8}   # the widget's point; the check uses others too
GRAPH_RULES = Rules("each node's gradient by the chain rule, written yourself from the output down",
                    {**FINITE_DIFFERENCES, **CHAIN, **OWN_DERIVATIVES,
                     "bplib.graph's backward pass (l.backward())": graph.Value.backward,
                     "bplib.graph.check_gradients": graph.check_gradients})
ORDER = ("p", "v", "u", "w", "x")   # from the output down


def graph_at(x, w):
    """The graph u = w x, v = sigma(u), p = v + x, l = p^2 at x, w: its output node l."""
    x, w = graph.Value(float(x), "x"), graph.Value(float(w), "w")
    u = (w * x).named("u")
    v = u.sigma().named("v")
    p = (v + x).named("p")
    return p.square().named("l")


def _by_name(root):
    root.backward()
    return {v.name: v for v in graph.nodes(root)}


@reference
def graph_gradients(x, w):
    """dl/dv for every node v of l = (sigma(w x) + x)^2: the reference.

    Returns
    -------
    dict {"p", "v", "u", "w", "x": float}
    """
    nodes = _by_name(graph_at(x, w))
    return {name: nodes[name].grad for name in ORDER}


def _graph_mistake(name, got, nodes):
    """This course's names for two mistakes bplib.graph's checker leaves generic."""
    n = nodes
    if name == "x" and np.isclose(got, n["u"].grad * n["w"].data * n["p"].grad, rtol=1e-8):
        return ("dl/dx: the paths add up, they do not multiply: x feeds u and p, so "
                "dl/dx = dl/du du/dx + dl/dp dp/dx")
    sv = 1 / (1 + np.exp(-n["v"].data))
    if name == "u" and np.isclose(got, n["v"].grad * sv * (1 - sv), rtol=1e-8):
        return ("dl/du: the edge u -> v (v = sigma(u)): sigma' is taken at the value that enters "
                "sigma, u, not at the value it leaves, v; written through v it needs no sigma "
                "again")
    return None


def test_graph_gradients(student_fn):
    """Each node's gradient, from the output down; a wrong one names its edge."""
    for x, w in ((1.5, -0.8), (-0.7, 1.3)):
        got = run(student_fn, x, w, rules=GRAPH_RULES).value
        if not isinstance(got, dict):
            raise AssertionError(f"return a dict {{node name: gradient}}, e.g. "
                                 f"{{'p': dl_dp, 'v': dl_dv, ...}}, got {type(got).__name__}")
        missing = [n for n in ORDER if n not in got]
        if missing:
            raise AssertionError(f"the dict has no gradient for {', '.join(missing)}: give one for "
                                 "every node p, v, u, w, x")
        typed = {}
        for name in ORDER:
            try:
                typed[name] = float(np.asarray(got[name], dtype=float))
            except (TypeError, ValueError):
                raise AssertionError(f"dl/d{name} should be a number, got "
                                     f"{type(got[name]).__name__}") from None
        root = graph_at(x, w)
        nodes = _by_name(root)
        verdict = graph.check_gradients(root, typed)
        for name in ORDER:   # the first mistake from the output down
            if name in verdict.messages:
                said = _graph_mistake(name, typed[name], nodes) or \
                    f"dl/d{name}: {verdict.messages[name]}"
                raise AssertionError(f"at x = {x}, w = {w}: {said}")
