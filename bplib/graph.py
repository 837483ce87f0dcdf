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
    """The verdict of ``check_gradients``: ``ok``, ``messages`` and ``close`` by node name.

    ``close`` holds the nodes whose gradient is near the right one but not at
    the precision the drawing shows; their message says so.
    """

    def __init__(self, messages, wrong_edges, close=()):
        self.messages, self.wrong_edges, self.close = messages, wrong_edges, set(close)

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


NODE_DIGITS, EDGE_DIGITS = 4, 3   # significant figures ``draw`` shows on the nodes and edges
RTOL = 1e-6      # a gradient computed in code: equal up to rounding
CLOSE = 2e-2     # "close" when shown: within 2 % (or three times the drawing's precision)


def _close(a, b, rtol=RTOL):
    return abs(a - b) <= rtol * max(1.0, abs(b))


def half_unit(value, digits):
    """Half a unit in the last of ``digits`` significant figures: how far a printed figure may be off.

    0 when the printed figure is the value itself (1, 2, 0.5).
    """
    if value == 0 or float(f"{value:.{digits}g}") == value:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)


def tolerances(root, node_digits=4, edge_digits=3, answer_digits=3):
    """How far a gradient worked out from the drawn figures may be from the exact one.

    A student multiplies the figures as drawn (local derivatives to ``edge_digits``
    significant figures, node values to ``node_digits``), starts from the gradients
    they typed above (each within its own tolerance) and rounds the result to
    ``answer_digits`` figures. To first order the errors add up:
    sum over the edges v -> c of |dl/dc| h(dc/dv) + |dc/dv| tol(c), plus h(dl/dv).

    Returns
    -------
    dict {node name: tolerance, an absolute error >= 0}; 0 for the output l.
    """
    order = nodes(root)
    root.backward()
    tol = {root.name: 0.0}
    out = outgoing(root)
    for v in reversed(order):
        if v is root:
            continue
        err = half_unit(v.grad, answer_digits)
        for e in out[v.name]:
            drawn = max(half_unit(e.local, edge_digits),
                        # a local derivative worked out from the node values as drawn
                        abs(e.local) * 0.5 * 10.0 ** (1 - node_digits))
            err += abs(e.target.grad) * drawn + abs(e.local) * tol[e.target.name]
        tol[v.name] = err
    return tol


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
        wrong.append((v.data, f"d{v.name}/d{u.name} is sigma'({u.name}), the slope of sigma, "
                              f"not sigma({u.name}) itself"))
    elif v.op == "square":
        wrong += [(u.data, f"d{v.name}/d{u.name} = 2 {u.name}: the factor 2 is missing"),
                  (2.0, f"d{v.name}/d{u.name} = 2 {u.name}, not 2")]
    elif v.op == "*":
        wrong.append((u.data, f"d{v.name}/d{u.name} is the other factor, "
                              f"{_local_formula(e)}, not {u.name} itself"))
    return [(w, why) for w, why in wrong if not _close(w, e.local)]


def check_gradients(root, typed, shown=None):
    """Check gradients typed by hand, node by node, and name the edge that is wrong.

    Each node's gradient is judged against the student's own gradients of the
    nodes it feeds, so a mistake is named where it is made, not again downstream.
    No message states a right gradient: a wrong one is shown the path formula
    filled with the student's own gradients above it.

    Parameters
    ----------
    root : Value, the output l of the graph
    typed : dict {node name: dl/d(node)}; nodes left out are not judged
    shown : (int, int), optional
        The significant figures the drawing shows on the nodes and on the edges,
        e.g. (4, 3): a gradient worked out from those figures is right, and one
        within 2 % is "close". By default a gradient must be right to 1e-6, as
        one computed in code.

    Returns
    -------
    GraphCheck
        ``ok``; ``messages`` {node name: what is wrong}; ``wrong_edges`` the edges
        named; ``close`` the nodes that are near but not at the precision shown.
    """
    if not isinstance(typed, dict):
        raise NotationError("give the gradients as a dict {node name: dl/d(node)}, "
                            f"got {type(typed).__name__}")
    order = nodes(root)
    tol = tolerances(root, *shown) if shown else None
    root.backward()
    by_name = {v.name: v for v in order}
    unknown = sorted(set(typed) - set(by_name))
    if unknown:
        raise NotationError(f"the graph has no node {unknown[0]!r}; its nodes are "
                            f"{', '.join(by_name)}")

    def near(v, a, b):   # a and b agree at the precision asked for v's gradient
        return _close(a, b) or (tol is not None and abs(a - b) <= tol[v.name] * (1 + 1e-9))

    out = outgoing(root)
    messages, wrong_edges, close = {}, [], set()
    for v in reversed(order):
        if v.name not in typed:
            continue
        t = _typed(typed[v.name], v.name)
        if near(v, t, v.grad):
            continue
        if v is root:
            messages[v.name] = f"dl/dl = 1: the backward pass starts from 1, got {t:g}"
            continue
        # dl/d(target) as the student has it where typed, else the right one
        upstream = {e.target.name: (_typed(typed[e.target.name], e.target.name)
                                    if e.target.name in typed else e.target.grad)
                    for e in out[v.name]}
        if tol is not None and abs(t - v.grad) <= max(3 * tol[v.name], CLOSE * abs(v.grad)):
            messages[v.name] = (
                f"close: {t:.4g} is near, but not at the precision the drawing shows "
                f"({shown[1]} significant figures on the edges, {shown[0]} on the nodes); "
                "multiply the figures as they are drawn, or type the product itself, "
                "e.g. 2*1.5, and round only the result")
            close.add(v.name)
            continue
        terms = [upstream[e.target.name] * e.local for e in out[v.name]]
        message, edges_named = _diagnose(v, t, out[v.name], terms, upstream, typed,
                                         lambda a, b: near(v, a, b), root)
        messages[v.name] = message
        wrong_edges += edges_named
    return GraphCheck(messages, wrong_edges, close)


