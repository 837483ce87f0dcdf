r"""Checks for notebook 07, the Jacobian chain rule.

J_{f_N o ... o f_1}(x) = J_{f_N}(f_{N-1}(...)) ... J_{f_1}(x): each factor is
taken at the point that enters its function, and the factors multiply in the
order of the formula, the last function on the left. For a scalar loss the
product is taken from the loss side, one vector-Jacobian product at a time:
the Jacobians given to the check are watched arrays that count matrix-matrix
products.
"""
import numpy as np

from bplib import calculus
from bplib.activations import Softmax

from .method import (CHAIN, FINITE_DIFFERENCES, OWN_DERIVATIVES, Log, MethodError, Rules,
                     ShapeError, answer_rng, as_array, reference, run, watched)

PRODUCT = Rules("the product J_sin(s) J_linear written yourself, with np.diag and @",
                {**FINITE_DIFFERENCES, **CHAIN, **OWN_DERIVATIVES})
FROM_LEFT = Rules("one vector-Jacobian product at a time, from the loss side, written yourself",
                  {**FINITE_DIFFERENCES, **CHAIN})
HINT = ("J_f = J_sin(s) J_linear(x), the last function on the left: each factor has one row per "
        "output of its function and one column per input")
LEFT_HINT = ("from the loss side the row vector multiplies from the left, g @ J (g^T J), "
             "starting with the last Jacobian J_N: for J in reversed(jacobians)")


@reference
def jacobian_sin_linear(A, b, x):
    """J of x -> sin(A x + b) at x: diag(cos(A x + b)) A, shape (m, n). The reference."""
    s = A @ x + b
    return np.diag(np.cos(s)) @ A


@reference
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


def _problem(seed, m=3, n=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)


def _product_mistakes(A, b, x):
    s = A @ x + b
    D = np.diag(np.cos(s))
    return [
        (lambda: A, "J_sin(s) is missing: your J is J_linear alone"),
        (lambda: D, "J_linear = A is missing"),
        (lambda: np.diag(np.sin(s)) @ A, "your J_sin(s) holds sin(s) itself on its diagonal, not the "
                                         "derivative of sin"),
        (lambda: -D @ A, "the sign is wrong: your J_sin(s) has a minus that the derivative of sin "
                          "does not have"),
        (lambda: np.diag(np.cos(A @ x)) @ A,
         "J_sin is taken at s = A x + b, the value that enters sin; b is missing there"),
        (lambda: np.diag(np.cos(x)) @ A,
         "J_sin is taken at s = A x + b, the value that enters sin, not at x"),
        (lambda: A @ D, "the wrong order: the factors multiply as in the formula, J_sin(s) "
                        "J_linear, the last function on the left (np.cos(s) * A scales the "
                        "columns of A, one per input; J_sin(s) on the left scales its rows, one "
                        "per output)"),
        (lambda: D @ A.T, "A^T for A: your J_linear is A^T, whose row i is column i of A; row i of "
                          "a Jacobian is the gradient of output i"),
        (lambda: (D @ A).T, "J has one row per output; yours looks transposed"),
    ]


def _name_product(J, A, b, x):
    for wrong, message in _product_mistakes(A, b, x):
        try:
            W = wrong()
        except ValueError:
            continue
        if W.shape == J.shape and np.allclose(J, W, rtol=1e-6, atol=1e-9):
            raise AssertionError(message)


# (m, n, seed): as many outputs as the slide's example, more outputs than inputs, fewer.
SIN_CASES = ((3, 4, 1), (5, 2, 2), (2, 5, 3))


