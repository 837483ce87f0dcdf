"""Unit tests of the grader's parts that need no kernel: nbgrader markers,
restoring cells, reading malformed files, comparing reports, the gradebook
and the feedback."""
import copy
import json

import nbformat
import pytest
from grading_fixtures import make

from bpinstructor import cells
from bpinstructor.grading import merge, verdict
from bpinstructor.grading.feedback import feedback, write_csv
from bpinstructor.grading.cli import shard_of
from bpinstructor.grading.grade import CellResult, NotebookResult, open_submission
from bpinstructor.grading.gradebook import Gradebook, safe_text
from bpcourse.report import MIME


def test_student_version_stubs_solutions_and_drops_hidden_tests():
    sol = make.solution()
    stub = cells.student_version(make.SIGMOID)
    assert "    raise NotImplementedError()" in stub
    assert "np.exp" not in stub and "BEGIN" not in stub
    test = cells.student_version(make.TEST_LAYER)
    assert test.strip() == make.TEST_LAYER.splitlines()[0]
    assert cells.hidden_part(make.TEST_LAYER) == make.TEST_LAYER.splitlines()[2:-1]
    kinds = [cells.kind(c) for c in sol.cells]
    assert kinds == ["plain", "locked", "plain", "answer", "test", "plain", "answer", "test"]
    assert sum(cells.points(c) for c in sol.cells) == 5


def test_restore_takes_tests_from_the_solution_not_the_submission():
    sol, sub = make.solution(), make.student()
    i = make.cell(sub, "test_sigmoid")
    sub.cells[i].source = "report('sigmoid', [0.5])  # a test the student wrote"
    merged, notes = merge.restore(sol, sub)
    j = make.cell(merged, "test_sigmoid")
    assert merged.cells[j].source == make.TEST_SIGMOID
    assert any("test_sigmoid" in n and "edited" in n for n in notes)


def test_restore_leaves_the_answers_and_unmarked_cells_of_the_student():
    sol = make.solution()
    sub = make.answered({"sigmoid": "def sigmoid(s):\n    return s"})
    sub.cells.insert(3, nbformat.v4.new_code_cell("helper = 1"))
    merged, notes = merge.restore(sol, sub)
    assert notes == []
    assert merged.cells[make.cell(merged, "sigmoid")].source.endswith("return s")
    assert any(c.source == "helper = 1" for c in merged.cells)


def test_restore_puts_deleted_cells_back_in_place():
    sol, sub = make.solution(), make.student()
    del sub.cells[make.cell(sub, "test_layer")]
    del sub.cells[make.cell(sub, "sigmoid")]
    merged, notes = merge.restore(sol, sub)
    ids = [cells.grade_id(c) for c in merged.cells if cells.grade_id(c)]
    assert ids == ["setup", "sigmoid", "test_sigmoid", "layer", "test_layer"]
    assert "NotImplementedError" in merged.cells[make.cell(merged, "sigmoid")].source
    assert merged.cells[make.cell(merged, "test_layer")].source == make.TEST_LAYER
    assert len(notes) == 2 and all("missing" in n for n in notes)


def test_restore_ignores_duplicated_ids_and_copes_with_changed_types():
    sol = make.solution()
    sub = make.answered({"layer": "def layer(W, b, X):\n    return X"})
    dup = copy.deepcopy(sub.cells[make.cell(sub, "layer")])
    dup.source = "def layer(W, b, X):\n    return 'second copy'"
    sub.cells.append(dup)
    t = make.cell(sub, "test_sigmoid")
    sub.cells[t] = nbformat.v4.new_markdown_cell(sub.cells[t].source, metadata=sub.cells[t].metadata)
    a = make.cell(sub, "sigmoid")
    sub.cells[a] = nbformat.v4.new_raw_cell(sub.cells[a].source, metadata=sub.cells[a].metadata)
    merged, notes = merge.restore(sol, sub)
    assert [cells.grade_id(c) for c in merged.cells].count("layer") == 1
    assert "second copy" not in json.dumps(merged)
    assert merged.cells[make.cell(merged, "test_sigmoid")].cell_type == "code"
    assert merged.cells[make.cell(merged, "sigmoid")].cell_type == "code"
    text = " ".join(notes)
    assert "more than once" in text and "markdown" in text and "raw" in text


