"""The student notebooks: how they are made from the solutions, and that the
committed ones are exactly what the generator makes."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from bpinstructor import student
from bpcourse import NOT_DONE

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, NOTEBOOKS = ROOT / "solutions", ROOT / "notebooks"
def nbgrader(grade_id, **kw):
    meta = {"grade": False, "solution": False, "locked": False, "grade_id": grade_id,
            "schema_version": 3}
    meta.update(kw)
    return {"nbgrader": meta}


def small_notebook():
    """A solution notebook with every kind of region."""
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause row j holds the weights into j.\n"
                          "### END SOLUTION\nThe end."),
        new_code_cell("import numpy as np", metadata=nbgrader("setup", locked=True)),
        new_code_cell("def f(x):\n    '''doc'''\n    if x > 0:\n        ### BEGIN SOLUTION\n"
                      "        y = 2 * x\n        return y\n        ### END SOLUTION\n    return 0",
                      metadata=nbgrader("f", solution=True)),
        new_code_cell("print('visible')\n### BEGIN HIDDEN TESTS\nsecret_probe = f(3)\n"
                      "### END HIDDEN TESTS\nprint('after')",
                      metadata=nbgrader("f_test", grade=True, locked=True, points=2)),
    ]
    nb.cells[3].outputs = [new_output("stream", name="stdout", text="visible\nafter\n")]
    nb.cells[3].execution_count = 4
    return nb


# -- the transformation ------------------------------------------------------

def test_solution_region_becomes_stub_at_the_markers_indentation():
    nb, secrets = student.student_version(small_notebook(), "small.ipynb")
    assert nb.cells[2].source == ("def f(x):\n    '''doc'''\n    if x > 0:\n"
                                  "        # YOUR CODE HERE\n        raise NotImplementedError()\n"
                                  "    return 0")
    assert "        y = 2 * x" in secrets.solution and "        return y" in secrets.solution


def test_markdown_region_becomes_your_answer_here():
    nb, secrets = student.student_version(small_notebook(), "small.ipynb")
    assert nb.cells[0].source == "Why?\nYOUR ANSWER HERE\nThe end."
    assert "Because row j holds the weights into j." in secrets.solution


def test_hidden_tests_are_removed_and_the_rest_of_the_cell_kept():
    nb, secrets = student.student_version(small_notebook(), "small.ipynb")
    assert nb.cells[3].source == "print('visible')\nprint('after')"
    assert secrets.hidden == ["secret_probe = f(3)"]


def test_metadata_and_ids_kept_outputs_cleared_check_tag_added():
    solution = small_notebook()
    nb, _ = student.student_version(solution, "small.ipynb")
    assert [c.id for c in nb.cells] == [c.id for c in solution.cells]
    for mine, theirs in zip(nb.cells, solution.cells):
        assert mine.metadata.get("nbgrader") == theirs.metadata.get("nbgrader")
    assert nb.cells[3].outputs == [] and nb.cells[3].execution_count is None
    assert nb.cells[3].metadata["tags"] == [student.CHECK_TAG]      # graded test cell
    assert "tags" not in nb.cells[2].metadata                        # the exercise cell
    assert solution.cells[3].outputs, "the solution notebook must not be changed"
    assert "tags" not in solution.cells[3].metadata


def test_solution_cell_without_markers_is_replaced_whole():
    solution = small_notebook()
    solution.cells.append(new_code_cell("def g(x):\n    return x + 1", metadata=nbgrader("g", solution=True)))
    solution.cells.append(new_markdown_cell(
        "My answer: it is *W x*.", metadata=nbgrader("why", solution=True, grade=True, points=1)))
    nb, secrets = student.student_version(solution, "small.ipynb")
    assert nb.cells[4].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert nb.cells[5].source == "YOUR ANSWER HERE"
    assert "    return x + 1" in secrets.solution and "My answer: it is *W x*." in secrets.solution


def test_existing_check_tag_is_not_doubled():
    solution = small_notebook()
    solution.cells[3].metadata["tags"] = ["keep-me", student.CHECK_TAG]
    nb, _ = student.student_version(solution, "small.ipynb")
    assert nb.cells[3].metadata["tags"] == ["keep-me", student.CHECK_TAG]


@pytest.mark.parametrize("source, says", [
    ("x = 1\n### BEGIN SOLUTION\ny = 2", "has no '### END SOLUTION'"),
    ("### END SOLUTION\nx = 1", "without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
     "is still open"),
    ("### BEGIN HIDDEN TESTS\nx = 1\n### END SOLUTION", "without a '### BEGIN SOLUTION'"),
])
def test_unbalanced_markers_name_the_notebook_and_the_cell(source, says):
    nb = small_notebook()
    nb.cells.append(new_code_cell(source, id="broken-cell"))
    with pytest.raises(student.MarkerError) as e:
        student.student_version(nb, "07_example.ipynb")
    message = str(e.value)
    assert "07_example.ipynb" in message and "cell 4" in message and "broken-cell" in message
    assert says in message


def test_cli_reports_unbalanced_markers_without_a_traceback(tmp_path, capsys):
    nb = small_notebook()
    nb.cells[2].source = nb.cells[2].source.replace("        ### END SOLUTION\n", "")
    (tmp_path / "sol").mkdir()
    nbformat.write(nb, str(tmp_path / "sol" / "01_x.ipynb"))
    code = student.main([str(tmp_path / "sol"), str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "01_x.ipynb, cell 2" in err and "has no '### END SOLUTION'" in err
    assert not (tmp_path / "out" / "01_x.ipynb").exists()


def test_unknown_notebook_name_is_an_error(tmp_path, capsys):
    (tmp_path / "sol").mkdir()
    assert student.main([str(tmp_path / "sol"), str(tmp_path / "out"), "09_nothing"]) == 2
    assert "no solution notebook" in capsys.readouterr().err


def test_leaks_finds_solution_and_hidden_lines_but_not_shared_ones():
    solution = small_notebook()
    solution.cells.append(new_code_cell("return_value = 0"))
    nb, secrets = student.student_version(solution, "small.ipynb")
    assert student.leaks(nb, secrets, solution) == []
    nb.cells[2].source += "\n        y = 2 * x"
    nb.cells[1].source += "\nsecret_probe = f(3)"
    found = student.leaks(nb, secrets, solution)
    assert len(found) == 2
    assert any("solution line" in f and "y = 2 * x" in f for f in found)
    assert any("hidden test line" in f and "secret_probe" in f for f in found)


def test_a_line_shown_openly_elsewhere_is_not_a_leak():
    solution = small_notebook()
    solution.cells.append(new_code_cell("y = 2 * x"))   # the same line, outside any region
    nb, secrets = student.student_version(solution, "small.ipynb")
    assert student.leaks(nb, secrets, solution) == []


def test_a_reported_value_in_a_student_notebook_is_a_leak():
    solution = small_notebook()
    nb, secrets = student.student_version(solution, "small.ipynb")
    nb.cells[3].outputs = [new_output("display_data", data={student.REPORT: {"name": "f"},
                                                            "text/plain": "reported f"})]
    assert any("reported value" in f for f in student.leaks(nb, secrets, solution))


# -- normalization -------------------------------------------------------------

def test_normalize_renumbers_widget_ids_and_drops_state_nobody_shows():
    shown, child, orphan = "a" * 32, "b" * 32, "c" * 32
    nb = new_notebook(cells=[new_code_cell("w"),
                             new_code_cell("timing", metadata={"tags": ["nbval-ignore-output"]})])
    view = {student.WIDGET_VIEW: {"model_id": shown, "version_major": 2, "version_minor": 0},
            "text/plain": "VBox()"}
    nb.cells[0].outputs = [new_output("execute_result", data=view, execution_count=1)]
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="took 1.23 s\n"),
                           new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                            "text/plain": "<Figure>"})]
    nb.metadata["widgets"] = {student.WIDGET_STATE: {"state": {
        orphan: {"model_name": "LayoutModel", "state": {}},
        shown: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{child}"]}},
        child: {"model_name": "HTMLModel", "state": {"value": "hi"}}},
        "version_major": 2, "version_minor": 0}}
    out = student.normalize(nb)
    state = out.metadata["widgets"][student.WIDGET_STATE]["state"]
    one, two = f"{1:032x}", f"{2:032x}"
    assert list(state) == [one, two]
    assert out.cells[0].outputs[0].data[student.WIDGET_VIEW]["model_id"] == one
    assert state[one]["state"]["children"] == [f"IPY_MODEL_{two}"]
    assert [o.output_type for o in out.cells[1].outputs] == ["display_data"]  # the picture stays


def test_generation_is_byte_for_byte_reproducible(tmp_path, need):
    need(_has_kernel(), "no python3 Jupyter kernel is installed")
    nb = small_notebook()
    nb.cells.append(new_code_cell("import ipywidgets as w\nw.VBox([w.IntSlider(3), w.HTML('x')])"))
    nb.cells.append(new_code_cell("import time\nprint(time.time())",
                                  metadata={"tags": ["nbval-ignore-output"]}))
    (tmp_path / "sol").mkdir()
    nbformat.write(nb, str(tmp_path / "sol" / "01_x.ipynb"))
    first, _ = student.generate(tmp_path / "sol" / "01_x.ipynb", tmp_path / "a")
    second, _ = student.generate(tmp_path / "sol" / "01_x.ipynb", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    out = nbformat.read(str(first), as_version=4)
    assert out.cells[3].outputs[0].text == "visible\nafter\n"
    assert out.metadata["widgets"][student.WIDGET_STATE]["state"]
    assert out.cells[5].outputs == [] and out.cells[5].execution_count is not None
    assert "execution" not in out.cells[3].metadata


def test_comparison_masks_the_bytes_of_pictures_only(tmp_path):
    def notebook(png, text, buffer):
        nb = new_notebook()
        nb.cells = [new_code_cell("plot()", id="plot", outputs=[
            new_output("display_data", data={"image/png": png, "text/plain": text})])]
        nb.metadata["widgets"] = {student.WIDGET_STATE: {"state": {"1": {"buffers": [
            {"data": buffer, "encoding": "base64", "path": ["value"]}]}}}}
        path = tmp_path / f"{png}{text}{buffer}.ipynb"
        nbformat.write(nb, str(path))
        return path

    base = notebook("iVBORa", "<Figure>", "iVBORx")
    assert student.same(base, notebook("iVBORb", "<Figure>", "iVBORy"))  # other pixels
    other_text = notebook("iVBORa", "<Figure 2>", "iVBORx")
    assert not student.same(base, other_text)
    assert "<Figure 2>" in "\n".join(student._diff(base, other_text, "n"))


def test_comparison_masks_a_pictures_bytes_inside_its_html_but_not_its_alt_text(tmp_path):
    def notebook(png, alt):
        html = f'<img alt="{alt}" src="data:image/png;base64,{png}">'
        nb = new_notebook()
        nb.cells = [new_code_cell("show(fig)", id="plot", outputs=[new_output(
            "display_data", data={"text/html": html, "image/png": png, "text/plain": alt})])]
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nb, str(path))
        return path

    base = notebook("iVBORa", "loss curve")
    assert student.same(base, notebook("iVBORb+/=", "loss curve"))
    assert not student.same(base, notebook("iVBORa", "loss curve 2"))


def _has_kernel():
    from jupyter_client.kernelspec import KernelSpecManager

    return student.KERNEL["name"] in KernelSpecManager().find_kernel_specs()


# -- the committed notebooks -------------------------------------------------

NAMES = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
_regenerated = {}


@pytest.fixture
def regenerated(request, tmp_path_factory, need):
    """The student notebook made afresh from its solution: (path, secrets)."""
    name = request.param
    need(_has_kernel(), "no python3 Jupyter kernel is installed")
    if name not in _regenerated:
        out = tmp_path_factory.mktemp("student")
        _regenerated[name] = student.generate(SOLUTIONS / name, out, cwd=NOTEBOOKS)
    return _regenerated[name]


def test_there_are_solution_notebooks(need):
    need(NAMES, "solutions/ holds no notebooks")
    assert len(NAMES) >= 4


@pytest.mark.slow
@pytest.mark.parametrize("regenerated", NAMES, indirect=True)
def test_committed_student_notebook_is_what_the_generator_makes(regenerated):
    path, _ = regenerated
    committed = NOTEBOOKS / path.name
    assert committed.exists(), f"{committed} is missing: run `bplib student solutions/ notebooks/`"
    if not student.same(committed, path):
        diff = "\n".join(student._diff(committed, path, path.name))
        pytest.fail(f"{committed} differs from a fresh generation "
                    f"(run `bplib student solutions/ notebooks/ {path.name}`):\n{diff}")


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_or_hidden_test_line_reaches_a_student_notebook(name, need):
    solution = nbformat.read(str(SOLUTIONS / name), as_version=4)
    _, secrets = student.student_version(solution, name)
    need((NOTEBOOKS / name).exists(), f"notebooks/{name} has not been generated")
    committed = nbformat.read(str(NOTEBOOKS / name), as_version=4)
    assert student.leaks(committed, secrets, solution) == []
    assert secrets.solution, f"{name} has no exercise"


@pytest.mark.slow
@pytest.mark.parametrize("regenerated", NAMES, indirect=True)
def test_student_notebook_runs_and_every_check_says_not_done_yet(regenerated):
    # generate() ran the notebook top to bottom with nbclient, which raises on
    # the first cell that fails: getting here means there was no error.
    path, _ = regenerated
    nb = nbformat.read(str(path), as_version=4)
    graded = [c for c in nb.cells if c.cell_type == "code"
              and c.metadata.get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")]
    assert graded, f"{path.name} has no graded test cell"
    for cell in graded:
        assert not any(o.output_type == "error" for o in cell.outputs)
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert NOT_DONE in text, (f"{path.name}, cell {cell.id}: the check should say "
                                  f"'not done yet' in the student version, printed {text!r}")
        assert student.CHECK_TAG in cell.metadata.get("tags", [])
    for cell in nb.cells:
        assert all(o.output_type != "error" for o in cell.get("outputs", []))


def test_check_command_fails_on_a_changed_student_notebook(tmp_path, need):
    need(_has_kernel(), "no python3 Jupyter kernel is installed")
    sol, out = tmp_path / "sol", tmp_path / "out"
    sol.mkdir()
    nbformat.write(small_notebook(), str(sol / "01_x.ipynb"))
    assert student.main([str(sol), str(out)]) == 0
    assert student.main([str(sol), str(out), "--check"]) == 0
    nb = json.loads((out / "01_x.ipynb").read_text())
    nb["cells"][2]["source"] = ["def f(x):\n", "    return 2 * x"]
    (out / "01_x.ipynb").write_text(json.dumps(nb, indent=1))
    result = subprocess.run([sys.executable, "-m", "bpinstructor.student", str(sol), str(out), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "differs from a fresh generation" in result.stderr and "@@" in result.stderr
