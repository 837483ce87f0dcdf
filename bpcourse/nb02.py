r"""Checks for notebook 02: gradients and Jacobians.

The Jacobian of f: R^n -> R^m is the (m, n) matrix J_ij = df_i/dx_j; row i is
the gradient of f_i, transposed. The exercise computes it by central
differences, (f(x + h e_j) - f(x - h e_j)) / (2h), one column per x_j.
"""
import numpy as np


def f_example(x):
    """f: R^2 -> R^3, f(x) = (x_1 x_2, sin x_1, x_1^2 + 3 x_2)."""
    return np.array([x[0] * x[1], np.sin(x[0]), x[0] ** 2 + 3 * x[1]])


def J_example(x):
    """The analytic Jacobian of ``f_example``, shape (3, 2)."""
    return np.array([[x[1], x[0]],
                     [np.cos(x[0]), 0.0],
                     [2 * x[0], 3.0]])


def _forward_difference(f, x, h=1e-5):
    fx = np.asarray(f(x), dtype=float)
    return np.stack([(np.asarray(f(x + h * e), dtype=float) - fx) / h
                     for e in np.eye(x.size)], axis=1)


def test_numerical_jacobian(numerical_jacobian):
    """Raise AssertionError, in the lecture's words, unless the Jacobian is right."""
    x = np.array([0.7, -1.2])
    got = numerical_jacobian(f_example, x)
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"return a numpy array, got {type(got).__name__}") from None
    want = J_example(x)
    assert got.shape != want.T.shape or got.shape == want.shape, (
        f"your Jacobian has shape {got.shape} = (n, m); J has one row per component f_i and one "
        f"column per input x_j: shape (m, n) = {want.shape}")
    assert got.shape == want.shape, f"for f: R^2 -> R^3, J has shape (m, n) = (3, 2), got {got.shape}"
    assert np.all(np.isfinite(got)), "your Jacobian holds NaN or infinite values"
    if np.allclose(got, _forward_difference(f_example, x), rtol=1e-7, atol=1e-9):
        raise AssertionError(
            "these are forward differences (f(x + h) - f(x)) / h, with an error of order h; "
            "use central differences (f(x + h) - f(x - h)) / (2h), whose error is of order h^2")
    err = np.abs(got - want).max()
    if err > 1e-6:
        i, j = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise AssertionError(
            f"J[{i}, {j}] should be df_{i + 1}/dx_{j + 1} = {want[i, j]:.6f}, yours is {got[i, j]:.6f}"
            + (" (is h too large or too small? h = 1e-5 works)" if err < 1e-2 else ""))
    A = np.arange(12.0).reshape(3, 4) / 7
    got = np.asarray(numerical_jacobian(lambda v: A @ v, np.ones(4)), dtype=float)
    assert got.shape == (3, 4) and np.allclose(got, A, atol=1e-6), (
        "for the linear map f(x) = A x with A of shape (3, 4), J_f = A; yours differs")