@pytest.mark.parametrize("content, why", [
    (b"{not json", "not valid JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (b'{"nbformat": 5, "nbformat_minor": 0, "cells": []}', "nbformat 5"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}',
     "structure is invalid"),
    (b"\xff\xfe\x00", "not valid JSON"),
])
def test_malformed_files_get_a_clear_message(tmp_path, content, why):
    path = tmp_path / "layer.ipynb"
    path.write_bytes(content)
    with pytest.raises(merge.Malformed, match=why):
        merge.load(path)


def _report(name, value):
    import numpy as np

    a = np.asarray(value, dtype=float)
    return name, {"name": name, "shape": list(a.shape), "value": a.ravel().tolist()}


def test_compare_needs_every_report_once_and_close():
    want = [_report("a", [[1.0, 2.0]]), _report("b", 3.0)]
    assert verdict.compare(want, [_report("b", 3.0 + 1e-12), _report("a", [[1.0, 2.0]])]) == (True, [])
    cases = {
        "differ": [_report("a", [[1.0, 2.1]]), _report("b", 3.0)],
        "shape": [_report("a", [1.0, 2.0]), _report("b", 3.0)],
        "no result": [_report("a", [[1.0, 2.0]])],
        "2 times": want + [_report("a", [[1.0, 2.0]])],
        "does not ask for": want + [_report("c", 1.0)],
    }
    for expected_words, got in cases.items():
        passed, messages = verdict.compare(want, got)
        assert not passed and expected_words in " ".join(messages), expected_words


def test_compare_does_not_trust_the_payload():
    want = [_report("a", [1.0, 2.0])]
    for payload in [{"name": "a", "shape": [2], "value": [True, 2.0]},
                    {"name": "a", "shape": [2], "value": ["1", "2"]},
                    {"name": "a", "shape": [3], "value": [1.0, 2.0]},
                    {"name": "a", "shape": "2", "value": [1.0, 2.0]},
                    {"name": "a", "error": "TypeError: not numbers"}]:
        assert not verdict.compare(want, [("a", payload)])[0], payload


def test_nan_and_inf_travel_from_the_kernel_and_are_named(monkeypatch):
    import numpy as np

    from bpcourse import report

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append(data))
    report.report("J", [[np.nan, 1.0], [np.inf, -np.inf]])
    payload = shown[0][report.MIME]
    assert payload["value"] == ["nan", 1.0, "inf", "-inf"]   # JSON has no nan: strings
    have, why = verdict.as_array(payload)
    assert why is None and np.isnan(have[0, 0]) and have[1, 0] == np.inf and have[1, 1] == -np.inf
    passed, messages = verdict.compare([_report("J", [[0.5, 1.0], [2.0, 3.0]])], [("J", payload)])
    assert not passed and "3 of 4 numbers differ" in messages[0] and "nan or inf" in messages[0]
    # a mistake whose values are nan (a softmax that overflows) is recognised by them
    assert verdict.compare([("J", payload)], [("J", payload)]) == (True, [])
    assert verdict.as_array({"shape": [1], "value": ["NaN!"]})[0] is None


@pytest.mark.parametrize("payload, why", [
    ({"shape": [1], "value": [10**400]}, "too large"),
    ({"shape": [1] * 100, "value": [1.0]}, "32 dimensions"),
    ({"shape": [2**40, 2**40], "value": [1.0]}, "no shape"),
    ({"shape": [2], "value": [[1.0], [2.0]]}, "not a list of numbers"),
    ({"shape": [1], "value": [1.0], "error": "ValueError: secret"}, "could not be read"),
])
def test_reports_are_checked_before_numpy_sees_them(payload, why):
    array, message = verdict.as_array(payload)
    assert array is None and why in message and "secret" not in message
    passed, messages = verdict.compare([_report("a", [1.0])], [("a", dict(payload, name="a"))])
    assert not passed and why in " ".join(messages)


def test_names_the_solution_does_not_report_never_reach_the_feedback():
    secret = "report('layer', layer(W, b, X))".encode().hex()
    passed, messages = verdict.compare([_report("a", 1.0)], [_report("a", 1.0),
                                                             _report(secret, 1.0),
                                                             _report(secret, 2.0)])
    assert not passed and "2 result(s)" in messages[0] and secret not in " ".join(messages)


def test_only_report_outputs_are_read():
    good = {"output_type": "display_data", "data": {MIME: {"name": "a"}}, "metadata": {}}
    printed = {"output_type": "stream", "name": "stdout", "text": json.dumps({MIME: {"name": "b"}})}
    assert [n for n, _ in verdict.reports([good, printed])] == ["a"]


