"""Any cell can be run again after Run All: no new error, every solved check stays correct.

Each notebook (solution and student version) runs top to bottom in one kernel, then every code cell
runs once more, from the last to the first, in the same kernel. A cell must
then raise no error it did not raise the first time, and print the same
verdicts and truth values ("correct", "the same: True").
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("solutions/*.ipynb")) + sorted(ROOT.glob("notebooks/*.ipynb"))
CHECK = re.compile(r"^(.*?): (correct|not right yet|not done yet|not accepted)", re.M)


def _errors(cell):
    return [o["ename"] for o in cell.outputs if o.get("output_type") == "error"]


def _checks(cell):
    """The checks' verdicts and the truth values a cell prints ("the same: True")."""
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    return CHECK.findall(text) + re.findall(r"\b(?:True|False)\b", text)


@pytest.fixture
def private_jupyter(tmp_path, monkeypatch):
    """Jupyter's, IPython's and matplotlib's folders in the test's own temporary folder."""
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS])
def test_every_cell_runs_again_after_run_all(path, private_jupyter):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":   # the long runs are not what this test is about
            cell.source = re.sub(r"epochs=\d+", "epochs=2", cell.source)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(private_jupyter)}})
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with client.setup_kernel():
        first = {}
        for i, cell in code:
            client.execute_cell(cell, i)
            first[i] = (_errors(cell), _checks(cell))
        for i, cell in reversed(code):
            client.execute_cell(cell, i)
            errors, checks = _errors(cell), _checks(cell)
            assert not set(errors) - set(first[i][0]), (
                f"cell {i} raised {errors} when run again after Run All:\n{cell.source}")
            assert checks == first[i][1], (
                f"cell {i} checked {first[i][1]} after Run All, {checks} when run again")
    assert all(not e for e, _ in first.values()), f"Run All raised: {first}"
