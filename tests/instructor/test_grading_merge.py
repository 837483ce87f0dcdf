"""`bplib grade merge` never loses a student: the parts' gradebooks are only
read, a file that is not one is refused in words, and the merged class is
checked against its submissions folder (every student x notebook exactly
once) before anything is written."""
import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bpinstructor.cli import main
from bpinstructor.grading.grade import CellResult, NotebookResult
from bpinstructor.grading.gradebook import Gradebook
from bpinstructor.grading.shards import part

STUDENTS = ["ann", "bo", "cy", "di", "ed"]
NOTEBOOKS = ["a.ipynb", "b.ipynb"]


def _result(student, notebook):
    r = NotebookResult(student, notebook, "graded", score=len(student), max_score=5,
                       notes=["a note"])
    r.cells = [CellResult("test_x", "passed", 2, 2, "", "detail"), CellResult("test_y", "failed", 0, 3)]
    return r


@pytest.fixture
def course(tmp_path):
    """A class of five students, two notebooks, graded in two parts as `--shard i/2` does."""
    for s in STUDENTS:
        (tmp_path / "submissions" / s).mkdir(parents=True)
    (tmp_path / "solutions").mkdir()
    for n in NOTEBOOKS:
        (tmp_path / "solutions" / n).write_text("{}")
    for i in range(2):
        book = Gradebook(tmp_path / f"grades.shard-{i}-of-2.sqlite")
        for s in part(STUDENTS, i, 2):
            for n in NOTEBOOKS:
                book.record(_result(s, n), seed=i)
        book.close()
    return tmp_path


def _merge(course, *extra, shards=None):
    shards = shards or sorted(course.glob("grades.shard-*-of-2.sqlite"))
    return main(["grade", "merge", *map(str, shards), "--gradebook", str(course / "all.sqlite"),
                 "--submissions", str(course / "submissions"), "--solutions",
                 str(course / "solutions"), "--csv", str(course / "all.csv"), *extra])


def _digest(folder):
    """Every file of ``folder`` with its bytes' hash: what the merge must leave as it was."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def test_a_complete_class_merges_and_the_parts_are_only_read(course, capsys):
    # a part written by an older grader: no WAL, no `detail` column, which opening it
    # as a gradebook would add
    old = course / "grades.shard-1-of-2.sqlite"
    with sqlite3.connect(old) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("ALTER TABLE cells DROP COLUMN detail")
    db.close()
    before = _digest(course)
    assert _merge(course) == 0
    out = capsys.readouterr().out
    assert "10 notebooks of 5 students from 2 gradebooks" in out
    assert "every student's notebooks are there" in out
    after = _digest(course)
    assert {k: v for k, v in after.items() if k in before} == before
    assert set(after) - set(before) == {"all.sqlite", "all.csv"}
    book = Gradebook(course / "all.sqlite")
    assert sorted(book.done()) == [(s, n) for s in STUDENTS for n in NOTEBOOKS]
    assert [c["status"] for c in book.cells("di", "b.ipynb")] == ["passed", "failed"]
    book.close()
    # merged again into the same file: the same results, nothing refused
    assert _merge(course) == 0


def test_a_part_whose_task_was_killed_is_read_with_its_log(course, capsys):
    # its last notebooks are still in the write-ahead log: the writer died before a checkpoint
    killed = course / "grades.shard-1-of-2.sqlite"
    code = (f"import os, sqlite3; db = sqlite3.connect({str(killed)!r}); "
            "db.execute('PRAGMA wal_autocheckpoint=0'); "
            "db.execute(\"UPDATE notebooks SET score = 4 WHERE student = 'di'\"); db.commit(); "
            "os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(f"{killed}-wal").stat().st_size > 0
    assert _merge(course) == 0
    book = Gradebook(course / "all.sqlite")
    assert {r["score"] for r in book.notebooks("di")} == {4}
    book.close()


@pytest.mark.parametrize("content, why", [
    (b"student,score\nann,5\n", "not a gradebook of `bplib grade` (file is not a database)"),
    (b'{"cells": [], "nbformat": 4}', "not a gradebook"),
    (None, "an SQLite file but not a gradebook"),
])
def test_a_file_that_is_not_a_gradebook_is_refused_in_words(course, capsys, content, why):
    other = course / "grades.shard-9-of-2.sqlite"
    if content is None:
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE t (x)")
        db.close()
    else:
        other.write_bytes(content)
    before = _digest(course)
    assert _merge(course, shards=[course / "grades.shard-0-of-2.sqlite", other]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bplib grade: not merged: ") and why in err and str(other) in err
    assert "Traceback" not in err and _digest(course) == before


def test_a_missing_part_is_refused_naming_the_students_and_their_part(course, capsys):
    # the part of bo and di (part 1 of 2) never ran
    shards = [course / "grades.shard-0-of-2.sqlite"]
    assert _merge(course, shards=shards) == 2
    err = capsys.readouterr().err
    assert "4 of 10 notebooks are in no gradebook: bo/a.ipynb, bo/b.ipynb, di/a.ipynb, di/b.ipynb" in err
    assert "(students of part 1 of 2)" in err and "--allow-missing" in err
    assert not (course / "all.sqlite").exists()
    # told to accept it, the merge says what it left out
    assert _merge(course, "--allow-missing", shards=shards) == 0
    out = capsys.readouterr().out
    assert "4 missing, left out as --allow-missing asks: bo/a.ipynb, bo/b.ipynb, di/a.ipynb" in out
    assert [r.split(",")[0] for r in (course / "all.csv").read_text().splitlines()] == [
        "student", "ann", "cy", "ed"]


def test_one_missing_notebook_and_a_student_graded_twice_are_refused(course, capsys):
    with sqlite3.connect(course / "grades.shard-0-of-2.sqlite") as db:
        db.execute("DELETE FROM notebooks WHERE student = 'cy' AND notebook = 'b.ipynb'")
    db.close()
    assert _merge(course) == 2
    assert "1 of 10 notebooks are in no gradebook: cy/b.ipynb (students of part 0 of 2)" \
        in capsys.readouterr().err
    # the same student in two parts, even with the same results
    book = Gradebook(course / "grades.shard-1-of-2.sqlite")
    book.record(_result("ann", "a.ipynb"), seed=5)
    book.close()
    assert _merge(course, "--allow-missing") == 2
    err = capsys.readouterr().err
    assert "both hold ann/a.ipynb: give each part once" in err
    assert not (course / "all.sqlite").exists()


def test_notebooks_of_another_class_are_refused(course, capsys):
    book = Gradebook(course / "grades.shard-1-of-2.sqlite")
    book.record(_result("zed", "a.ipynb"), seed=5)
    book.close()
    assert _merge(course, "--allow-missing") == 2
    assert "not in this class (its submissions and solutions folders): zed/a.ipynb" \
        in capsys.readouterr().err


def test_the_merge_needs_the_submissions_folder(course, capsys):
    (course / "submissions").rename(course / "elsewhere")
    assert _merge(course) == 2
    assert "no submissions folder at" in capsys.readouterr().err


def test_the_merge_options_are_refused_when_grading(course, capsys):
    code = main(["grade", str(course / "submissions"), "--solutions", str(course / "solutions"),
                 "--allow-missing"])
    assert code == 2 and "go with `bplib grade merge`" in capsys.readouterr().err
