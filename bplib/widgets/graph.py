r"""Backpropagation by hand through a small scalar graph: type each node's gradient.

A :class:`ScalarGraph` is a handful of named nodes, each an operation (add,
mul, sigma, square) of earlier ones. Forward, every node gets its value;
backward, every node v gets dl/dv, the sum over the nodes c it feeds of
dl/dc * dc/dv (the multivariable chain rule: a value used twice receives
the gradients of both paths). :func:`graph_feedback` checks typed gradients
from the output down and names the edge where a wrong one went astray;
:class:`GraphExercise` is its view.

>>> g = ScalarGraph(["x", "w"], [("u", "mul", ("w", "x")), ("l", "square", ("u",))])
>>> g.gradients({"x": 2.0, "w": 3.0})["x"]
36.0
"""
from dataclasses import dataclass

import ipywidgets as w
import numpy as np

from ._base import Widget, figure, image, png, safe
from ._read import Unreadable, is_empty, read_number

RTOL, ATOL = 1e-4, 1e-9   # typed gradients are rounded decimals


def _sigma(a):
    return 1.0 / (1.0 + np.exp(-a))


# op: (value of the node from its inputs, d node / d input i, how the op is written)
OPS = {
    "add": (lambda a, b: a + b, lambda i, a, b: 1.0, "{} + {}"),
    "mul": (lambda a, b: a * b, lambda i, a, b: b if i == 0 else a, "{} * {}"),
    "sigma": (_sigma, lambda i, a: _sigma(a) * (1 - _sigma(a)), "sigma({})"),
    "square": (lambda a: a * a, lambda i, a: 2 * a, "{}^2"),
}


def _wrong_locals(op, i, inputs, names, out):
    """Plausible wrong local derivatives of an op w.r.t. its input i: [(value, why)]."""
    me = names[i]
    if op == "mul":
        other = names[1 - i]
        return [(inputs[i], f"d({names[0]} * {names[1]})/d{me} is the other factor, {other}, "
                            f"not {me} itself"),
                (1.0, f"a product is not a sum: d({names[0]} * {names[1]})/d{me} = {other}, "
                      "not 1")]
    if op == "add":
        return [(0.0, f"d({names[0]} + {names[1]})/d{me} = 1: the sum passes the gradient on "
                      "unchanged")]
    if op == "sigma":
        x = _sigma(inputs[0])
        return [(x, f"d sigma({me})/d{me} = sigma'({me}) = {out} (1 - {out}) with "
                    f"{out} = sigma({me}), not {out} itself"),
                (1.0, f"sigma' is missing on it: d sigma({me})/d{me} = {out} (1 - {out})"),
                (_sigma(x) * (1 - _sigma(x)), f"sigma' is taken at the value that enters sigma, "
                                               f"{me}, not at the value it leaves")]
    if op == "square":
        return [(inputs[0], f"d({me}^2)/d{me} = 2 {me}: the factor 2 is missing"),
                (inputs[0] ** 2, f"d({me}^2)/d{me} = 2 {me}, not {me}^2")]
    return []


@dataclass
class Node:
    name: str
    op: str
    inputs: tuple