def test_jacobian_sin_linear(student_fn):
    """The product J_sin(A x + b) J_linear(x), checked against central differences."""
    passed = []
    for m, n, seed in SIN_CASES:
        A, b, x = _problem(seed, m, n)
        try:
            J = as_array(run(student_fn, A.copy(), b.copy(), x.copy(), rules=PRODUCT,
                             hint=HINT).value, "J")
        except ShapeError as error:
            if passed:
                raise AssertionError(
                    f"your code works for A of shape {passed[0]} but not for A of shape "
                    f"({m}, {n}): {error} J_sin(s) has one row and one column per output, "
                    f"m = len(s) = {m} here: nothing in it is a fixed number") from None
            A, b, x = _problem(seed, 3, 3)   # square: the same mistake runs and can be named
            try:
                J = as_array(student_fn(A.copy(), b.copy(), x.copy()), "J")
            except Exception:
                raise error from None
            _name_product(J, A, b, x)
            raise error
        if J.shape == (n, m):
            raise AssertionError(
                f"your J has shape {J.shape}, one row per input x_j of R^{n}: a Jacobian has "
                "one row per output f_i, the gradient of f_i; yours looks transposed")
        assert J.shape == (m, n), (
            f"for A of shape ({m}, {n}) your J has shape {J.shape}: a Jacobian has one row per "
            "output f_i and one column per input x_j")
        want = jacobian_sin_linear(A, b, x)
        if np.allclose(J, want, rtol=1e-6, atol=1e-9):
            passed.append((m, n))
            continue
        _name_product(J, A, b, x)
        numeric = calculus.jacobian(lambda v: np.sin(A @ v + b), x)
        i, j = np.unravel_index(np.argmax(np.abs(J - numeric)), J.shape)
        raise AssertionError(
            f"for A of shape ({m}, {n}) your entry ({i}, {j}) = {J[i, j]:.6f} is not "
            f"df_{i}/dx_{j} (checked by central differences)"
            + (f"; it is right for A of shape {passed[0]}" if passed else ""))


def _left_mistakes(jacobians, g):
    def forward_order():
        v = g
        for J in jacobians:
            v = v @ J
        return v

    def columns():
        v = g
        for J in reversed(jacobians):
            v = J @ v
        return v

    return [
        (forward_order, "the Jacobians were taken in the order the functions act; from the "
                        "loss side the last Jacobian comes first: for J in reversed(jacobians)"),
        (columns, "J @ g multiplies a column from the right: from the loss side the row vector "
                  "multiplies from the left, g @ J (g^T J)"),
        (lambda: -gradient_from_left(jacobians, g), "the sign is wrong"),
    ]


def _chain(sizes, seed):
    """Jacobians J_1..J_N for d_0..d_N = sizes, and dl/dx^N."""
    rng = np.random.default_rng(seed)
    jacobians = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    return jacobians, rng.normal(size=sizes[-1])


# d_0 .. d_N, all different so a wrong order shows: N = 3, then N = 2 and N = 4, with
# layers that widen and narrow.
CHAINS = ([3, 5, 4, 2], [4, 2, 5], [2, 6, 3, 5, 1])


def _other_lengths(student_fn, first, rules, hint, name_wrong):
    """The chains of N other than 3: a loop that fits one length only shows here."""
    for seed, sizes in enumerate(CHAINS[1:], start=5):
        jacobians, dl_dxN = _chain(sizes, seed)
        N = len(jacobians)
        where = (f"your code is right for N = {len(first) - 1} Jacobians (d = {first}) but not "
                 f"for N = {N} (d = {sizes})")
        try:
            g = as_array(run(student_fn, jacobians, dl_dxN.copy(), rules=rules, hint=hint).value,
                         "dl/dx")
        except (ShapeError, IndexError, ValueError) as e:
            raise AssertionError(f"{where}: {e}. Walk the whole list, whatever its length N")
        want = gradient_from_left(jacobians, dl_dxN)
        if g.shape == want.shape and np.allclose(g, want, rtol=1e-8, atol=1e-10):
            continue
        named = name_wrong(g, jacobians, dl_dxN)
        raise AssertionError(f"{where}: " + (named or "dl/dx = (dl/dx^N)^T J_N ... J_1 has one "
                                             "factor per function, N of them"))


def _name_left(g, jacobians, dl_dxN):
    for wrong, message in _left_mistakes(jacobians, dl_dxN):
        try:
            if g.shape == (np.shape(jacobians[0])[1],) and np.allclose(g, wrong(), rtol=1e-8,
                                                                        atol=1e-10):
                return message
        except ValueError:
            continue
    return None


