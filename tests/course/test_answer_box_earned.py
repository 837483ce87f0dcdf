"""The answer is earned: every widget exercise of the notebooks, typed as a student would.

Each answer box and the graph exercise is built from its own notebook cell. Its answer
typed at the precision the notebook shows is right, and only then is the worked
derivation shown; a wrong or named-wrong answer is never told the answer.
"""
import ast
import re

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402
import sympy  # noqa: E402

from bpcourse import nb06, nb08, nb09  # noqa: E402
from bplib import graph  # noqa: E402
from bplib.widgets import AnswerBox, GraphExercise, check_expression  # noqa: E402
from bplib.widgets._read import read_expression  # noqa: E402
from bplib.widgets.graph import asked  # noqa: E402

from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

WIDGETS = ("AnswerBox(", "chain_rule_answer(", "GraphExercise(")


def _exercise_cells():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        setup = next(c.source for c in nb.cells if c.cell_type == "code")
        for cell in nb.cells:
            if cell.cell_type == "code" and any(w in cell.source for w in WIDGETS):
                yield pytest.param(setup, cell.source, id=f"{path.stem}:{cell.get('id')}")


def _build(setup, source):
    """Run the notebook's setup cell, then the widget cell; its last expression is the widget."""
    scope = {}
    exec(compile(setup, "setup", "exec"), scope)
    tree = ast.parse(source)
    *body, last = tree.body
    exec(compile(ast.Module(body, []), "cell", "exec"), scope)
    return eval(compile(ast.Expression(last.value), "cell", "eval"), scope)


def _shown(expected):
    """The answer as the notebook would print it."""
    if isinstance(expected, str):
        return expected
    return f"{float(expected):.4g}"


@pytest.mark.parametrize("setup, source", list(_exercise_cells()))
def test_the_answer_typed_as_shown_is_right_and_only_then_revealed(setup, source):
    widget = _build(setup, source)
    if isinstance(widget, GraphExercise):
        root = widget.root
        root.backward()
        drawn = {t.get_text().split("\n")[-1] for t in widget.ax.texts}
        typed, value = {}, {root.name: 1.0}
        for v in asked(root):   # each gradient as products of the drawn figures, from l down
            terms = []
            for e in graph.edges(root):
                if e.source is v:
                    assert f"{e.local:.3g}" in drawn
                    terms.append(f"{value[e.target.name]!r}*{e.local:.3g}")
            typed[v.name] = " + ".join(terms)
            value[v.name] = float(f"{eval(typed[v.name]):.3g}")
        text = widget.check(**typed)
        assert all(line.endswith(": right") for line in text.splitlines()), text
        return
    assert isinstance(widget, AnswerBox)
    assert not widget.feedback or "worked" not in widget.feedback
    verdict = widget.check(_shown(widget.expected))
    assert verdict.status == "right", verdict.message
    if widget.reveal:
        assert widget.reveal in widget.feedback
    for wrong in widget.mistakes:
        widget.check(str(wrong))
        assert widget.verdict.status != "right"
        assert not widget.reveal or widget.reveal not in widget.feedback


def _forms(expected, variables):
    """The answer as text in the forms a message could state it."""
    if isinstance(expected, str):
        expr = read_expression(expected, tuple(variables))
        return {expected, sympy.sstr(expr), sympy.sstr(expr).replace("**", "^")}
    return {f"{float(expected):g}", "1/4" if expected == 0.25 else f"{float(expected):g}"}


BOXES = [
    ("06 f'(x)", nb06.EXPECTED, nb06.MISTAKES, ("x",)),
    ("06 zeros", nb06.ZEROS, nb06.ZEROS_MISTAKES, ("x",)),
    ("08 output weight", nb08.OUTPUT_EXPRESSION, nb08.OUTPUT_EXPRESSION_MISTAKES,
     nb08.OUTPUT_VARIABLES),
    ("08 hidden weight", nb08.HIDDEN_EXPRESSION, nb08.HIDDEN_EXPRESSION_MISTAKES,
     nb08.HIDDEN_VARIABLES),
    ("08 largest sigma'", nb08.SIGMA_MAX, nb08.SIGMA_MAX_MISTAKES, ("x",)),
    ("09 cross-entropy over quadratic", nb09.RATIO, nb09.RATIO_MISTAKES, ("x",)),
]


@pytest.mark.parametrize("what, expected, mistakes, variables", BOXES, ids=[b[0] for b in BOXES])
def test_no_message_to_a_wrong_answer_states_the_answer(what, expected, mistakes, variables):
    forms = _forms(expected, variables)
    box = AnswerBox(expected, mistakes, variables=variables)
    for wrong in list(mistakes) + (["7 x"] if isinstance(expected, str) else [0.3, 17]):
        message = box.check(str(wrong)).message
        assert box.verdict.status != "right"
        message = message.split(" (read as ")[0]   # the student's own expression, echoed
        for form in forms:
            assert not re.search(rf"(?<![\w.]){re.escape(form)}(?![\w.]|\s*pi)", message), \
                (wrong, message)


def test_the_zeros_box_lists_no_zero():
    for count, message in nb06.ZEROS_MISTAKES.items():
        assert "1.2533" not in message and "2.1708" not in message and "five" not in message.lower()


def test_a_wrong_expression_is_told_its_own_value_not_the_answers():
    message = check_expression("x^3", "2x cos(x^2) e^(sin(x^2))").message
    value_there = re.search(r"at x = ([-\d.]+) yours gives ([-\d.e]+)", message)
    assert value_there, message
    import numpy as np
    x = float(value_there.group(1))
    right = 2 * x * np.cos(x ** 2) * np.exp(np.sin(x ** 2))
    assert f"{right:.6g}" not in message and "the answer" not in message


def test_a_box_with_printed_figures_takes_them_at_their_precision():
    """A printout shows 1.7315 as 1.732 and 0.17790 as 0.178: their product, typed, is right."""
    exact = 1.7315 * 0.17790
    box = AnswerBox(exact, digits=4)
    for typed in ("1.732*0.1779", "0.308", "0.3080", "1.73 * 0.178"):
        assert box.check(typed).status == "right", typed
    assert box.check("0.305").status == "close"
    assert box.check("0.2").status == "wrong"
    assert AnswerBox(exact).check("0.308").status != "right"   # without digits: to 1e-6


def test_the_vanishing_cell_plots_delta_beside_the_weights_gradient():
    """nb08.layer_norms: |dl/dW^(l)| is bplib.vanishing's; |delta^(l)| shrinks where it looks flat."""
    import numpy as np

    from bplib.vanishing import layer_gradient_norms
    for name in ("sigmoid", "tanh", "relu"):
        delta, W = nb08.layer_norms(name, depth=10)
        assert np.allclose(W, layer_gradient_norms(name, depth=10))
        assert delta[0] < delta[-1]                        # delta shrinks towards layer 1
    delta, W = nb08.layer_norms("tanh", depth=10)
    assert delta[0] / delta[-1] < 0.5 < W[0] / W[-1]       # shrinks 4x, while dl/dW looks flat
    delta, _ = nb08.layer_norms("sigmoid", depth=10)
    assert delta[0] / delta[-1] < 1e-4                     # about a million, not thousands
