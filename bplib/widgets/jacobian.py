r"""The Jacobian chain rule and the cost of its two orders.

For f = f_N o ... o f_1 with f_i: R^(n_{i-1}) -> R^(n_i), J_{f_i} has shape
(n_i, n_{i-1}) and J_f = J_{f_N} ... J_{f_1} has shape (n_N, n_0). The
product is the same in any order; its cost is not. An (m, n) times (n, p)
product takes m n p multiply-adds, so

- from the left (the loss side, as backpropagation does):
  sum_{i=1}^{N-1} n_N n_i n_{i-1}; with n_N = 1 every step is a
  vector-Jacobian product;
- from the right (the input side, as forward-mode does):
  sum_{i=2}^{N} n_i n_{i-1} n_0.
"""
import re
from dataclasses import dataclass, field

import ipywidgets as w

from .._check import NotationError, is_whole
from ._base import Widget, safe


def _sizes(sizes):
    if isinstance(sizes, str):
        parts = [p for p in re.split(r"[,\s;]+|->", sizes.strip(" []()")) if p]
        try:
            sizes = [int(p) for p in parts]
        except ValueError:
            raise NotationError(
                f"could not read {sizes.strip()!r} as sizes: type whole numbers "
                "n_0, n_1, ..., n_N separated by commas, e.g. 784, 100, 10, 1") from None
    sizes = list(sizes)
    if len(sizes) < 2 or not all(is_whole(n) and n >= 1 for n in sizes):
        raise NotationError(
            f"the sizes n_0, n_1, ..., n_N must be at least two whole numbers >= 1 "
            f"(a chain of N >= 1 functions), got {sizes!r}")
    return sizes


@dataclass
class JacobianCosts:
    """Shapes and multiply-add counts of J_{f_N} ... J_{f_1} in two orders.

    Attributes
    ----------
    sizes : list of int, [n_0, ..., n_N]
    shapes : list of (int, int), the shape (n_i, n_{i-1}) of J_{f_i}, i = 1..N
    left_steps, right_steps : list of (str, (m, n), (n, p), int)
        Each product: a label, the two shapes and its m n p multiply-adds.
    left, right : int, the totals
    best : int, the cheapest of all orders (matrix-chain dynamic programming)
    """

    sizes: list
    shapes: list = field(init=False)
    left_steps: list = field(init=False)
    right_steps: list = field(init=False)
    left: int = field(init=False)
    right: int = field(init=False)
    best: int = field(init=False)

    def __post_init__(self):
        n, N = self.sizes, len(self.sizes) - 1
        self.shapes = [(n[i], n[i - 1]) for i in range(1, N + 1)]
        self.left_steps = []
        for i in range(N - 1, 0, -1):   # (J_N ... J_{i+1}) J_i
            label = f"{_span(N, i + 1, True)} J_f{i}"
            self.left_steps.append((label, (n[N], n[i]), (n[i], n[i - 1]), n[N] * n[i] * n[i - 1]))
        self.right_steps = []
        for i in range(2, N + 1):       # J_i (J_{i-1} ... J_1)
            label = f"J_f{i} {_span(i - 1, 1, True)}"
            self.right_steps.append((label, (n[i], n[i - 1]), (n[i - 1], n[0]), n[i] * n[i - 1] * n[0]))
        self.left = sum(s[-1] for s in self.left_steps)
        self.right = sum(s[-1] for s in self.right_steps)
        self.best = _best_order(n)

    def __str__(self):
        n, N = self.sizes, len(self.sizes) - 1
        chain = " o ".join(f"f_{i}" for i in range(N, 0, -1)) if N <= 3 else f"f_{N} o ... o f_1"
        rows = [f"f = {chain}: " + " -> ".join(f"R^{d}" for d in n),
                "  ".join(f"J_f{i}: {s}" for i, s in enumerate(self.shapes, 1)),
                f"J_f = {_span(N, 1)}: ({n[N]}, {n[0]})", ""]
        vjp = "; each step is a vector-Jacobian product, as n_N = 1" if n[N] == 1 and N > 1 else ""
        for title, steps, total in (("from the left (loss side)", self.left_steps, self.left),
                                    ("from the right (input side)", self.right_steps, self.right)):
            rows.append(f"{title}: {total:,} multiply-adds" + (vjp if "left" in title else ""))
            for label, a, b, cost in steps:
                rows.append(f"  {label}: {a} x {b} -> ({a[0]}, {b[1]}), {cost:,} multiply-adds")
            if not steps:
                rows.append("  one Jacobian: nothing to multiply")
        rows.append("")
        if self.left == self.right:
            rows.append("both orders cost the same")
        else:
            cheap, ratio = ("left", self.right / self.left) if self.left < self.right else \
                           ("right", self.left / self.right)
            rows.append(f"from the {cheap} is {ratio:.3g} times cheaper")
        rows.append(f"cheapest of all orders: {self.best:,} multiply-adds")
        return "\n".join(rows)


