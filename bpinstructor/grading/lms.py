"""The scores as a learning management system imports them: Canvas and Moodle.

Both read a comma-separated UTF-8 file with a header row (RFC 4180 quoting),
one row per student, one column per notebook:

- Canvas (Grades, Import): the columns of its own gradebook export,
  ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per
  assignment; the row under the header gives each assignment's
  ``Points Possible``. It asks for one of Student, ID or SIS User ID, and
  for SIS Login ID and Section; the student's folder name is written as
  ``Student`` and ``SIS Login ID`` (folders named by login). A column whose
  name is no assignment of the course becomes a new assignment.
- Moodle (Grade administration, Import, CSV file): a header row, one column
  that identifies the user and one per grade item; at import, "Map from"
  ``Username`` "Map to" username, and each notebook's column to its grade item.

A notebook that was not handed in scores 0 (the gradebook holds it as
missing); a cell is left empty only for a notebook the gradebook does not
hold. No text starts as a spreadsheet formula would.
"""
import csv

from .feedback import _cell, _points

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS = "Points Possible"
MOODLE_USER = "Username"


def _table(results):
    """{student: {notebook: row}} and {notebook: max_score} from ``shards.read``'s dict."""
    by_student, worth = {}, {}
    for (student, notebook), (row, _) in results.items():
        by_student.setdefault(student, {})[notebook] = row
        worth[notebook] = max(worth.get(notebook, 0.0), row["max_score"])
    return by_student, worth


def _title(notebook):
    """A notebook's column: its file name without ``.ipynb``."""
    return notebook.removesuffix(".ipynb")


def _write(results, path, head, points_possible, ids):
    """Write ``head`` + a column per notebook, an optional row of points possible
    (``points_possible`` names its first cell, the others before the notebooks are
    empty), then per student the cells ``ids(student)`` and a score per notebook."""
    by_student, worth = _table(results)
    notebooks = sorted(worth)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(head + [_cell(_title(n)) for n in notebooks])
        if points_possible:
            out.writerow([points_possible] + [""] * (len(head) - 1)
                         + [_points(worth[n]) for n in notebooks])
        for student in sorted(by_student):
            got = by_student[student]
            out.writerow(ids(_cell(student))
                         + [_points(got[n]["score"]) if n in got else "" for n in notebooks])


def write_canvas(results, path):
    """Write Canvas's gradebook import CSV.

    Parameters
    ----------
    results : dict
        ``{(student, notebook): (row, cells)}``, as ``shards.read`` returns.
    path : pathlib.Path
    """
    _write(results, path, CANVAS_COLUMNS, CANVAS_POINTS, lambda name: [name, "", "", name, ""])


def write_moodle(results, path):
    """Write a CSV for Moodle's grade import: ``Username`` and a score per notebook.

    Parameters
    ----------
    results : dict
        ``{(student, notebook): (row, cells)}``, as ``shards.read`` returns.
    path : pathlib.Path
    """
    _write(results, path, [MOODLE_USER], None, lambda name: [name])