def _result(student, score, status="graded"):
    r = NotebookResult(student, "layer.ipynb", status, score=score, max_score=5,
                       notes=["a note"], flags=["cells repaired"] if score else [])
    r.cells = [CellResult("test_sigmoid", "passed" if score else "failed", min(score, 2), 2,
                          "" if score else "NotImplementedError", "detail for the instructor"),
               CellResult("test_layer", "passed" if score > 2 else "failed", max(score - 2, 0), 3)]
    return r


def test_gradebook_keeps_and_replaces_rows(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.record(_result("ann", 5), seed=1)
    book.record(_result("bo", 0), seed=1)
    book.record(_result("bo", 2), seed=2)
    again = Gradebook(tmp_path / "g.sqlite")  # a second connection sees committed rows
    assert again.done() == {("ann", "layer.ipynb"), ("bo", "layer.ipynb")}
    assert [r["score"] for r in again.notebooks()] == [5, 2]
    assert [c["status"] for c in again.cells("bo", "layer.ipynb")] == ["passed", "failed"]
    again.forget("bo")
    assert book.done() == {("ann", "layer.ipynb")}
    assert book.cells("bo", "layer.ipynb") == []


def test_feedback_and_csv(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.record(_result("ann", 5), seed=1)
    book.record(_result("bo", 0), seed=1)
    text = feedback(book, "bo")
    assert "0 / 5" in text and "NotImplementedError" in text and "a note" in text
    assert "detail for the instructor" not in text
    write_csv(book, tmp_path / "s.csv", ["layer.ipynb"])
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert rows[0] == "student,layer.ipynb,total,max_total,flags"
    assert rows[1].startswith("ann,5,5,5,") and rows[2].startswith("bo,0,0,5")


def test_answers_graded_by_hand_are_kept_and_put_back_when_deleted():
    sol = make.solution()
    essay = nbformat.v4.new_markdown_cell(
        "Why sigma'?\n\n### BEGIN SOLUTION\nThe chain rule.\n### END SOLUTION")
    essay.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                  "grade_id": "why", "points": 1, "schema_version": 3}
    sol.cells.append(essay)
    assert cells.kind(essay) == "manual" and cells.points(essay) == 1
    sub = make.student(sol)
    sub.cells[-1].source = "Because of the chain rule."
    merged, notes = merge.restore(sol, sub)
    assert merged.cells[-1].source == "Because of the chain rule." and notes == []
    del sub.cells[-1]
    merged, notes = merge.restore(sol, sub)
    assert "YOUR ANSWER HERE" in merged.cells[-1].source and "chain rule" not in merged.cells[-1].source
    assert "unanswered" in notes[0]


def test_an_nbformat_3_submission_is_read(tmp_path):
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell(input="x = 1")])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.v3.writes_json(v3))
    assert merge.load(path).cells[0].source == "x = 1"


def test_texts_are_made_safe_and_names_keep_their_bytes(tmp_path):
    import os

    raw = b"l\xe9a"  # Latin-1, as unzipped from an old archive
    name = os.fsdecode(raw)
    assert safe_text(name) == "l\\xe9a"
    assert safe_text("a\ud800b\nc\u202e") == "a\\ud800b\\x0ac\\u202e"
    assert safe_text("Zo\u00eb") == "Zo\u00eb"
    book = Gradebook(tmp_path / "g.sqlite")
    r = _result(name, 2)
    r.notes, r.cells[0].message = ["lone \udc80 surrogate"], "\ud83d"
    book.record(r, seed=1)
    [row] = book.notebooks()
    assert row["student"] == "l\\xe9a" and row["student_bytes"] == raw
    text = feedback(book, row["student"])
    text.encode("utf-8")  # strict: no surrogate left
    write_csv(book, tmp_path / "s.csv", ["layer.ipynb"])
    assert "l\\xe9a" in (tmp_path / "s.csv").read_text(encoding="utf-8")


def test_only_regular_files_in_a_real_folder_are_read(tmp_path):
    import os

    folder = tmp_path / "ann"
    folder.mkdir()
    nbformat.write(make.student(), tmp_path / "real.ipynb")
    assert open_submission(folder, "layer.ipynb") is None
    (folder / "layer.ipynb").symlink_to(tmp_path / "real.ipynb")
    with pytest.raises(merge.Malformed, match="symbolic link"):
        open_submission(folder, "layer.ipynb")
    (folder / "layer.ipynb").unlink()
    os.mkfifo(folder / "layer.ipynb")  # reading it would block forever
    with pytest.raises(merge.Malformed, match="FIFO"):
        open_submission(folder, "layer.ipynb")
    (tmp_path / "bo").symlink_to(folder)
    with pytest.raises(merge.Malformed, match="folder is a symbolic link"):
        open_submission(tmp_path / "bo", "layer.ipynb")
    with pytest.raises(merge.Malformed, match="not a regular file"):
        merge.load(folder / "layer.ipynb")