def test_gradient_from_left(student_fn):
    """A row vector times the factors, from the loss side: shape (d_0,)."""
    rng = np.random.default_rng(3)
    sizes = CHAINS[0]
    jacobians = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    dl_dxN = rng.normal(size=sizes[-1])
    log = Log()
    try:
        g = as_array(run(student_fn, [watched(J, "J", log) for J in jacobians], dl_dxN.copy(),
                         rules=FROM_LEFT, hint=LEFT_HINT).value, "dl/dx")
    except ShapeError as error:
        square = [rng.normal(size=(3, 3)) for _ in range(3)]
        v = rng.normal(size=3)
        try:
            got = as_array(student_fn([J.copy() for J in square], v.copy()), "dl/dx")
        except Exception:
            raise error from None
        for wrong, message in _left_mistakes(square, v):
            if got.shape == (3,) and np.allclose(got, wrong(), rtol=1e-8, atol=1e-10):
                raise AssertionError(message) from None
        raise error
    want = gradient_from_left(jacobians, dl_dxN)
    if g.shape == (sizes[-1], sizes[0]):
        raise AssertionError(
            f"your dl/dx has shape {g.shape}, the whole Jacobian J_N ... J_1; multiply "
            "dl/dx^N into it from the left to get the gradient, one number dl/dx_k per input "
            "x_k")
    assert g.shape == (sizes[0],), (
        f"your dl/dx has shape {g.shape}: dl/dx holds one number dl/dx_k per input x_k, "
        "like x")
    if not np.allclose(g, want, rtol=1e-8, atol=1e-10):
        raise AssertionError(_name_left(g, jacobians, dl_dxN) or
            "your dl/dx is not (dl/dx^N)^T J_N J_{N-1} ... J_1: start from dl/dx^N and multiply by "
            "the last Jacobian first")
    if log["J", "grouped"]:
        raise MethodError(
            "the value is right, but np.linalg.multi_dot chose the order of the products; the "
            "exercise asks you to take one vector-Jacobian product at a time from the loss "
            "side yourself: g = g @ J for J in reversed(jacobians)")
    if log["J", "matmul"]:
        raise MethodError(
            "the value is right, but you multiplied Jacobians with each other (a matrix-matrix "
            "product, d^3 multiply-adds); the exercise asks for one vector-Jacobian product at a "
            "time from the loss side: g = g @ J for J in reversed(jacobians)")
    _other_lengths(student_fn, sizes, FROM_LEFT, LEFT_HINT, _name_left)


# --- forward mode and reverse mode, by name ----------------------------------------------------

FORWARD_MODE = Rules("forward mode written yourself: for each input direction e_k, one "
                     "Jacobian-vector product J v per function, from J_1 to J_N",
                     {**FINITE_DIFFERENCES, **CHAIN})
MODE_HINT = ("in forward mode a column vector v of shape (d_{i-1},) is pushed through each "
             "J_i of shape (d_i, d_{i-1}) from the right, v = J @ v, starting with J_1")


class Products(dict):
    """Counts of the products made with :func:`counted` Jacobians.

    Keys: ``"J v"`` (a Jacobian-vector product, a column from the right), ``"v J"`` (a
    vector-Jacobian product, a row from the left), ``"J J"`` (matrix times matrix), and
    ``"multiply-adds"`` summed over all of them.
    """

    def __init__(self):
        super().__init__({"J v": 0, "v J": 0, "J J": 0, "multiply-adds": 0})

    def add(self, left, right):
        a, b = np.shape(left), np.shape(right)
        if len(a) == 2 and len(b) == 2:
            self["J J"] += 1
            self["multiply-adds"] += a[0] * a[1] * b[1]
        elif len(a) == 2:
            self["J v"] += 1
            self["multiply-adds"] += a[0] * a[1]
        else:
            self["v J"] += 1
            self["multiply-adds"] += b[0] * b[1]


class Counted(np.ndarray):
    """A Jacobian that counts the products it takes part in, into ``products``."""

    def __array_finalize__(self, obj):
        self.products = getattr(obj, "products", None)

    def _strip(self, values):
        return [np.asarray(v) if isinstance(v, Counted) else v for v in values]

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = self._strip(inputs)
        if ufunc is np.matmul and method == "__call__" and self.products is not None:
            self.products.add(*plain[:2])
        if "out" in kwargs:
            kwargs["out"] = tuple(self._strip(kwargs["out"]))
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.dot, np.matmul, np.inner) and self.products is not None:
            self.products.add(*self._strip(args[:2]))
        return func(*self._strip(args), **kwargs)


def counted(jacobians, products):
    """Copies of the Jacobians that count their products into ``products`` (a Products)."""
    out = []
    for J in jacobians:
        c = np.array(J, dtype=float).view(Counted)
        c.products = products
        out.append(c)
    return out


def count_products(fn, jacobians, dl_dxN):
    """Run ``fn(jacobians, dl_dxN)`` on counted Jacobians; (result, Products)."""
    products = Products()
    result = fn(counted(jacobians, products), np.array(dl_dxN, dtype=float))
    return np.asarray(result, dtype=float), products