def _span(a, b, brackets=False):
    """'J_f3 J_f2 J_f1' written short, for the factors a down to b."""
    if a == b:
        return f"J_f{a}"
    inner = " ".join(f"J_f{i}" for i in range(a, b - 1, -1)) if a - b <= 2 else f"J_f{a} ... J_f{b}"
    return f"({inner})" if brackets else inner


def _best_order(n):
    """The fewest multiply-adds over all parenthesisations (the matrix-chain problem)."""
    N = len(n) - 1
    # cost[i][j]: best cost of J_j ... J_i (1-based, i <= j), an (n_j, n_{i-1}) matrix
    cost = [[0] * (N + 1) for _ in range(N + 1)]
    for length in range(2, N + 1):
        for i in range(1, N - length + 2):
            j = i + length - 1
            cost[i][j] = min(cost[i][k] + cost[k + 1][j] + n[j] * n[k] * n[i - 1]
                             for k in range(i, j))
    return cost[1][N] if N >= 1 else 0


def jacobian_chain_costs(sizes):
    """Shapes and costs of the Jacobian chain for sizes n_0, n_1, ..., n_N.

    Parameters
    ----------
    sizes : sequence of int, or text such as ``"784, 100, 10, 1"``

    Returns
    -------
    JacobianCosts
        ``str()`` of it is the table the explorer shows; ``.left``,
        ``.right`` and ``.best`` are the totals in multiply-adds.
    """
    return JacobianCosts(_sizes(sizes))


class JacobianExplorer(Widget):
    """Type the sizes of a chain of functions; see each Jacobian's shape and both costs.

    Parameters
    ----------
    sizes : str or sequence of int, the starting chain n_0, ..., n_N

    Attributes
    ----------
    text : the Text with the sizes
    costs : JacobianCosts of the last readable sizes
    feedback : str, the table as shown
    """

    css_class = "bplib-jacobian-explorer"

    EXAMPLES = {"MLP loss, digits": "64, 30, 10, 1", "wide to narrow": "1000, 100, 10, 1",
                "narrow to wide": "1, 10, 100, 1000", "the lecture's chain": "1, 1, 1, 1"}

    def __init__(self, sizes="784, 100, 10, 1"):
        if not isinstance(sizes, str):
            sizes = ", ".join(str(n) for n in sizes)
        self.text = w.Text(value=sizes, description="n_0, ..., n_N:", continuous_update=False,
                           style={"description_width": "initial"}, layout=w.Layout(width="28em"))
        self.examples = w.Dropdown(options=[("examples...", "")] + [(k, v) for k, v in self.EXAMPLES.items()],
                                   value="")
        self.text.observe(lambda _: self.update(), names="value")
        self.examples.observe(self._example, names="value")
        self.costs = None
        super().__init__([w.HBox([self.text, self.examples])], names=[
            (self.text, "sizes n_0, ..., n_N of the chain",
             "whole numbers separated by commas: the size of the input, then of each "
             "function's output; press Enter to count"),
            (self.examples, "example chains", "fills in the sizes of an example chain")])
        self.update()

    @safe
    def _example(self, change):
        if change["new"]:
            self.text.value = change["new"]

    @safe
    def update(self):
        self.costs = jacobian_chain_costs(self.text.value)
        self.show(str(self.costs))
