r"""A scalar computational graph: values forward, gradients backward.

Each node keeps its value and, for every input it was computed from, the
local derivative d(node)/d(input), known as soon as the value is:

    a + b:  d/da = 1, d/db = 1         a * b:  d/da = b, d/db = a
    sigma(a) = 1 / (1 + e^-a):  d/da = sigma(a) (1 - sigma(a))
    square(a) = a^2:  d/da = 2a

The backward pass visits the nodes from the output back to the inputs and
adds, along every edge input -> node, dl/d(node) * d(node)/d(input) to the
input's gradient. A value that feeds two nodes therefore receives the sum
over both paths: the multivariable chain rule, and all that backpropagation
needs to go through any graph, not only an MLP's.

``check_gradients`` reads gradients typed by hand and names the wrong edge;
``draw`` draws the graph with the values and the gradients.
"""
import math
import numbers
from collections import namedtuple

from ._check import NotationError

Edge = namedtuple("Edge", "source target local")
Edge.__doc__ = "source -> target, with local = d(target)/d(source) at the forward values."


class Value:
    """A scalar node: ``data`` its value, ``grad`` dl/d(node) after ``backward``.

    Parameters
    ----------
    data : float
    name : str, optional
        How the node is called in tables, messages and drawings (e.g. ``"x"``).
    """

    def __init__(self, data, name=None, _inputs=(), _op=None, _local=()):
        if isinstance(data, bool) or not isinstance(data, numbers.Real) or not math.isfinite(data):
            raise NotationError(f"a node's value must be a finite real number, got {data!r}")
        self.data, self.grad, self.name = float(data), 0.0, name
        self.inputs, self.op, self.local = _inputs, _op, _local

    # --- the four operations, each with its local derivatives --------------------

    def __add__(self, other):
        other = _node(other)
        return Value(self.data + other.data, None, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other):
        other = _node(other)
        return Value(self.data * other.data, None, (self, other), "*", (other.data, self.data))

    __radd__, __rmul__ = __add__, __mul__

    def sigma(self):
        """sigma(a) = 1 / (1 + e^-a), with d/da = sigma(a) (1 - sigma(a))."""
        s = 1.0 / (1.0 + math.exp(-self.data)) if self.data > -700 else 0.0
        return Value(s, None, (self,), "sigma", (s * (1.0 - s),))

    def square(self):
        """a^2, with d/da = 2a."""
        return Value(self.data ** 2, None, (self,), "square", (2.0 * self.data,))

    def named(self, name):
        """Give the node a name and return it: ``h = (x * y).named("h")``."""
        self.name = name
        return self

    # --- backward ------------------------------------------------------------------

    def backward(self):
        """Fill in dl/d(node) for every node, with l = this node.

        Gradients start from 0 on every call, so running it twice gives the
        same numbers; within one call a node's gradient is the sum over the
        edges that leave it.
        """
        order = nodes(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):  # every node after all the nodes it feeds
            for u, local in zip(v.inputs, v.local):
                u.grad += v.grad * local   # dl/du += dl/dv * dv/du
        return self

    def formula(self):
        """How the node was computed, e.g. ``"h = x * y"``."""
        if self.op is None:
            return f"{self.name} (an input)"
        args = [u.name for u in self.inputs]
        body = f" {self.op} ".join(args) if self.op in "+*" else f"{self.op}({args[0]})"
        return f"{self.name} = {body}"

    def __repr__(self):
        return f"Value({self.name or '?'} = {self.data:.6g}, grad = {self.grad:.6g})"


def sigma(a):
    """sigma(a) for a node a."""
    return _node(a).sigma()


def square(a):
    """a^2 for a node a."""
    return _node(a).square()


def _node(a):
    return a if isinstance(a, Value) else Value(a)  # a constant, named v1, v2, ... by nodes()


def nodes(root):
    """Every node root depends on, inputs before the nodes computed from them.

    Nodes without a name are named v1, v2, ... in that order.
    """
    order, seen = [], set()

    def visit(v):  # depth first: a node is listed after all of its inputs
        if id(v) in seen:
            return
        seen.add(id(v))
        for u in v.inputs:
            visit(u)
        order.append(v)

    if not isinstance(root, Value):
        raise NotationError(f"the graph is given by its output node, a Value, got {root!r}")
    visit(root)
    taken = {v.name for v in order}
    k = 0
    for v in order:
        while v.name is None:
            k += 1
            v.name = f"v{k}" if f"v{k}" not in taken else None
    names = [v.name for v in order]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise NotationError(f"two nodes are called {twice[0]!r}: give each node its own name")
    return order


