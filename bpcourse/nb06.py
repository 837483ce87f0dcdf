r"""Checks for notebook 06, the chain rule: (g o f)'(x) = g'(f(x)) f'(x).

The board example of the lecture is f(x) = e^{sin(x^2)}, whose derivative is
f'(x) = e^{sin(x^2)} cos(x^2) 2x. A wrong answer is compared with the usual
mistakes so the feedback can name the factor that is missing.
"""
import numpy as np

from bplib import calculus


def f(x):
    """f(x) = e^{sin(x^2)}, element-wise."""
    return np.exp(np.sin(np.square(x)))


def df(x):
    """f'(x) = e^{sin(x^2)} cos(x^2) 2x, element-wise: the reference."""
    x = np.asarray(x, dtype=float)
    return np.exp(np.sin(x ** 2)) * np.cos(x ** 2) * 2 * x


# f'(x) as it comes out when one step of the chain rule goes wrong.
MISTAKES = [
    (lambda x: np.exp(np.sin(x ** 2)) * np.cos(x ** 2),
     "the factor 2x is missing: the innermost function x^2 has derivative 2x"),
    (lambda x: np.exp(np.sin(x ** 2)) * 2 * x,
     "the factor cos(x^2) is missing: sin's derivative, taken at its input a = x^2"),
    (lambda x: np.exp(np.sin(x ** 2)) * np.cos(x) * 2 * x,
     "cos(x) should be cos(x^2): g'(a) is evaluated at a = f(x), the inner value"),
    (lambda x: np.cos(x ** 2) * 2 * x,
     "the factor e^{sin(x^2)} is missing: the outer derivative (e^a)' = e^a, at a = sin(x^2)"),
    (lambda x: np.exp(np.cos(x ** 2)) * 2 * x,
     "the derivative of the outer function is e^a at the same a = sin(x^2): "
     "differentiate the outer function and keep the inside the same"),
    (lambda x: np.exp(np.sin(x ** 2)),
     "this is f(x) itself; f'(x) multiplies it by the inner derivatives cos(x^2) 2x"),
]

PROBE = np.array([-2.1, -1.3, -0.4, 0.3, 0.8, 1.7, 2.4])


def _numbers(value, shape, what):
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should return numbers, got {type(value).__name__}") from None
    assert a.shape == shape, f"{what} should return an array of shape {shape} like x, got {a.shape}"
    assert np.all(np.isfinite(a)), f"{what} returned NaN or infinite values"
    return a


def explain(got, x):
    """Name the mistake that turns f'(x) into ``got``, or say where it differs."""
    for wrong, message in MISTAKES:
        if np.allclose(got, wrong(x), rtol=1e-6, atol=1e-9):
            return message
    i = int(np.argmax(np.abs(got - df(x))))
    return (f"at x = {x[i]:.2f} yours gives {got[i]:.6f} but f'(x) = {df(x)[i]:.6f} "
            "(compare with bplib.derivative(f, x))")


def test_df(student_df):
    """df(x) for the board example, on an array of x (element-wise)."""
    got = _numbers(student_df(PROBE.copy()), PROBE.shape, "df(x)")
    assert np.allclose(got, df(PROBE), rtol=1e-6, atol=1e-9), explain(got, PROBE)
    numeric = calculus.derivative(f, PROBE)
    assert np.allclose(got, numeric, rtol=1e-5, atol=1e-7), (
        "df(x) disagrees with the numerical derivative bplib.derivative(f, x)")


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
    a, running = float(x), 1.0
    for f_i in stages:
        running = float(f_i.derivative(a)) * running
        a = float(f_i(a))
    return a, running


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
            out = student_chain(list(stages), x)
            assert isinstance(out, tuple) and len(out) == 2, (
                "return a pair (value, derivative), e.g. `return a, running`")
            value, deriv = (float(np.asarray(v, dtype=float)) for v in out)
            want_value, want = chain_derivative(stages, x)
            assert np.isclose(value, want_value, rtol=1e-9), (
                f"for {name} at x = {x} the value should be {want_value:.6f}, got {value:.6f}: "
                "apply the stages in order, f_1 first")
            if not np.isclose(deriv, want, rtol=1e-9, atol=1e-12):
                at_x = np.prod([float(s.derivative(x)) for s in stages])
                hint = ("every local derivative was taken at x; f_i' must be taken at "
                        "f_{i-1}(...f_1(x)), the value that enters f_i"
                        if np.isclose(deriv, at_x, rtol=1e-9) else
                        f"the derivative should be {want:.6f}, got {deriv:.6f}")
                raise AssertionError(f"for {name} at x = {x}: {hint}")