def _filled(v, out, typed, root):
    """The path formula for dl/dv, filled with the student's own gradients above v (no total)."""
    if len(out) == 1 and out[0].target is root:   # dl/dl = 1: only the local derivative is left
        return (f"dl/d{v.name} = dl/d{root.name} d{root.name}/d{v.name} with dl/d{root.name} = 1: "
                f"the local derivative of {root.formula()} with respect to {v.name}")
    paths = " + ".join(f"dl/d{e.target.name} d{e.target.name}/d{v.name}" for e in out)
    factors, missing = [], []
    for e in out:
        c = e.target.name
        if e.target is root:
            factors.append(f"1 * d{c}/d{v.name}")
        elif c in typed:
            factors.append(f"{_typed(typed[c], c):.4g} * d{c}/d{v.name}")
        else:
            factors.append(f"dl/d{c} d{c}/d{v.name}")
            missing.append(f"dl/d{c}")
    text = f"dl/d{v.name} = {paths}"
    if len(missing) < len(out):
        text += (" = " + " + ".join(factors) +
                 ", with your gradients above and the local derivatives on the edges")
    if missing:
        text += f" ({', '.join(missing)} not typed yet: type {'it' if len(missing) == 1 else 'them'} first)"
    return text


def _diagnose(v, t, out, terms, upstream, typed, near, root):
    """What is wrong with dl/dv = t, and which edges; terms[i] is edge out[i]'s contribution."""
    formula = _filled(v, out, typed, root)
    if near(t, sum(terms)):
        wrong = [e for e in out if not near(upstream[e.target.name], e.target.grad)]
        names = ", ".join(f"dl/d{e.target.name}" for e in wrong)
        return (f"follows from your {names}, which is not right: fix that first", wrong)
    if near(t, -sum(terms)):
        return f"the sign is wrong: {formula}", []
    if len(out) > 1:
        for i, e in enumerate(out):
            if near(t, terms[i]):
                targets = " and ".join(sorted({x.target.name for x in out}))
                missing = [x for j, x in enumerate(out) if j != i]
                return (f"{v.name} feeds {len(out)} edges (into {targets}): its gradient is the "
                        f"sum over all the paths, {formula}; yours counts only the path "
                        f"through {e.target.name}", missing)
    for i, e in enumerate(out):
        for wrong_local, why in _wrong_locals(e):
            if near(t, sum(terms) - terms[i] + upstream[e.target.name] * wrong_local):
                return (f"the edge {v.name} -> {e.target.name} ({e.target.formula()}): {why}",
                        [e])
    return f"not right: {formula}", []


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
        ax.text(x0 + 0.45 + t * (x1 - x0 - 0.9), y0 + t * (y1 - y0) + 0.06, f"{e.local:.{EDGE_DIGITS}g}",
                fontsize=8, color="tab:blue", ha="center", va="bottom")
    for v in order:
        x, y = pos[id(v)]
        label = v.name if v.op is None else f"{v.name} = {v.formula().split(' = ')[1]}"
        ax.text(x, y, f"{label}\n{v.data:.{NODE_DIGITS}g}", ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="white", ec="black"))
        if gradients:
            ax.text(x, y - 0.32, f"dl/d{v.name} = {v.grad:.{NODE_DIGITS}g}", ha="center", va="top",
                    fontsize=8, color="tab:red")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1, max(xs) + 1)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.7)
    ax.set_axis_off()
    ax.set_title("values forward (black), dl/d(node) backward (red), "
                 "local derivatives on the edges (blue)", fontsize=9)
    return ax