def edges(root):
    """Every edge source -> target with its local derivative d(target)/d(source).

    A node used twice by one operation (x * x) has two edges to it.
    """
    return [Edge(u, v, local) for v in nodes(root) for u, local in zip(v.inputs, v.local)]


def gradients(root):
    """{node name: dl/d(node)} after ``root.backward()``, inputs first."""
    root.backward()
    return {v.name: v.grad for v in nodes(root)}


def outgoing(root):
    """{node name: the edges that leave it}."""
    out = {v.name: [] for v in nodes(root)}
    for e in edges(root):
        out[e.source.name].append(e)
    return out


def table(root):
    """The forward values, the local derivative of each edge, and each node's gradient.

    ``root.backward()`` is run first. Returns the text, one line per node and per edge.
    """
    root.backward()
    rows = ["nodes (forward value, then dl/d(node) backward):"]
    for v in nodes(root):
        rows.append(f"  {v.formula():<22} value {v.data:>10.6g}   dl/d{v.name} = {v.grad:.6g}")
    rows.append("edges (local derivative d(target)/d(source)):")
    for e in edges(root):
        rows.append(f"  {e.source.name} -> {e.target.name:<6} d{e.target.name}/d{e.source.name}"
                    f" = {_local_formula(e)} = {e.local:.6g}")
    return "\n".join(rows)


def _local_formula(e):
    """d(target)/d(source) in symbols, e.g. ``y`` for target = x * y."""
    v, u = e.target, e.source
    if v.op == "+":
        return "1"
    if v.op == "*":
        a, b = v.inputs
        return b.name if u is a else a.name
    if v.op == "sigma":
        return f"sigma({u.name}) (1 - sigma({u.name}))"
    return f"2 {u.name}"


# --- checking gradients typed by hand -----------------------------------------------------

class GraphCheck:
    """The verdict of ``check_gradients``: ``ok``, and ``messages`` by node name."""

    def __init__(self, messages, wrong_edges):
        self.messages, self.wrong_edges = messages, wrong_edges

    @property
    def ok(self):
        return not self.messages

    def __bool__(self):
        return self.ok

    def __str__(self):
        if self.ok:
            return "Right: every gradient is the sum over the paths to l."
        return "\n".join(f"dl/d{name}: {m}" for name, m in self.messages.items())

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def _close(a, b, rtol=1e-6):
    return abs(a - b) <= rtol * max(1.0, abs(b))