@reference
def gradient_forward_mode(jacobians, dl_dxN):
    """dl/dx by forward mode: one Jacobian-vector product per function and input direction.

    Parameters
    ----------
    jacobians : list of arrays [J_1, ..., J_N], J_i of shape (d_i, d_{i-1})
    dl_dxN : array, shape (d_N,)

    Returns
    -------
    array, shape (d_0,)
    """
    d0 = np.shape(jacobians[0])[1]
    g = np.zeros(d0)
    for k in range(d0):
        v = np.eye(d0)[k]               # the input direction e_k
        for J in jacobians:
            v = J @ v                   # dx^i/dx_k, one column of J_i ... J_1
        g[k] = dl_dxN @ v
    return g


def test_gradient_forward_mode(student_fn):
    """dl/dx right, by d_0 * N Jacobian-vector products and nothing else."""
    for seed, sizes in ((4, [4, 3, 5, 2]), (5, [2, 5, 3]), (6, [3, 2, 6, 4, 1])):
        jacobians, dl_dxN = _chain(sizes, seed)
        products = Products()
        where = f"for N = {len(jacobians)} Jacobians (d = {sizes}) "
        try:
            out = run(student_fn, counted(jacobians, products), dl_dxN.copy(),
                      rules=FORWARD_MODE, hint=MODE_HINT)
        except (IndexError, ValueError) as e:
            raise AssertionError(f"{where}your code {type(e).__name__}: {e}. Push each e_k "
                                 "through the whole list, whatever its length N") from None
        g = as_array(out.value, "dl/dx")
        want = gradient_from_left(jacobians, dl_dxN)
        assert g.shape == (sizes[0],), (
            f"{where}your dl/dx has shape {g.shape}: dl/dx holds one number dl/dx_k per input "
            "x_k, like x")
        if not np.allclose(g, want, rtol=1e-8, atol=1e-10):
            if np.allclose(g, -want, rtol=1e-8, atol=1e-10):
                raise AssertionError("the sign is wrong")
            raise AssertionError(
                f"{where}your dl/dx is not (dl/dx^N)^T J_N ... J_1: dl/dx_k is that product "
                "times e_k; push e_k through J_1 first, then J_2, ..., and take the dot product "
                "with dl/dx^N at the end")
        N, d0 = len(jacobians), sizes[0]
        if products["J J"]:
            raise MethodError(
                "the value is right, but you multiplied Jacobians with each other (or with the "
                "identity matrix: all directions at once), a matrix-matrix product; forward mode "
                "pushes one input direction e_k at a time, v = J @ v, a Jacobian-vector product")
        if products["v J"] and not products["J v"]:
            raise MethodError(
                f"that is reverse mode: {products['v J']} vector-Jacobian products from the "
                "loss side, which is backpropagation (Exercise 3); this exercise asks for "
                "forward mode, one Jacobian-vector product J @ v per function for each input "
                "direction e_k")
        if products["J v"] not in (N * d0, (N - 1) * d0):   # J_1 e_k may be read off as column k
            raise MethodError(
                f"{where}forward mode takes d_0 * N = {d0} * {N} = {N * d0} Jacobian-vector "
                f"products (one per function for each of the d_0 input directions); yours made "
                f"{products['J v']}: push each e_k through every J_i once, v = J @ v")


# --- a Jacobian that is not diagonal: the softmax ----------------------------------------------

SOFTMAX = Rules("the softmax's Jacobian from the formula you derived, written yourself with numpy",
                {**FINITE_DIFFERENCES, **CHAIN, **OWN_DERIVATIVES,
                 "bplib.softmax.jac, bplib's own softmax Jacobian": Softmax._jac,
                 "bplib.softmax.backward, bplib's product with the softmax Jacobian":
                     Softmax.backward})
SOFTMAX_HINT = ("s has shape (m,); J_softmax(s) has one row per output p_i and one column per "
                "input s_k")
LARGE = 1000.0     # e^{1000} overflows float64 (the largest is about e^{709.8})
FORMULA_ATOL = 1e-12   # a formula is exact to about 1e-16 here; a difference quotient to 1e-11


def _softmax(s):
    e = np.exp(s - np.max(s))   # softmax(s) = softmax(s - c): shifted so no e^{s_k} overflows
    return e / e.sum()


