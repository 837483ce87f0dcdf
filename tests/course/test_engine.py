"""Notebook 06's engine exercise: the check's own graphs and variants, and notebook 08's loader."""
import json
import math
import re

import numpy as np
import pytest

from bplib import graph
from bpcourse import mistakes, nb06

from solution_cells import solution_functions


def _l(recipe, leaves):
    """l of ``recipe`` at other values of its inputs, on plain numbers."""
    return nb06._forward(recipe._replace(leaves=tuple(leaves)))[-1]


def _central(recipe, h=1e-6):
    out = []
    for i in range(len(recipe.leaves)):
        up, down = list(recipe.leaves), list(recipe.leaves)
        up[i] += h
        down[i] -= h
        out.append((_l(recipe, up) - _l(recipe, down)) / (2 * h))
    return out


RECIPES = [*nb06.ONE_OP, nb06.CHAIN_GRAPH, *nb06.WIDGET, nb06.FAN_OUT, *nb06.TWICE] + \
    [nb06.random_recipe(np.random.default_rng(seed)) for seed in range(20)]


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.formula())
def test_the_checks_gradients_are_the_finite_differences_and_bplibs(recipe):
    first, again = nb06._engine_variant(recipe)
    n = len(recipe.leaves)
    np.testing.assert_allclose(first[:n], _central(recipe), rtol=1e-5, atol=1e-7)
    assert first == again
    # bplib's engine on the same graph gives every node's gradient
    nodes = nb06._build(graph.Value, recipe)
    nodes[-1].backward()
    np.testing.assert_allclose(first, [v.grad for v in nodes], rtol=1e-12, atol=1e-14)


def test_the_widgets_graph_is_the_one_of_exercise_4():
    recipe = nb06.WIDGET[0]
    first, _ = nb06._engine_variant(recipe)
    want = nb06.graph_gradients(*recipe.leaves)
    assert {name: first[recipe.names.index(name)] for name in want} == pytest.approx(want)


def test_every_named_mistake_changes_some_random_graph():
    graphs = [nb06.random_recipe(np.random.default_rng(seed)) for seed in range(30)]
    for m in mistakes.EXERCISES["nb06.engine"].mistakes:
        assert any(not np.allclose(np.concatenate(m.values(r)),
                                   np.concatenate(nb06._engine_variant(r))) for r in graphs), m.id


def test_random_graphs_stay_finite_and_use_each_operation():
    seen = set()
    for seed in range(200):
        r = nb06.random_recipe(np.random.default_rng(seed))
        assert 2 <= len(r.leaves) <= 3 and 4 <= len(r.ops) <= 7
        assert all(math.isfinite(v) for v in nb06._forward(r) + nb06._engine_variant(r)[0])
        seen |= {op for op, *_ in r.ops}
    assert seen == set(nb06.OPS)


def _rounded(values):
    return {round(float(v), 4) for v in values}


def test_a_wrong_answers_message_shows_no_right_gradient_the_student_has_not():
    from wrong_answers import ANSWERS

    graphs = [*nb06.ONE_OP, nb06.CHAIN_GRAPH, *nb06.WIDGET, nb06.FAN_OUT, *nb06.TWICE]
    right = _rounded(g for r in graphs for g in nb06._engine_variant(r)[0])
    inputs = _rounded(v for r in graphs for v in r.leaves)
    for wrong in [w for w in ANSWERS if w.exercise == "Value" and w.kind == "mistake"]:
        ns = {"np": np}
        exec(wrong.source, ns)
        own = set()
        for r in graphs:   # the student's own gradients: theirs to see
            try:
                own |= _rounded(nb06.engine_gradients(ns["Value"], r)[0])
            except Exception:
                pass
        with pytest.raises(AssertionError) as info:
            nb06.test_engine(ns["Value"])
        shown = _rounded(re.findall(r"-?\d+\.\d+(?:e-?\d+)?", str(info.value)))
        assert not shown & right - own - inputs, (wrong.misconception, str(info.value))


# --- notebook 08 reads the engine back ---------------------------------------------------------

def _notebook(tmp_path, cells):
    path = tmp_path / "06_chain_rule.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _engine_cell(source):
    return {"cell_type": "code", "source": source, "outputs": [], "execution_count": None,
            "metadata": {"nbgrader": {"grade_id": nb06.ENGINE_ID, "solution": True}}}


def test_notebook_08_uses_the_students_engine_once_it_passes(tmp_path, capsys):
    source = json.loads((__import__("solution_cells").SOLUTIONS / "06_chain_rule.ipynb").read_text())
    cell = next(c for c in source["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == nb06.ENGINE_ID)
    Value = nb06.engine_from_notebook(_notebook(tmp_path, [cell]))
    assert Value is not graph.Value and Value.__name__ == "Value"
    assert "using your Value" in capsys.readouterr().out
    assert solution_functions()["Value"] is not Value   # a fresh namespace, run from the file


@pytest.mark.parametrize("cells, said", [
    (None, "there is no"),
    ([], "has no cell of the engine exercise"),
    ([_engine_cell("class Value(:\n    pass")], "raised SyntaxError"),
    ([_engine_cell("raise RuntimeError('boom')")], "raised RuntimeError"),
    ([_engine_cell("Value = 3")], "defines no class Value"),
    ([_engine_cell("class Value:\n    def __init__(self, data):\n        raise NotImplementedError()")],
     "does not pass its check yet"),
])
def test_notebook_08_falls_back_to_bplibs_engine_with_a_note(tmp_path, capsys, cells, said):
    path = tmp_path / "06_chain_rule.ipynb" if cells is None else _notebook(tmp_path, cells)
    assert nb06.engine_from_notebook(path) is graph.Value
    out = capsys.readouterr().out
    assert said in out and "using bplib.graph.Value" in out


def test_notebook_08_falls_back_on_a_file_that_is_not_a_notebook(tmp_path, capsys):
    path = tmp_path / "06_chain_rule.ipynb"
    path.write_text("not json")
    assert nb06.engine_from_notebook(path) is graph.Value
    assert "could not be read" in capsys.readouterr().out


def test_under_the_grader_no_other_notebooks_code_runs(tmp_path, capsys, monkeypatch):
    from bpcourse import report

    monkeypatch.setenv(report.SEED_VARIABLE, "7")
    path = _notebook(tmp_path, [_engine_cell("raise SystemExit('ran')")])
    assert nb06.engine_from_notebook(path) is graph.Value
    assert "in grading" in capsys.readouterr().out