def _typed(value, name):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise NotationError(f"dl/d{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise NotationError(f"dl/d{name} must be a finite number, got {value!r}")
    return v


def _wrong_locals(e):
    """Local derivatives a student plausibly writes for the edge e instead of the right one."""
    v, u = e.target, e.source
    wrong = [(1.0, f"the local derivative d{v.name}/d{u.name} is missing")]
    if v.op == "sigma":
        wrong.append((v.data, f"d{v.name}/d{u.name} is sigma'({u.name}) = sigma (1 - sigma), "
                              f"not sigma({u.name}) itself"))
    elif v.op == "square":
        wrong += [(u.data, f"d{v.name}/d{u.name} = 2 {u.name}: the factor 2 is missing"),
                  (2.0, f"d{v.name}/d{u.name} = 2 {u.name}, not 2")]
    elif v.op == "*":
        wrong.append((u.data, f"d{v.name}/d{u.name} is the other factor, "
                              f"{_local_formula(e)}, not {u.name} itself"))
    return [(w, why) for w, why in wrong if not _close(w, e.local)]


def check_gradients(root, typed):
    """Check gradients typed by hand, node by node, and name the edge that is wrong.

    Each node's gradient is judged against the student's own gradients of the
    nodes it feeds, so a mistake is named where it is made, not again downstream.

    Parameters
    ----------
    root : Value, the output l of the graph
    typed : dict {node name: dl/d(node)}; nodes left out are not judged

    Returns
    -------
    GraphCheck
        ``ok``; ``messages`` {node name: what is wrong}; ``wrong_edges`` the edges named.
    """
    if not isinstance(typed, dict):
        raise NotationError("give the gradients as a dict {node name: dl/d(node)}, "
                            f"got {type(typed).__name__}")
    order = nodes(root)
    root.backward()
    by_name = {v.name: v for v in order}
    unknown = sorted(set(typed) - set(by_name))
    if unknown:
        raise NotationError(f"the graph has no node {unknown[0]!r}; its nodes are "
                            f"{', '.join(by_name)}")
    out = outgoing(root)
    messages, wrong_edges = {}, []
    for v in reversed(order):
        if v.name not in typed:
            continue
        t = _typed(typed[v.name], v.name)
        if _close(t, v.grad):
            continue
        if v is root:
            messages[v.name] = f"dl/dl = 1: the backward pass starts from 1, got {t:g}"
            continue
        # dl/d(target) as the student has it where typed, else the right one
        upstream = {e.target.name: (_typed(typed[e.target.name], e.target.name)
                                    if e.target.name in typed else e.target.grad)
                    for e in out[v.name]}
        terms = [upstream[e.target.name] * e.local for e in out[v.name]]
        message, edges_named = _diagnose(v, t, out[v.name], terms, upstream)
        messages[v.name] = message
        wrong_edges += edges_named
    return GraphCheck(messages, wrong_edges)


def _diagnose(v, t, out, terms, upstream):
    """What is wrong with dl/dv = t, and which edges; terms[i] is edge out[i]'s contribution."""
    paths = " + ".join(f"dl/d{e.target.name} d{e.target.name}/d{v.name}" for e in out)
    right = f"dl/d{v.name} = {paths} = {v.grad:.6g}"
    if _close(t, sum(terms)):
        wrong = [e for e in out if not _close(upstream[e.target.name], e.target.grad)]
        names = ", ".join(f"dl/d{e.target.name}" for e in wrong)
        return (f"follows from your {names}, which is not right: fix that first", wrong)
    if _close(t, -v.grad):
        return f"the sign is wrong: {right}", []
    if len(out) > 1:
        for i, e in enumerate(out):
            if _close(t, terms[i]):
                targets = " and ".join(sorted({x.target.name for x in out}))
                missing = [x for j, x in enumerate(out) if j != i]
                return (f"{v.name} feeds {len(out)} edges (into {targets}): its gradient is the "
                        f"sum over all the paths, {right}; yours counts only the path "
                        f"through {e.target.name}", missing)
    for i, e in enumerate(out):
        for wrong_local, why in _wrong_locals(e):
            if _close(t, sum(terms) - terms[i] + upstream[e.target.name] * wrong_local):
                return (f"the edge {v.name} -> {e.target.name} ({e.target.formula()}): {why}; "
                        f"d{e.target.name}/d{v.name} = {_local_formula(e)} = {e.local:.6g}",
                        [e])
    return f"not right: {right}", []


# --- drawing --------------------------------------------------------------------------------

def _layout(order):
    """x: the longest path from an input; y: spread within each column."""
    depth = {}
    for v in order:
        depth[id(v)] = 1 + max((depth[id(u)] for u in v.inputs), default=-1)
    columns = {}
    for v in order:
        columns.setdefault(depth[id(v)], []).append(v)
    pos = {}
    for x, column in columns.items():
        for i, v in enumerate(column):
            pos[id(v)] = (2.2 * x, (len(column) - 1) / 2 - i)
    return pos


def draw(root, ax=None, gradients=True):
    """Draw the graph: each node's value (forward, black) and dl/d(node) (backward, red).

    Each edge is labelled with its local derivative d(target)/d(source).

    Parameters
    ----------
    root : Value, the output l
    ax : matplotlib Axes, optional
    gradients : bool, run ``root.backward()`` and show the gradients

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt  # here: importing bplib.graph needs no matplotlib

    order = nodes(root)
    if gradients:
        root.backward()
    pos = _layout(order)
    if ax is None:
        width = 2.0 + 2.0 * max(x for x, _ in pos.values()) / 2.2
        _, ax = plt.subplots(figsize=(min(width, 12), 1.5 + 1.2 * len(order) ** 0.5))
    for e in edges(root):
        (x0, y0), (x1, y1) = pos[id(e.source)], pos[id(e.target)]
        ax.annotate("", xy=(x1 - 0.45, y1), xytext=(x0 + 0.45, y0),
                    arrowprops=dict(arrowstyle="->", color="0.5"))
        t = 0.3  # nearer the source than the middle, where crossing edges meet
        ax.text(x0 + 0.45 + t * (x1 - x0 - 0.9), y0 + t * (y1 - y0) + 0.06, f"{e.local:.3g}",
                fontsize=8, color="tab:blue", ha="center", va="bottom")
    for v in order:
        x, y = pos[id(v)]
        label = v.name if v.op is None else f"{v.name} = {v.formula().split(' = ')[1]}"
        ax.text(x, y, f"{label}\n{v.data:.4g}", ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="white", ec="black"))
        if gradients:
            ax.text(x, y - 0.32, f"dl/d{v.name} = {v.grad:.4g}", ha="center", va="top",
                    fontsize=8, color="tab:red")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1, max(xs) + 1)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.7)
    ax.set_axis_off()
    ax.set_title("values forward (black), dl/d(node) backward (red), "
                 "local derivatives on the edges (blue)", fontsize=9)
    return ax