@reference
def softmax_jacobian(s):
    """J_softmax(s) = diag(p) - p p^T with p = softmax(s). The reference.

    Parameters
    ----------
    s : array, shape (m,)

    Returns
    -------
    array, shape (m, m)
    """
    p = _softmax(np.asarray(s, dtype=float))
    return np.diag(p) - np.outer(p, p)


@np.errstate(over="ignore", invalid="ignore")   # e^{-s} or e^{s} may overflow: both are mistakes' own
def softmax_variant(s, mistake):
    """J_softmax(s) with one usual mistake, shape (m, m) (a vector for ``"diagonal_vector"``).

    Parameters
    ----------
    s : array, shape (m,)
    mistake : str
        ``only_diagonal``, ``off_diagonal_sign``, ``only_diag_p``, ``only_outer``,
        ``sigmoid_derivative``, ``sigmoid_for_p``, ``s_for_p``, ``diagonal_vector`` or
        ``overflow`` (e^{s} not shifted: nan where s is large).
    """
    s = np.asarray(s, dtype=float)
    p = _softmax(s)
    sig = 1 / (1 + np.exp(-s))
    unshifted = np.exp(s) / np.exp(s).sum()
    return {
        "overflow": lambda: np.diag(unshifted) - np.outer(unshifted, unshifted),
        "only_diagonal": lambda: np.diag(p * (1 - p)),
        "off_diagonal_sign": lambda: np.diag(p) + np.outer(p, p) - 2 * np.diag(p * p),
        "only_diag_p": lambda: np.diag(p),
        "only_outer": lambda: -np.outer(p, p),
        "sigmoid_derivative": lambda: np.diag(sig * (1 - sig)),
        "sigmoid_for_p": lambda: np.diag(sig) - np.outer(sig, sig),
        "s_for_p": lambda: np.diag(s) - np.outer(s, s),
        "diagonal_vector": lambda: p * (1 - p),
    }[mistake]()


def _softmax_mistakes(J, s):
    """The message naming the usual mistake J makes on s, or None."""
    a, b = f"{J[0, 0]:.6f}", f"{J[0, 1]:.6f}"
    said = {
        "only_diagonal": (
            f"only the softmax's diagonal: p_i depends on every s_k, through the sum in its "
            f"denominator, so dp_i/ds_k for i != k is not 0; yours are all 0 (your J[0, 1] = {b})"),
        "off_diagonal_sign": (
            f"the entries off the diagonal have the wrong sign (your J[0, 1] = {b}): for i != k "
            "only the denominator sum_j e^{s_j} depends on s_k, and in the quotient rule the "
            "denominator's derivative comes with a minus"),
        "only_diag_p": (
            "only the numerator's term of the quotient rule (e^{s_i} depends on s_i alone): the "
            "denominator sum_j e^{s_j} depends on every s_k, for i = k and for i != k, and its "
            f"term is missing (your J[0, 1] = {b})"),
        "only_outer": (
            "only the denominator's term of the quotient rule: for i = k the numerator e^{s_i} "
            f"depends on s_k too, and its term is missing (your J[0, 0] = {a} is below 0, yet "
            "raising s_0 raises p_0)"),
        "sigmoid_derivative": (
            "sigma(s_i)(1 - sigma(s_i)) is the sigmoid's derivative, element-wise: softmax is not "
            "the sigmoid of each s_i; p_i = e^{s_i} / sum_k e^{s_k} divides by a sum over every "
            f"input (your J[0, 1] = {b})"),
        "sigmoid_for_p": (
            "your J is built from sigma(s), the sigmoid, where p = softmax(s) belongs: "
            "p_i = e^{s_i} / sum_k e^{s_k}, and the p_i add up to 1"),
        "s_for_p": (
            f"s used where p = softmax(s) belongs: your J[0, 0] = {a} comes from s_0 = "
            f"{s[0]:.6f}; the derivative of e^{{s_i}} / sum_k e^{{s_k}} is written in the "
            "p_i, not the s_i"),
    }
    for mistake, message in said.items():
        W = softmax_variant(s, mistake)
        if W.shape == J.shape and np.allclose(J, W, rtol=1e-6, atol=1e-9):
            return message
    return None


def _softmax_case(m, seed, shift=0.0):
    return 2 * np.random.default_rng(seed).normal(size=m) + shift


