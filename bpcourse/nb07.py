r"""Checks for notebook 07, the Jacobian chain rule.

J_{f_N o ... o f_1}(x) = J_{f_N}(f_{N-1}(...)) ... J_{f_1}(x): each factor is
taken at the point that enters its function, and the factors multiply in the
order of the formula, the last function on the left.
"""
import numpy as np

from bplib import calculus


def jacobian_sin_linear(A, b, x):
    """J of x -> sin(A x + b) at x: diag(cos(A x + b)) A, shape (m, n). The reference."""
    s = A @ x + b
    return np.diag(np.cos(s)) @ A


def gradient_from_left(jacobians, dl_dxN):
    """dl/dx = (dl/dx^N)^T J_N ... J_1 by vector-Jacobian products. The reference.

    Parameters
    ----------
    jacobians : list of arrays [J_1, ..., J_N], J_i of shape (d_i, d_{i-1})
    dl_dxN : array, shape (d_N,)

    Returns
    -------
    array, shape (d_0,)
    """
    g = np.asarray(dl_dxN, dtype=float)
    for J in reversed(jacobians):
        g = g @ J     # a row vector times a matrix: d_i d_{i-1} multiply-adds
    return g


def _array(value, what):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should return an array of numbers, got "
                             f"{type(value).__name__}") from None


def _problem(seed, m=3, n=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)


def test_jacobian_sin_linear(student_fn):
    """The product J_sin(A x + b) J_linear(x), checked against central differences."""
    for seed in (1, 2):
        A, b, x = _problem(seed)
        m, n = A.shape
        J = _array(student_fn(A.copy(), b.copy(), x.copy()), "your function")
        if J.shape == (n, m):
            raise AssertionError(
                f"J has shape {J.shape} but f maps R^{n} to R^{m}, so J_f is ({m}, {n}) = (m, n): "
                "one row per output; yours looks transposed")
        assert J.shape == (m, n), f"J should have shape ({m}, {n}) = (m, n), got {J.shape}"
        want = jacobian_sin_linear(A, b, x)
        if np.allclose(J, want, rtol=1e-6, atol=1e-9):
            continue
        s = A @ x + b
        mistakes = [
            (A, "J_sin(s) = diag(cos(s)) is missing: this is only J_linear = A"),
            (np.diag(np.cos(s)), "J_linear = A is missing"),
            (np.diag(np.sin(s)) @ A, "the derivative of sin is cos: J_sin(s) = diag(cos(s))"),
            (np.diag(np.cos(A @ x)) @ A,
             "J_sin is taken at s = A x + b, the value that enters sin; b is missing there"),
        ]
        for wrong, message in mistakes:
            if wrong.shape == J.shape and np.allclose(J, wrong, rtol=1e-6, atol=1e-9):
                raise AssertionError(message)
        numeric = calculus.jacobian(lambda v: np.sin(A @ v + b), x)
        i, j = np.unravel_index(np.argmax(np.abs(J - numeric)), J.shape)
        raise AssertionError(
            f"entry ({i}, {j}) should be df_{i}/dx_{j} = {numeric[i, j]:.6f} "
            f"(bplib.jacobian), got {J[i, j]:.6f}")


def test_gradient_from_left(student_fn):
    """A row vector times the factors, from the loss side: shape (d_0,)."""
    rng = np.random.default_rng(3)
    sizes = [3, 5, 4, 2]   # d_0 .. d_N, all different so a wrong order shows
    jacobians = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    dl_dxN = rng.normal(size=sizes[-1])
    g = _array(student_fn([J.copy() for J in jacobians], dl_dxN.copy()), "your function")
    want = gradient_from_left(jacobians, dl_dxN)
    if g.shape == (sizes[-1], sizes[0]):
        raise AssertionError(
            "you returned the whole Jacobian J_N ... J_1; multiply dl/dx^N into it from the "
            f"left to get the gradient, a vector of shape ({sizes[0]},) = (d_0,)")
    assert g.shape == (sizes[0],), (
        f"dl/dx should be a vector of shape ({sizes[0]},) = (d_0,), like x, got {g.shape}")
    assert np.allclose(g, want, rtol=1e-8, atol=1e-10), (
        "dl/dx should be (dl/dx^N)^T J_N J_{N-1} ... J_1: start from dl/dx^N and multiply by "
        "the last Jacobian first")
