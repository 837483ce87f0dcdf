r"""The recap and the chain rule: derivatives, gradients, Jacobians.

Numerical versions use central differences; elementary functions know their
derivative or Jacobian exactly, and compose in the math's order:
``g @ f`` is :math:`g \circ f`, "g after f".
"""
from dataclasses import dataclass

import numpy as np

from ._check import NotationError, as_real_array

# Central differences have error O(h^2) from truncation and O(eps/h) from
# rounding; h = eps^(1/3) balances the two.
STEP = np.finfo(np.float64).eps ** (1 / 3)


def _step(x):
    return STEP * np.maximum(1.0, np.abs(x))


def derivative(f, x):
    """f'(x) by central differences, element-wise.

    Parameters
    ----------
    f : callable, R -> R, applied element-wise
    x : float or array of any shape

    Returns
    -------
    float or array of the shape of x
    """
    x = as_real_array(x, "x")
    h = _step(x)
    d = (np.asarray(f(x + h), dtype=float) - np.asarray(f(x - h), dtype=float)) / (2 * h)
    return float(d) if d.ndim == 0 else d


def gradient(f, x):
    """The gradient (df/dx_1, ..., df/dx_D)^T of a scalar function.

    Parameters
    ----------
    f : callable, R^D -> R
    x : array, shape (D,)

    Returns
    -------
    array, shape (D,)
    """
    x = as_real_array(x, "x")
    if x.ndim != 1:
        raise NotationError(f"x must be a vector of shape (D,), got shape {x.shape}")
    J = jacobian(lambda v: np.atleast_1d(f(v)), x)
    if J.shape[0] != 1:
        raise NotationError(
            f"the gradient is for a scalar function; f returns {J.shape[0]} values, "
            "use jacobian(f, x)")
    return J[0]


def jacobian(f, x):
    """J_f(x), the (m, n) matrix of df_i/dx_j, by central differences.

    Parameters
    ----------
    f : callable, R^n -> R^m
    x : array, shape (n,)

    Returns
    -------
    array, shape (m, n): row i is the gradient of f_i, transposed
    """
    x = as_real_array(x, "x")
    if x.ndim != 1:
        raise NotationError(f"x must be a vector of shape (n,), got shape {x.shape}")
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = _step(x[j])
        df = np.atleast_1d(np.asarray(f(x + e), dtype=float) - np.asarray(f(x - e), dtype=float))
        columns.append(df / (2 * e[j]))
    return np.stack(columns, axis=1)


class Function:
    r"""A differentiable function that knows its derivative or its Jacobian.

    Parameters
    ----------
    name : str
        How it is printed, e.g. ``"sin"``.
    f : callable
        The function itself, on arrays.
    df : callable, optional
        Its derivative, for an element-wise function (then J_f = diag(f')).
    jac : callable, optional
        Its Jacobian at one point x of shape (n,), returning (m, n); for
        functions that are not element-wise.
    latex : str, optional
        Formula in terms of ``{}`` for the argument, e.g. ``r"\sin({})"``.
    """

    def __init__(self, name, f, df=None, jac=None, latex=None):
        self.name, self.f, self.df, self.jac = name, f, df, jac
        self.latex = latex or name + "({})"

    @property
    def elementwise(self):
        return self.df is not None

    def __call__(self, x):
        return self.f(np.asarray(x, dtype=float))

    def derivative(self, x):
        """f'(x), element-wise; only for element-wise functions."""
        if not self.elementwise:
            raise NotationError(
                f"{self.name} is not element-wise: use {self.name}.jacobian(x)")
        return self.df(as_real_array(x, "x"))

    def jacobian(self, x):
        """J_f(x), shape (m, n) for x of shape (n,)."""
        x = np.atleast_1d(as_real_array(x, "x"))
        if x.ndim != 1:
            raise NotationError(f"J_{self.name}(x) is taken at one point x of shape (n,), "
                                f"got shape {x.shape}")
        if self.elementwise:
            return np.diag(self.df(x))
        return self.jac(x)

    def __matmul__(self, inner):
        """``g @ f`` is g o f: apply f, then g."""
        return compose(self, inner)

    def __repr__(self):
        return self.name


class Composition(Function):
    """f_N o ... o f_1, kept as its stages so the chain rule can be traced.

    ``stages`` are in the order they are applied: f_1 first.
    """

    def __init__(self, stages):
        self.stages = list(stages)
        name = " o ".join(s.name for s in reversed(self.stages))
        latex = "\0"  # a placeholder for the argument, so the result stays a template
        for s in self.stages:
            latex = s.latex.format(latex)
        latex = latex.replace("{", "{{").replace("}", "}}").replace("\0", "{}")
        super().__init__(name, self._apply, latex=latex)
        if all(s.elementwise for s in self.stages):
            self.df = lambda x: chain_rule(self, x).derivative
        else:
            self.jac = lambda x: jacobian_chain(self, x).product

    def _apply(self, x):
        for s in self.stages:
            x = s(x)
        return x


def compose(*functions):
    """compose(g, f) is g o f, as written in math: the rightmost acts first."""
    stages = []
    for fn in reversed(functions):
        if not isinstance(fn, Function):
            raise NotationError(
                f"compose takes bplib Functions that know their derivative, got {fn!r}")
        stages.extend(fn.stages if isinstance(fn, Composition) else [fn])
    return Composition(stages)