@np.errstate(over="ignore", invalid="ignore")   # an unshifted softmax overflows; it is named
def test_softmax_jacobian(student_fn):
    """J_softmax(s) for m = 3, 2, 5, an m drawn from the answer's code, and s near 1000."""
    drawn = int(answer_rng(student_fn).integers(4, 8))
    cases = [(3, 21, 0.0), (2, 22, 0.0), (5, 23, 0.0), (drawn, 24, 0.0), (4, 25, LARGE)]
    passed, log = [], Log()
    for m, seed, shift in cases:
        s = _softmax_case(m, seed, shift)
        works = f"; your code is right for m = {passed[0]}" if passed else ""
        try:
            raw = run(student_fn, watched(s, "s", log), rules=SOFTMAX, hint=SOFTMAX_HINT).value
            J = as_array(raw, "J")
        except ShapeError as error:
            if passed:
                raise AssertionError(
                    f"your code works for s of shape ({passed[0]},) but not for s of shape "
                    f"({m},): {error}; nothing in J_softmax(s) is a fixed number: m = len(s) = {m} "
                    "here") from None
            raise
        if J.shape == (m,):
            diagonal = np.allclose(J, softmax_variant(s, "diagonal_vector"), rtol=1e-6, atol=1e-9)
            raise AssertionError(
                f"your J is a vector of shape ({m},), one number per output"
                + (", dp_i/ds_i: J's diagonal alone" if diagonal else "")
                + ". Every p_i depends on every s_k, so J_softmax(s) holds dp_i/ds_k for each "
                "pair (i, k): one row per output p_i, one column per input s_k")
        if J.shape != (m, m):
            raise AssertionError(
                f"for s of shape ({m},) your J has shape {J.shape}: J_softmax(s) has one row per "
                f"output p_i and one column per input s_k{works}")
        if not np.all(np.isfinite(J)):
            if shift:
                raise AssertionError(
                    f"your J holds nan or inf for s = {np.round(s, 2)}: e^{{{s.max():.0f}}} "
                    "overflows (float64 ends near e^{709.8}), and inf / inf is nan. softmax(s) = "
                    "softmax(s - c) for any number c: subtract the max of s before e^s"
                    f"{works}")
            raise AssertionError(f"your J holds nan or inf for s = {np.round(s, 4)}")
        want = softmax_jacobian(s)
        if not np.allclose(J, want, rtol=1e-6, atol=1e-9):
            named = _softmax_mistakes(J, s)
            if named:
                raise AssertionError(named)
            numeric = calculus.jacobian(_softmax, s)
            i, k = np.unravel_index(np.argmax(np.abs(J - numeric)), J.shape)
            raise AssertionError(
                f"for s = {np.round(s, 4)} your J[{i}, {k}] = {J[i, k]:.6f} is not "
                f"dp_{i}/ds_{k} (checked by central differences){works}")
        if np.max(np.abs(J - want)) > FORMULA_ATOL and np.asarray(raw).dtype != np.float64:
            raise AssertionError(
                f"your J is right to about 7 digits only: it is {np.asarray(raw).dtype}, which keeps "
                "fewer digits than numpy's float64; compute in float64 (leave out dtype=np.float32 "
                "or .astype(np.float32))")
        if np.max(np.abs(J - want)) > FORMULA_ATOL:
            raise MethodError(
                f"the value is close, but only to {np.max(np.abs(J - want)):.0e}, the precision "
                "of a difference quotient; a formula written with numpy is right to about 1e-16 "
                "here. The exercise asks for dp_i/ds_k by the quotient rule, not by finite "
                "differences")
        passed.append(m)
    if log["s", "nudge"]:
        raise MethodError("your softmax_jacobian adds a small h to s: that is a finite "
                          "difference; the exercise asks for dp_i/ds_k by the quotient rule")


SOFTMAX_WORKED = (
    "The worked answer: p_i = e^{s_i} / S with S = sum_k e^{s_k}, and dS/ds_k = e^{s_k}. "
    "For i = k the quotient rule gives dp_i/ds_i = (e^{s_i} S - e^{s_i} e^{s_i}) / S^2 = "
    "p_i - p_i^2 = p_i (1 - p_i); for i != k only S depends on s_k, so dp_i/ds_k = "
    "-e^{s_i} e^{s_k} / S^2 = -p_i p_k. In one line, dp_i/ds_k = p_i (delta_ik - p_k): "
    "J_softmax(s) = diag(p) - p p^T, symmetric, and each of its columns sums to 0, since the "
    "p_i add up to 1 whatever s is. Notebook 08 meets it again with the cross-entropy.")
