r"""Backpropagation by hand through a small scalar graph: type each node's gradient.

The graph is a :mod:`bplib.graph` computation, given by its output node l.
The widget draws it with the values forward; the student types dl/dv for
every node, from l down, and presses Check. :func:`graph_feedback` returns
the text the widget shows, one line per node: right, not typed yet, or what
is wrong, with the edge named by ``bplib.graph.check_gradients`` (a value used
twice that counts one path, a local derivative missing or wrong on an edge).

>>> from bplib.graph import Value
>>> x, w = Value(2.0, "x"), Value(3.0, "w")
>>> l = (w * x).named("u").square().named("l")
>>> print(graph_feedback(l, {"u": "12", "w": "24", "x": "36"}))
dl/du = 12: right
dl/dx = 36: right
dl/dw = 24: right
"""
import ipywidgets as w

from .. import graph
from ._base import Widget, figure, image, png, safe
from ._read import Unreadable, is_empty, read_number


def asked(root):
    """The nodes whose gradient is asked for, from the output down (dl/dl = 1 is given)."""
    return [v for v in reversed(graph.nodes(root)) if v is not root]


def graph_feedback(root, typed):
    """Check typed gradients; the text :class:`GraphExercise` shows.

    Parameters
    ----------
    root : bplib.graph.Value, the output l of the graph
    typed : dict {node name: number or text}, the gradients dl/dv typed so far

    Returns
    -------
    str
        One line per node, from the output down. Each gradient is judged
        against the typed gradients of the nodes it feeds, so a mistake is
        named where it is made; a gradient worked out from the figures the
        drawing shows is right, one within 2 % is "close".
    """
    numbers, lines = {}, {}
    for v in asked(root):
        text = typed.get(v.name, "")
        if is_empty(text):
            lines[v.name] = f"dl/d{v.name}: not typed yet"
            continue
        try:
            numbers[v.name] = read_number(text)
        except Unreadable as e:
            lines[v.name] = f"dl/d{v.name}: {e}"
    # judged at the precision of the drawing: figures typed from it are right
    verdict = graph.check_gradients(root, numbers, shown=(graph.NODE_DIGITS, graph.EDGE_DIGITS))
    for name, value in numbers.items():
        lines[name] = (f"dl/d{name}: {verdict.messages[name]}" if name in verdict.messages
                       else f"dl/d{name} = {value:.6g}: right")
    return "\n".join(lines[v.name] for v in asked(root))


class GraphExercise(Widget):
    """The graph drawn with its values; type each gradient backward, press Check.

    Parameters
    ----------
    root : bplib.graph.Value, the output l of the graph

    Attributes
    ----------
    boxes : {node name: Text}, one per gradient asked for, from the output down
    button : the Check button
    feedback : str, the text under the graph (``graph_feedback``)
    """

    css_class = "bplib-graph"

    def __init__(self, root):
        self.root = root
        self.boxes = {v.name: w.Text(description=f"dl/d{v.name}",
                                     placeholder="a number, e.g. 0.25 or 2*0.3",
                                     layout=w.Layout(width="22em"))
                      for v in asked(root)}
        self.button = w.Button(description="Check", button_style="primary",
                               tooltip="check the typed gradients, from the output down")
        self.button.on_click(lambda _: self.check())
        self.fig, self.ax = figure(7.5, 3.2)
        self.picture = image(self.fig)
        self.picture.on_resize(self._resized)
        self._right = ()
        names = [(box, f"gradient dl/d{name} at node {name}",
                  f"dl/d{name}, the gradient of the output l with respect to node {name}",
                  lambda text, name=name: self.check(**{name: text}))
                 for name, box in self.boxes.items()]
        super().__init__([self.picture, w.VBox(list(self.boxes.values())), self.button],
                         names=names + [(self.button, "Check the typed gradients",
                                         "judge every gradient typed so far, from l down")])
        self._draw()
        self.show("Type dl/dv for each node, from the output down, then press Check.")

    @safe
    def _resized(self):
        self._draw()

    def _draw(self):
        """The graph with values and local derivatives, and the gradients found so far."""
        self.ax.clear()
        graph.draw(self.root, ax=self.ax, gradients=False)
        order = graph.nodes(self.root)
        self.root.backward()
        place = graph._layout(order)
        for v in order:
            if v is self.root or v.name in self._right:
                x, y = place[id(v)]
                self.ax.text(x, y - 0.32, f"dl/d{v.name} = {v.grad:.4g}", ha="center", va="top",
                             fontsize=8, color="tab:red")
        self.picture.draw(png(self.fig), self.alt())

    def alt(self):
        """The picture in words: each node's value, and the gradients found so far."""
        order = graph.nodes(self.root)
        values = ", ".join(f"{v.name} = {v.data:.4g}" for v in order)
        found = ", ".join(f"dl/d{v.name} = {v.grad:.4g}" for v in order
                          if v is self.root or v.name in self._right)
        return f"computational graph of l with {len(order)} nodes: {values}; shown: {found}"

    @safe
    def check(self, **typed):
        """Check the boxes (``typed`` {name: text} is typed into them first); returns the text."""
        for name, text in typed.items():
            self.boxes[name].value = str(text)
        text = graph_feedback(self.root, {n: b.value for n, b in self.boxes.items()})
        self._right = {line.split(" = ")[0][len("dl/d"):] for line in text.split("\n")
                       if line.endswith(": right")}
        self._draw()
        done = len(self._right) == len(self.boxes)
        self.show(text + ("\nEvery gradient is right: each is the sum over the paths to l."
                          if done else ""), kind="right" if done else "info")
        return text
