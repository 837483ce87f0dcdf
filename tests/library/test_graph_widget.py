"""The graph exercise: gradients over a graph with fan-out, and the wrong edge named."""
import numpy as np
import pytest

from bplib.widgets.graph import GraphExercise, ScalarGraph, graph_feedback

GRAPH = ScalarGraph(["x", "w"], [("u", "mul", ("w", "x")), ("v", "sigma", ("u",)),
                                 ("p", "add", ("v", "x")), ("l", "square", ("p",))])
AT = {"x": 1.5, "w": -0.8}


def _loss(x, w):
    return (1 / (1 + np.exp(-w * x)) + x) ** 2


def test_gradients_sum_over_paths_and_match_finite_differences():
    g = GRAPH.gradients(AT)
    h = 1e-6
    assert np.isclose(g["x"], (_loss(1.5 + h, -0.8) - _loss(1.5 - h, -0.8)) / (2 * h), rtol=1e-6)
    assert np.isclose(g["w"], (_loss(1.5, -0.8 + h) - _loss(1.5, -0.8 - h)) / (2 * h), rtol=1e-6)


def _right():
    g = GRAPH.gradients(AT)
    return {n: f"{g[n]:.8f}" for n in GRAPH.backward_order()}


def test_right_gradients_are_right_and_untyped_are_named():
    lines = graph_feedback(GRAPH, AT, _right()).splitlines()
    assert all(line.endswith(": right") for line in lines) and len(lines) == 5
    assert "dl/dx: not typed yet" in graph_feedback(GRAPH, AT, {**_right(), "x": ""})


@pytest.mark.parametrize("node, wrong, words", [
    ("x", lambda g, v: g["u"] * AT["w"], "the edge x -> p is missing"),
    ("x", lambda g, v: g["p"], "the edge x -> u is missing"),
    ("x", lambda g, v: g["u"] * AT["w"] * g["p"], "do not multiply"),
    ("w", lambda g, v: g["u"] * AT["w"], "edge w -> u"),
    ("u", lambda g, v: g["v"], "edge u -> v"),
    ("p", lambda g, v: v["p"], "factor 2 is missing"),
    ("p", lambda g, v: -2 * v["p"], "sign is wrong"),
])
def test_a_wrong_gradient_names_its_edge(node, wrong, words):
    g, v = GRAPH.gradients(AT), GRAPH.values(AT)
    typed = {**_right(), node: repr(float(wrong(g, v)))}
    line = [l for l in graph_feedback(GRAPH, AT, typed).splitlines() if l.startswith(f"dl/d{node}")]
    assert words in line[0], line


def test_unreadable_text_is_said_and_nothing_raises():
    assert "could not read" in graph_feedback(GRAPH, AT, {"p": "2,5"})


def test_a_graph_that_uses_a_value_before_it_exists_is_refused():
    with pytest.raises(ValueError, match="before it is computed"):
        ScalarGraph(["x"], [("l", "square", ("u",))])


def test_the_widget_shows_the_same_text_and_names_its_controls():
    widget = GraphExercise(GRAPH, AT)
    typed = {**_right(), "u": "0.1"}
    assert widget.check(**typed) == graph_feedback(GRAPH, AT, typed)
    assert widget.feedback.startswith(graph_feedback(GRAPH, AT, typed))
    for name, box in widget.boxes.items():
        assert box.description.startswith(f"dl/d{name} (gradient")
    assert widget.picture.value[:4] == b"\x89PNG"
    widget.check(**_right())
    assert widget.feedback.endswith("Every gradient is right.")
