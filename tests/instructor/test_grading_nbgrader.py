"""The solution notebooks also work in a course that uses nbgrader:
``nbgrader generate_assignment`` accepts them and releases the same student
notebooks the grader expects (so restoring cells finds nothing edited)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make

from bpinstructor import cells
from bpinstructor.grading import merge


def _nbgrader():
    """The nbgrader command, or None."""
    try:
        import nbgrader  # noqa: F401
        return [sys.executable, "-m", "nbgrader"]
    except ImportError:
        found = shutil.which("nbgrader")
        return [found] if found else None


NBGRADER = _nbgrader()
pytestmark = pytest.mark.skipif(
    NBGRADER is None and os.environ.get("CI") != "true",
    reason="nbgrader is not installed (in CI this test fails instead)")


def _release(tmp_path, solution):
    assert NBGRADER is not None, "nbgrader is needed: pip install nbgrader"
    (tmp_path / "source" / "ps1").mkdir(parents=True)
    nbformat.write(solution, tmp_path / "source" / "ps1" / "layer.ipynb")
    env = dict(os.environ)
    # nbgrader runs its database migrations with the `alembic` script next to it
    env["PATH"] = os.pathsep.join([str(Path(NBGRADER[0]).parent), env.get("PATH", "")])
    done = subprocess.run(NBGRADER + ["generate_assignment", "ps1", "--force"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return nbformat.read(tmp_path / "release" / "ps1" / "layer.ipynb", 4)


def test_nbgrader_releases_what_the_grader_expects(tmp_path):
    solution = make.solution()
    released = _release(tmp_path, solution)
    ours = make.student(solution)
    assert [cells.grade_id(c) for c in released.cells] == [cells.grade_id(c) for c in ours.cells]
    for theirs, mine in zip(released.cells, ours.cells):
        assert cells.same_source(theirs.source, mine.source), cells.grade_id(mine)
        assert cells.kind(theirs) == cells.kind(mine)
        assert cells.points(theirs) == cells.points(mine)
    assert "BEGIN HIDDEN" not in nbformat.writes(released)
    # a notebook released by nbgrader restores without any repair
    merged, notes = merge.restore(solution, released)
    assert notes == []
    assert merged.cells[make.cell(merged, "test_layer")].source == make.TEST_LAYER
