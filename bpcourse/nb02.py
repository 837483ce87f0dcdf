r"""Checks for notebook 02: gradients and Jacobians.

The Jacobian of f: R^n -> R^m is the (m, n) matrix J_ij = df_i/dx_j; row i is
the gradient of f_i, transposed. The exercise computes it by central
differences, (f(x + h e_j) - f(x - h e_j)) / (2h), one column per x_j, with
the step h it is given, written by the student (not bplib.jacobian).
"""
import numpy as np

from .method import (CHAIN, FINITE_DIFFERENCES, OWN_DERIVATIVES, Rules, ShapeError, as_array,
                     reference, run)

RULES = Rules("central differences (f(x + h e_j) - f(x - h e_j)) / (2h) written yourself",
              {**FINITE_DIFFERENCES, **OWN_DERIVATIVES, **CHAIN})


def f_example(x):
    """f: R^2 -> R^3, f(x) = (x_0 x_1, sin x_0, x_0^2 + 3 x_1)."""
    return np.array([x[0] * x[1], np.sin(x[0]), x[0] ** 2 + 3 * x[1]])


@reference
def J_example(x):
    """The analytic Jacobian of ``f_example``, shape (3, 2)."""
    return np.array([[x[1], x[0]],
                     [np.cos(x[0]), 0.0],
                     [2 * x[0], 3.0]])


@reference
def _difference(f, x, h, forward=False, backward=False):
    """Central (or forward, or backward) differences with step h, one column per x_j."""
    x = np.asarray(x, dtype=float)
    fx = np.asarray(f(x), dtype=float)
    at = lambda v: np.asarray(f(v), dtype=float)  # noqa: E731
    cols = [(at(x + h * e) - fx) / h if forward else (fx - at(x - h * e)) / h if backward
            else (at(x + h * e) - at(x - h * e)) / (2 * h) for e in np.eye(x.size)]
    return np.stack(cols, axis=1)


@reference
def central_difference(f, x, h):
    """J_f(x) by central differences with step h, shape (m, n): the reference."""
    return _difference(f, x, h)


@reference
def forward_difference(f, x, h):
    """J_f(x) by forward differences (f(x + h e_j) - f(x)) / h, shape (m, n)."""
    return _difference(f, x, h, forward=True)


def _named(got, f, x, h):
    """The named mistake that gives ``got``, or None."""
    want = _difference(f, x, h)
    def close(a):
        return a.shape == got.shape and np.allclose(got, a, rtol=1e-6, atol=1e-8)

    if close(_difference(f, x, h, forward=True)):
        return ("these are forward differences (f(x + h) - f(x)) / h, with an error of order h; "
                "use central differences (f(x + h) - f(x - h)) / (2h), whose error is of order h^2")
    if close(_difference(f, x, h, backward=True)):
        return ("these are backward differences (f(x) - f(x - h e_j)) / h: one-sided, with an "
                "error of order h; the exercise asks for central differences "
                "(f(x + h e_j) - f(x - h e_j)) / (2h), whose error is of order h^2")
    if close(2 * want):
        return ("your Jacobian is twice the right one: the 1/2 of the central difference is "
                "missing; it divides by 2h, the distance between x - h e_j and x + h e_j")
    if got.shape == want.shape and np.allclose(got / h ** 2, want, rtol=1e-4, atol=1e-6):
        return (f"your Jacobian is h^2 = {h ** 2:.0e} times too small: `/ 2 * h` divides by 2 and "
                "then multiplies by h; the central difference divides by 2h, `/ (2 * h)`")
    if close(-want):
        return "your Jacobian has the wrong sign: it is (f(x + h e_j) - f(x - h e_j)) / (2h)"
    if close(_difference(f, x, 1.0) / h):
        return ("the step is h e_j, not the unit vector e_j: nudge x_j by h, "
                "(f(x + h e_j) - f(x - h e_j)) / (2h)")
    return None


def _counted(shape, m, n):
    """What the axes of the student's ``shape`` count, for f: R^n -> R^m, in words."""
    if len(shape) != 2:
        axes = "one axis" if len(shape) == 1 else f"{len(shape)} axes"
        return f"{axes} where J has two, rows and columns"

    def what(count):
        return {m: "as many as the components f_i", n: "as many as the inputs x_j"}.get(
            count, "as many as neither the components f_i nor the inputs x_j")
    return f"{shape[0]} rows ({what(shape[0])}) and {shape[1]} columns ({what(shape[1])})"