def test_a_lone_surrogate_in_a_cell_is_replaced_not_fatal(tmp_path):
    nb = make.answered({"sigmoid": "x = 1  # \ud800"})
    (tmp_path / "a.ipynb").write_text(json.dumps(nb, ensure_ascii=True))
    source = merge.load(tmp_path / "a.ipynb").cells[make.cell(nb, "sigmoid")].source
    assert source == "x = 1  # \ufffd"
    source.encode("utf-8")


@pytest.mark.parametrize("text, env, want", [
    ("2/4", {}, (2, 4)),
    ("4", {"JOB_COMPLETION_INDEX": "3"}, (3, 4)),
    ("4", {"SLURM_ARRAY_TASK_ID": "1"}, (1, 4)),
    ("4", {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"}, (0, 4)),  # --array=1-4
    # task 1 submitted again on its own (sbatch --array=1) grades part 1 again
    ("4", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "1"},
     (1, 4)),
])
def test_shard_index_from_the_option_or_the_scheduler(text, env, want):
    assert shard_of(text, env) == want


@pytest.mark.parametrize("text, env, why", [
    ("4", {}, "JOB_COMPLETION_INDEX"), ("4/4", {}, "not in 0..3"), ("a/b", {}, "I/N"),
    ("4", {"SLURM_ARRAY_TASK_ID": "x"}, "not a number"),
    ("4", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "8"}, "8 tasks for 4 parts"),
])
def test_bad_shards_are_refused(text, env, why):
    with pytest.raises(ValueError, match=why):
        shard_of(text, env)


def test_the_default_cell_timeout_is_fitted_to_the_solution():
    from bpinstructor.grading.grade import MIN_TIMEOUT, TIMEOUT_FACTOR, Options, fitted

    assert fitted(Options(), 0.2).timeout == MIN_TIMEOUT
    slow = fitted(Options(), 7.3)
    assert slow.timeout == 37 == -(-TIMEOUT_FACTOR * 7.3 // 1) and slow.notebook_timeout == 740
    given = fitted(Options(timeout=3, notebook_timeout=50), 7.3)
    assert (given.timeout, given.notebook_timeout) == (3, 50)


def test_clearing_stale_work_folders_follows_no_link(tmp_path, monkeypatch):
    import tempfile

    from bpinstructor.grading import grade

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = tmp_path / "precious"
    target.mkdir()
    (target / "file").write_text("keep")
    target.chmod(0o500)
    dead = 2**22 + 1  # above any pid_max: no such process
    (tmp_path / f"bplib-grade-{dead}-link").symlink_to(target)
    stale = tmp_path / f"bplib-grade-{dead}-real"
    (stale / "w1" / "locked").mkdir(parents=True)
    (stale / "w1" / "link").symlink_to(target)
    (stale / "w1" / "locked").chmod(0)  # as a kernel may leave it
    grade._remove_stale_roots()
    assert not stale.exists()
    assert (tmp_path / f"bplib-grade-{dead}-link").is_symlink()
    assert (target / "file").read_text() == "keep" and target.stat().st_mode & 0o777 == 0o500
    target.chmod(0o700)


def test_kernels_are_run_from_code_that_has_an_event_loop_running():
    """As in a notebook, or a test session that drives a browser."""
    import asyncio

    from bpinstructor.grading.kernel import run_sync

    async def answer():
        return 42

    async def caller():
        return run_sync(answer())

    assert run_sync(answer()) == 42
    assert asyncio.run(caller()) == 42


@pytest.mark.parametrize("marker, flag", [("__delegated__", "answer delegated to bplib"),
                                          ("__method__", "method not followed")])
def test_a_reported_delegation_or_forbidden_method_scores_nothing(marker, flag):
    """What a hidden test reports against the answer (bpcourse.report) costs the cell its points."""
    from bpcourse import report

    assert marker in (report.DELEGATED, report.METHOD)
    right = [("forward", {"name": "forward", "shape": [1], "value": [1.0]})]
    got = right + [(marker, {"name": marker})]
    [(reason, got_flag)] = verdict.refused(got)
    assert got_flag == flag and "0 points" in reason
    assert verdict.compare(right, got) == (False, [reason])
    assert verdict.compare(right, right)[0]