@dataclass
class Stage:
    """One stage of the chain rule at a point."""

    name: str
    input: object      # the point a = f_{i-1}(...) where the stage is differentiated
    value: object      # f_i(a)
    local: object      # f_i'(a), or J_{f_i}(a)
    running: object    # product of the local derivatives so far


class ChainTrace:
    """(g o f)'(x) = g'(f(x)) f'(x), stage by stage, at a scalar x."""

    def __init__(self, stages):
        self.stages = stages

    @property
    def value(self):
        return self.stages[-1].value

    @property
    def derivative(self):
        return self.stages[-1].running

    def __str__(self):
        def cell(v):  # a number, or the entries of an array traced element-wise
            v = np.asarray(v)
            return f"{float(v):12.6f}" if v.size == 1 else np.array2string(v, precision=4)

        rows = [f"{'stage':>10} {'at':>12} {'value':>12} {'local':>12} {'running':>12}"]
        for s in self.stages:
            rows.append(f"{s.name:>10} {cell(s.input)} {cell(s.value)} "
                        f"{cell(s.local)} {cell(s.running)}")
        return "\n".join(rows)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def _stages(composition):
    """f_1, ..., f_N of a composition, or [f] for a single Function."""
    if isinstance(composition, Composition):
        return composition.stages
    if not isinstance(composition, Function):
        raise NotationError(
            f"the chain rule needs a bplib Function that knows its derivative, such as "
            f"exp @ sin @ square, got {composition!r}")
    return [composition]


def chain_rule(composition, x):
    """Trace the chain rule for element-wise stages at x.

    Parameters
    ----------
    composition : Function
        f_N o ... o f_1 of element-wise functions (a single Function is a chain of one).
    x : float or array (element-wise)

    Returns
    -------
    ChainTrace
        Each stage's input, value, local derivative f_i'(a) and running product
        f_i'(a) ... f_1'(x); ``.derivative`` is the last running product.
    """
    fs = _stages(composition)
    a = as_real_array(x, "x")
    running = np.ones_like(a)
    stages = []
    for f in fs:
        local = f.derivative(a)
        running = local * running
        value = f(a)
        stages.append(Stage(f.name, a, value, local, running))
        a = value
    return ChainTrace(stages)


class JacobianChain:
    """J_{f_N o ... o f_1}(x) = J_{f_N}(...) ... J_{f_1}(x), with its factors."""

    def __init__(self, stages):
        self.stages = stages

    @property
    def jacobians(self):
        """The factors J_{f_1}, ..., J_{f_N}, in the order they were applied."""
        return [s.local for s in self.stages]

    @property
    def product(self):
        return self.stages[-1].running

    def __str__(self):
        rows = []
        for i, s in enumerate(self.stages, 1):
            m, n = s.local.shape
            rows.append(f"J_f{i} = J_{s.name} at a point of R^{n}: shape ({m}, {n})")
        m, n = self.product.shape
        rows.append(f"product J_f{len(self.stages)} ... J_f1: shape ({m}, {n})")
        return "\n".join(rows)

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def jacobian_chain(composition, x):
    """Multiply J_{f_N}(f_{N-1}(...)) ... J_{f_1}(x), each at its own point.

    Parameters
    ----------
    composition : Function
    x : array, shape (n,)

    Returns
    -------
    JacobianChain
        ``.jacobians`` the factors, ``.product`` the (m, n) Jacobian of the whole.
    """
    fs = _stages(composition)
    a = np.atleast_1d(as_real_array(x, "x"))
    running = np.eye(a.size)
    stages = []
    for f in fs:
        J = f.jacobian(a)
        if J.shape[1] != running.shape[0]:
            raise NotationError(
                f"J_{f.name} has shape {J.shape} but its input has {running.shape[0]} "
                "entries: the functions do not chain")
        running = J @ running
        value = np.atleast_1d(f(a))
        stages.append(Stage(f.name, a, value, J, running))
        a = value
    return JacobianChain(stages)


exp = Function("exp", np.exp, np.exp, latex=r"e^{{{}}}")
sin = Function("sin", np.sin, np.cos, latex=r"\sin({})")
cos = Function("cos", np.cos, lambda x: -np.sin(x), latex=r"\cos({})")
square = Function("square", np.square, lambda x: 2 * x, latex=r"({})^2")
log = Function("log", np.log, lambda x: 1 / x, latex=r"\log({})")


def linear(A, b=None, name="linear"):
    """The affine map x -> A x + b, with Jacobian A.

    Parameters
    ----------
    A : array, shape (m, n)
    b : array, shape (m,), optional
    """
    A = as_real_array(A, "A")
    if A.ndim != 2:
        raise NotationError(f"A must be a matrix of shape (m, n), got shape {A.shape}")
    m, n = A.shape
    b = np.zeros(m) if b is None else as_real_array(b, "b")
    if b.shape != (m,):
        raise NotationError(f"b must have shape ({m},) = (m,) to match A of shape {A.shape}, "
                            f"got {b.shape}")

    def f(x):
        if x.shape != (n,):
            raise NotationError(f"x must have shape ({n},) = (n,) for A of shape {A.shape}, "
                                f"got {x.shape}")
        return A @ x + b

    return Function(name, f, jac=lambda x: A, latex=name + "({})")