class ScalarGraph:
    """A computational graph of scalar nodes.

    Parameters
    ----------
    inputs : list of str
        The names of the input nodes.
    nodes : list of (name, op, inputs)
        In the order they are computed; op in add, mul, sigma, square. The last
        node is the output l.
    positions : dict {name: (column, row)}, optional
        Where to draw each node.
    """

    def __init__(self, inputs, nodes, positions=None):
        self.inputs = list(inputs)
        self.nodes = [Node(n, op, tuple(ins)) for n, op, ins in nodes]
        known = set(self.inputs)
        for node in self.nodes:
            if node.op not in OPS:
                raise ValueError(f"node {node.name}: op must be one of {', '.join(OPS)}, "
                                 f"got {node.op!r}")
            missing = [i for i in node.inputs if i not in known]
            if missing:
                raise ValueError(f"node {node.name} uses {', '.join(missing)} before it is "
                                 "computed")
            known.add(node.name)
        self.output = self.nodes[-1].name
        self.names = self.inputs + [n.name for n in self.nodes]
        self.positions = positions or {}

    def consumers(self, name):
        """The nodes that use ``name``, each with the position of ``name`` among its inputs."""
        return [(node, i) for node in self.nodes for i, v in enumerate(node.inputs) if v == name]

    def values(self, at):
        """Every node's value, forward, from the inputs' values ``at`` {name: float}."""
        missing = [v for v in self.inputs if v not in at]
        if missing:
            raise ValueError(f"give a value for every input: {', '.join(missing)} missing")
        values = {v: float(at[v]) for v in self.inputs}
        for node in self.nodes:
            values[node.name] = float(OPS[node.op][0](*(values[i] for i in node.inputs)))
        return values

    def local(self, node, i, values):
        """d node / d (its input i), at the values."""
        return float(OPS[node.op][1](i, *(values[v] for v in node.inputs)))

    def gradients(self, at):
        """dl/dv for every node v, backward (the inputs' values ``at``)."""
        values = self.values(at)
        grads = {self.output: 1.0}
        for name in reversed(self.names[:-1]):
            grads[name] = sum(grads[c.name] * self.local(c, i, values)
                              for c, i in self.consumers(name))
        return grads

    def formula(self, node):
        return OPS[node.op][2].format(*node.inputs)

    def backward_order(self):
        """The nodes whose gradient is asked for, from the output down (l itself is 1)."""
        return list(reversed(self.names[:-1]))


def _close(a, b):
    return bool(np.isclose(a, b, rtol=RTOL, atol=ATOL))


def explain(graph, at, name, got, grads):
    """Why ``got`` is not dl/d``name``, naming the edge, with the right gradients above.

    Returns
    -------
    str
    """
    values = graph.values(at)
    paths = [(c, i, grads[c.name] * graph.local(c, i, values)) for c, i in graph.consumers(name)]
    right = sum(p for *_, p in paths)
    edges = ", ".join(f"{name} -> {c.name}" for c, _, _ in paths)
    if len(paths) > 1:
        for c, i, p in paths:
            if _close(got, right - p):
                return (f"dl/d{name}: the edge {name} -> {c.name} is missing. {name} is used "
                        f"{len(paths)} times ({edges}), so it receives the sum of the gradients "
                        f"along its paths: dl/d{name} = " + " + ".join(
                            f"dl/d{cc.name} * d{cc.name}/d{name}" for cc, _, _ in paths))
        if _close(got, float(np.prod([p for *_, p in paths]))):
            return (f"dl/d{name}: the paths ({edges}) add up, they do not multiply: "
                    f"dl/d{name} = " + " + ".join(f"dl/d{cc.name} * d{cc.name}/d{name}"
                                                  for cc, _, _ in paths))
    for c, i, p in paths:
        inputs = [values[v] for v in c.inputs]
        for wrong, why in _wrong_locals(c.op, i, inputs, c.inputs, c.name):
            if _close(got, right - p + grads[c.name] * wrong):
                return (f"dl/d{name}: the edge {name} -> {c.name} "
                        f"({c.name} = {graph.formula(c)}): {why}")
    if _close(got, -right):
        return f"dl/d{name}: the sign is wrong"
    for c, i, p in paths:
        if _close(got, grads[c.name]) and not _close(p, grads[c.name]):
            return (f"dl/d{name}: the local derivative d{c.name}/d{name} along the edge "
                    f"{name} -> {c.name} is missing: dl/d{name} = dl/d{c.name} * d{c.name}/d{name}")
    if len(paths) == 1:
        c = paths[0][0]
        return (f"dl/d{name} is not right: along the edge {name} -> {c.name} it is dl/d{c.name} "
                f"times the local derivative d{c.name}/d{name}, for {c.name} = {graph.formula(c)}")
    return (f"dl/d{name} is not right: multiply each gradient above by the local derivative along "
            f"its edge and add over the edges {edges}")


