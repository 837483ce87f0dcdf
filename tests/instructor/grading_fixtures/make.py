"""The fixture assignment of the grading tests, and submissions made from it.

``python tests/instructor/grading_fixtures/make.py`` writes ``solutions/layer.ipynb``;
the tests build every submission from it in memory.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
SOLUTIONS = HERE / "solutions"


def _nbgrader(cell, grade_id, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked,
            "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


SIGMOID = '''def sigmoid(s):
    """sigma(s) = 1 / (1 + exp(-s)), element-wise; same shape as s."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-s))
    ### END SOLUTION'''

LAYER = '''def layer(W, b, X):
    """x^(l) = sigma(X W^T + b) for a batch X of shape (N, d_{l-1}); returns (N, d_l)."""
    ### BEGIN SOLUTION
    return sigmoid(X @ W.T + b)
    ### END SOLUTION'''

TEST_SIGMOID = '''assert np.isclose(sigmoid(np.array([0.0]))[0], 0.5), "sigma(0) should be 1/2"
### BEGIN HIDDEN TESTS
s = probe_rng().normal(size=(5, 3)) * 4
report("sigmoid", sigmoid(s))
### END HIDDEN TESTS'''

TEST_LAYER = '''assert layer(np.eye(2), np.zeros(2), np.zeros((1, 2))).shape == (1, 2)
### BEGIN HIDDEN TESTS
rng = probe_rng()
W, b, X = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(6, 3))
report("layer", layer(W, b, X))
report("layer_zero_input", layer(W, b, np.zeros((1, 3))))
### END HIDDEN TESTS'''


def solution():
    """The solution notebook: two exercises worth 2 and 3 points."""
    cells = [
        new_markdown_cell("# One layer of an MLP\n\nx^(l) = sigma(W^(l) x^(l-1) + b^(l))."),
        _nbgrader(new_code_cell("import numpy as np\nfrom bpcourse.report import probe_rng, report"),
                  "setup", locked=True),
        new_markdown_cell("**Exercise 1.** Write the logistic sigmoid."),
        _nbgrader(new_code_cell(SIGMOID), "sigmoid", solution=True),
        _nbgrader(new_code_cell(TEST_SIGMOID), "test_sigmoid", grade=True, locked=True, points=2),
        new_markdown_cell("**Exercise 2.** The forward pass of one layer, batches as rows."),
        _nbgrader(new_code_cell(LAYER), "layer", solution=True),
        _nbgrader(new_code_cell(TEST_LAYER), "test_layer", grade=True, locked=True, points=3),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    SOLUTIONS.mkdir(exist_ok=True)
    nbformat.write(solution(), SOLUTIONS / "layer.ipynb")


def student(nb=None):
    """The notebook as the students receive it (what nbgrader would release)."""
    import copy

    from bpinstructor import cells

    nb = copy.deepcopy(nb or solution())
    for cell in nb.cells:
        cell.source = cells.student_version(cell.source, cell.cell_type)
    return nb


def answered(answers, nb=None):
    """A student notebook whose answer cells hold ``answers`` (grade_id -> source)."""
    from bpinstructor import cells

    nb = student(nb)
    for cell in nb.cells:
        if cells.grade_id(cell) in answers:
            cell.source = answers[cells.grade_id(cell)]
    return nb


def cell(nb, grade_id):
    """The index of the cell with ``grade_id``."""
    from bpinstructor import cells

    return next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == grade_id)
