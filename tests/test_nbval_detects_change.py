"""The notebook regression runs catch a change: nbval fails when a stored
output no longer matches what the notebook computes.

Strict mode (``--nbval``) over solutions/ compares every cell not tagged
otherwise; lax mode (``--nbval-lax``) over notebooks/ compares the cells
tagged ``nbval-check-output``, which the generator puts on every check.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "tests" / "sanitize.cfg"
NOT_COMPARED = {"nbval-ignore-output", "nbval-skip", "raises-exception"}
CI = os.environ.get("CI", "").lower() == "true"


def _first(folder):
    paths = sorted((ROOT / folder).glob("*.ipynb"))
    if not paths:
        if CI:
            pytest.fail(f"CI=true and {folder}/ holds no notebooks")
        pytest.skip(f"{folder}/ holds no notebooks")
    return paths[0]


def nbval(path, *options):
    """Run pytest with nbval on one notebook in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
         *options, str(path)],
        cwd=path.parent, capture_output=True, text=True, timeout=600)


def _stream_cells(nb, compared):
    for cell in nb.cells:
        if cell.cell_type == "code" and compared(cell):
            for output in cell.outputs:
                if output.output_type == "stream":
                    yield cell, output


def test_strict_nbval_fails_when_a_number_in_an_output_changes(tmp_path):
    source = _first("solutions")
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    shutil.copy(SANITIZE, tmp_path / "sanitize.cfg")

    ok = nbval(copy, "--nbval", "--nbval-sanitize-with", "sanitize.cfg")
    assert ok.returncode == 0, ok.stdout[-3000:]

    nb = nbformat.read(str(copy), as_version=4)
    compared = lambda c: not NOT_COMPARED & set(c.metadata.get("tags", []))  # noqa: E731
    for cell, output in _stream_cells(nb, compared):
        m = re.search(r"\d", output.text)
        if m:
            digit = str((int(m.group()) + 1) % 10)
            output.text = output.text[:m.start()] + digit + output.text[m.end():]
            break
    else:
        pytest.fail(f"{source.name} has no compared output with a number in it")
    nbformat.write(nb, str(copy))

    changed = nbval(copy, "--nbval", "--nbval-sanitize-with", "sanitize.cfg")
    assert changed.returncode != 0
    assert "Cell outputs differ" in changed.stdout


def test_lax_nbval_compares_the_checks_of_a_student_notebook(tmp_path):
    source = _first("notebooks")
    copy = tmp_path / source.name
    shutil.copy(source, copy)

    ok = nbval(copy, "--nbval-lax")
    assert ok.returncode == 0, ok.stdout[-3000:]

    nb = nbformat.read(str(copy), as_version=4)
    checked = lambda c: "nbval-check-output" in c.metadata.get("tags", [])  # noqa: E731
    cell, output = next(_stream_cells(nb, checked), (None, None))
    assert cell is not None, f"{source.name} has no check cell tagged nbval-check-output"
    output.text = output.text.replace("not done yet", "correct", 1)
    nbformat.write(nb, str(copy))

    changed = nbval(copy, "--nbval-lax")
    assert changed.returncode != 0
    assert "Cell outputs differ" in changed.stdout


def _sanitized(text):
    """``text`` after every regex of sanitize.cfg, read and applied as nbval does."""
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_sanitizer_forgives_a_last_digit_but_not_the_tenth_decimal():
    assert _sanitized("[0.40635318310184415, 2.5]") == _sanitized("[0.4063531831018441, 2.5]")
    assert _sanitized("0.4063531831018") != _sanitized("0.4063531832018")
    assert _sanitized("l = 0.1234") != _sanitized("l = 0.1235")