def test_numerical_jacobian(numerical_jacobian):
    """Raise AssertionError, in the lecture's words, unless the Jacobian is right."""
    x = np.array([0.7, -1.2])
    hint = "J has shape (m, n): one row per component f_i, one column per input x_j"
    got = as_array(run(numerical_jacobian, f_example, x.copy(), rules=RULES, hint=hint).value,
                   "your Jacobian")
    want = J_example(x)
    assert got.shape != want.T.shape or got.shape == want.shape, (
        f"your Jacobian has shape {got.shape} = (n, m): {got.shape[0]} rows, one per input x_j, "
        f"and {got.shape[1]} columns, one per component f_i; J has one row per component f_i "
        "of f (the gradient of f_i, transposed) and one column per input x_j")
    assert got.shape == want.shape, (
        f"for f: R^2 -> R^3 your Jacobian has shape {got.shape}, "
        f"{_counted(got.shape, *want.shape)}; J has one row per component f_i of f and one "
        "column per input x_j")
    assert np.all(np.isfinite(got)), "your Jacobian holds NaN or infinite values"
    named = _named(got, f_example, x, 1e-5)
    if named:
        raise AssertionError(named)
    err = np.abs(got - want).max()
    if err > 1e-6:
        i, j = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise AssertionError(
            f"your J[{i}, {j}] = {got[i, j]:.6f} is not df_{i}/dx_{j} at x = {x.tolist()}: "
            "column j is (f(x + h e_j) - f(x - h e_j)) / (2h), row i its component f_i"
            + (" (close: is your step the h you are given?)" if err < 1e-2 else ""))
    # The step h is the caller's: with h = 0.01 central differences are off by about h^2 / 6.
    h = 1e-2
    got = as_array(run(numerical_jacobian, f_example, x.copy(), h, rules=RULES).value,
                   "your Jacobian")
    if not np.allclose(got, _difference(f_example, x, h), rtol=1e-9, atol=1e-12):
        assert not np.allclose(got, want, rtol=1e-8, atol=1e-10), (
            "numerical_jacobian(f, x, h) ignores the step h it is given: with h = 0.01 the "
            "central difference differs from J by about h^2/6 in the sin entry; use h, "
            "not a number of your own")
        raise AssertionError(_named(got, f_example, x, h) or
                             "with h = 0.01 your Jacobian is not the central difference with "
                             "step h")
    # m and n other than 3 and 2, one map with more outputs than inputs, one with fewer.
    B = np.arange(15.0).reshape(5, 3) / 9 - 0.7
    A = np.arange(10.0).reshape(2, 5) / 7
    for f, v, J, what in ((lambda v: np.tanh(B @ v), np.array([0.3, -0.2, 0.5]),
                           lambda v: (1 - np.tanh(B @ v) ** 2)[:, None] * B, "tanh(B x)"),
                          (lambda v: A @ v, np.ones(5), lambda v: A, "A x")):
        m, n = J(v).shape
        try:
            got = as_array(run(numerical_jacobian, f, v.copy(), rules=RULES).value,
                           "your Jacobian")
        except (ShapeError, ValueError, IndexError) as e:
            raise AssertionError(
                f"your code works for f: R^2 -> R^3 but not for f(x) = {what}, f: R^{n} -> "
                f"R^{m}: {e}. J has one row per component f_i, m = len(f(x)), and one column "
                "per input x_j, n = len(x): neither is a fixed number") from None
        if got.shape != (m, n):
            raise AssertionError(
                f"for f(x) = {what}, f: R^{n} -> R^{m}, your Jacobian has shape {got.shape}, "
                f"{_counted(got.shape, m, n)}: J has one row per component f_i, m = len(f(x)), "
                "and one column per input x_j, n = len(x); neither is a fixed number")
        if not np.allclose(got, J(v), atol=1e-6):
            raise AssertionError(_named(got, f, v, 1e-5) or
                                 f"for f(x) = {what}, f: R^{n} -> R^{m}, your Jacobian is not "
                                 "the central difference; it is right for f: R^2 -> R^3")