def graph_feedback(graph, at, typed):
    """Check typed gradients from the output down; the text :class:`GraphExercise` shows.

    Parameters
    ----------
    graph : ScalarGraph
    at : dict {input name: value}
    typed : dict {node name: number or text}, the gradients dl/dv typed so far

    Returns
    -------
    str
        One line per node in backward order: right, the wrong edge named, or what is left to
        type. Later nodes are checked with the right gradients above them.
    """
    grads = graph.gradients(at)
    lines = []
    for name in graph.backward_order():
        text = typed.get(name, "")
        if is_empty(text):
            lines.append(f"dl/d{name}: not typed yet")
            continue
        try:
            got = read_number(text)
        except Unreadable as e:
            lines.append(f"dl/d{name}: {e}")
            continue
        if _close(got, grads[name]):
            lines.append(f"dl/d{name} = {got:.6g}: right")
        else:
            lines.append(explain(graph, at, name, got, grads))
    return "\n".join(lines)


class GraphExercise(Widget):
    """The graph drawn with values forward; type each gradient backward, press Check.

    Parameters
    ----------
    graph : ScalarGraph
    at : dict {input name: value}

    Attributes
    ----------
    boxes : {node name: Text}, one per gradient asked for
    button : the Check button
    feedback : str, the text under the graph
    """

    css_class = "bplib-graph"

    def __init__(self, graph, at):
        self.graph, self.at = graph, dict(at)
        self.values = graph.values(self.at)
        self.boxes = {}
        for name in graph.backward_order():
            self.boxes[name] = w.Text(
                description=f"dl/d{name} (gradient of the loss at node {name})",
                placeholder="a number, e.g. 0.25 or 2*0.3",
                style={"description_width": "initial"}, layout=w.Layout(width="30em"))
        self.button = w.Button(description="Check", button_style="primary",
                               tooltip="check the typed gradients, from the output down")
        self.button.on_click(lambda _: self.check())
        self.fig, self.ax = figure(6.5, 2.6)
        self.picture = image()
        self._draw(right=set())
        super().__init__([self.picture, w.VBox(list(self.boxes.values())), self.button])
        self.show("Type dl/dv for each node, from the output down, then press Check.")

    def _draw(self, right):
        ax, g = self.ax, self.graph
        ax.clear()
        ax.axis("off")
        pos = {n: g.positions.get(n, (i, 0)) for i, n in enumerate(g.names)}
        for node in g.nodes:
            for v in node.inputs:
                (x0, y0), (x1, y1) = pos[v], pos[node.name]
                ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                            arrowprops=dict(arrowstyle="->", color="grey", shrinkA=14, shrinkB=14))
        grads = g.gradients(self.at)
        ops = {n.name: g.formula(n) for n in g.nodes}
        for n, (x, y) in pos.items():
            ax.text(x, y, n, ha="center", va="center", fontsize=12,
                    bbox=dict(boxstyle="circle", fc="white", ec="black"))
            label = f"{ops[n]} = " if n in ops else f"{n} = "
            ax.text(x, y - 0.32, f"{label}{self.values[n]:.3g}", ha="center", fontsize=8,
                    color="tab:blue")
            if n == g.output or n in right:
                ax.text(x, y + 0.3, f"dl/d{n} = {grads[n]:.3g}", ha="center", fontsize=8,
                        color="tab:red")
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
        self.picture.value = png(self.fig)

    @safe
    def check(self, **typed):
        """Check the boxes (``typed`` {name: text} is typed into them first)."""
        for name, text in typed.items():
            self.boxes[name].value = str(text)
        text = graph_feedback(self.graph, self.at, {n: b.value for n, b in self.boxes.items()})
        right = {n for n, line in zip(self.graph.backward_order(), text.split("\n"))
                 if line.endswith(": right")}
        self._draw(right)
        done = len(right) == len(self.boxes)
        self.show(text + ("\nEvery gradient is right." if done else ""),
                  kind="right" if done else "info")
        return text

    def summary(self):
        return self.feedback
