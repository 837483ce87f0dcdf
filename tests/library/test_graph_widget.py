"""The graph exercise widget: typed gradients judged by bplib.graph, the same text headless."""
import pytest

from bplib.graph import Value
from bplib.widgets.graph import GraphExercise, asked, graph_feedback


def make():
    """u = w x, v = sigma(u), p = v + x, l = p^2: x is used twice."""
    x, w = Value(1.5, "x"), Value(-0.8, "w")
    u = (w * x).named("u")
    v = u.sigma().named("v")
    return (v + x).named("p").square().named("l")


def _right(root):
    root.backward()
    return {v.name: f"{v.grad:.10f}" for v in asked(root)}


def test_gradients_are_asked_from_the_output_down():
    assert [v.name for v in asked(make())] == ["p", "v", "u", "x", "w"]


def test_right_gradients_are_right_and_untyped_are_said():
    root = make()
    lines = graph_feedback(root, _right(root)).splitlines()
    assert len(lines) == 5 and all(line.endswith(": right") for line in lines)
    assert "dl/dx: not typed yet" in graph_feedback(root, {**_right(root), "x": ""})


@pytest.mark.parametrize("node, wrong, words", [
    ("x", lambda n: n["u"].grad * n["w"].data, "counts only the path through u"),
    ("p", lambda n: n["p"].data, "the factor 2 is missing"),
    ("u", lambda n: n["v"].grad, "the edge u -> v"),
    ("p", lambda n: -n["p"].grad, "the sign is wrong"),
])
def test_a_wrong_gradient_is_named_at_its_edge(node, wrong, words):
    root = make()
    root.backward()
    from bplib.graph import nodes
    n = {v.name: v for v in nodes(root)}
    line = [l for l in graph_feedback(root, {**_right(root), node: repr(wrong(n))}).splitlines()
            if l.startswith(f"dl/d{node}")][0]
    assert words in line


def test_unreadable_text_is_said_and_nothing_raises():
    assert "could not read" in graph_feedback(make(), {"p": "2,5"})


def test_the_widget_shows_the_same_text_and_names_its_controls():
    root = make()
    widget = GraphExercise(root)
    typed = {**_right(root), "u": "0.1"}
    assert widget.check(**typed) == graph_feedback(root, typed)
    assert widget.feedback.startswith(graph_feedback(root, typed))
    for name, box in widget.boxes.items():
        assert widget.accessible_name(box) == f"gradient dl/d{name} at node {name}"
    assert widget.accessible_name(widget.button) == "Check the typed gradients"
    (picture,) = widget.pictures()
    assert picture.value[:4] == b"\x89PNG"
    assert "6 nodes" in picture.alt and "dl/dl = 1" in picture.alt
    widget.check(**_right(root))
    assert "Every gradient is right" in widget.feedback
    assert all(f"dl/d{name} = " in picture.alt for name in widget.boxes)
