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


# --- precision: the figures the drawing shows are right ---------------------------------

def _drawn(widget):
    """Every figure on the widget's drawing, as text."""
    return {t.get_text().split("\n")[-1] for t in widget.ax.texts}


def _from_the_drawing(root, widget, round_to=3):
    """Each gradient typed as the product of the printed figures, from the output down.

    Local derivatives as drawn on the edges (3 significant figures), the gradients
    above as the student typed them (rounded to ``round_to`` figures).
    """
    from bplib.graph import edges
    drawn = _drawn(widget)
    typed, value = {}, {root.name: 1.0}
    for v in asked(root):
        terms = []
        for e in edges(root):
            if e.source is v:
                local = f"{e.local:.3g}"
                assert local in drawn, f"{local} is not on the drawing"
                terms.append(f"{value[e.target.name]!r}*{local}")
        typed[v.name] = " + ".join(terms)
        value[v.name] = float(f"{eval(typed[v.name]):.{round_to}g}")   # what the student keeps
    return typed


@pytest.mark.parametrize("round_to", [3, 4, 6])
def test_gradients_worked_out_from_the_drawn_figures_are_right(round_to):
    root = make()
    widget = GraphExercise(root)
    typed = _from_the_drawing(root, widget, round_to)
    text = widget.check(**typed)
    assert all(line.endswith(": right") for line in text.splitlines()), text
    assert "Every gradient is right" in widget.feedback


@pytest.mark.parametrize("typed", ["3.463", "3.46", "2*1.7315", "2*1.731", "2 * 1.73"])
def test_dl_dp_at_the_precision_shown_is_right(typed):
    root = make()
    assert graph_feedback(root, {"p": typed}).splitlines()[0].endswith(": right")


def test_near_is_close_and_far_is_not_right_without_the_answer():
    root = make()
    root.backward()
    close = graph_feedback(root, {"p": "3.40"}).splitlines()[0]
    assert close.startswith("dl/dp: close") and "precision the drawing shows" in close
    right = {v.name: v.grad for v in asked(root)}
    for node, wrong in (("p", "3.0"), ("x", "5"), ("u", "0.9"), ("w", "-0.3"), ("x", "0.616*-0.8")):
        typed = {"p": "3.46", "v": "3.46", "u": "0.616", node: wrong}
        line = [l for l in graph_feedback(root, typed).splitlines()
                if l.startswith(f"dl/d{node}")][0]
        assert "right" not in line.replace("not right", "")
        for digits in (3, 4, 6):   # the right gradient is never printed
            assert f"{right[node]:.{digits}g}" not in line, line


def test_wrong_feedback_fills_the_path_with_the_students_own_gradients():
    line = graph_feedback(make(), {"p": "3.5", "u": "0.61", "x": "7"}).splitlines()[3]
    assert line.startswith("dl/dx: not right: dl/dx = dl/du du/dx + dl/dp dp/dx")
    assert "0.61 * du/dx + 3.5 * dp/dx" in line


def test_code_is_held_to_1e6_not_to_the_drawing():
    from bplib.graph import check_gradients
    root = make()
    assert "p" in check_gradients(root, {"p": 3.46}).messages
    assert check_gradients(root, {"p": 3.46}, shown=(4, 3)).ok
