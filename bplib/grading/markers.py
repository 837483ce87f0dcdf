"""nbgrader's cell metadata and source markers, read without nbgrader.

A solution notebook marks its cells the way nbgrader does (schema 3)::

    cell.metadata["nbgrader"] = {"grade": bool, "solution": bool, "locked": bool,
                                 "grade_id": str, "points": number,
                                 "schema_version": 3}

and its sources with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (the
exercise) and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (what
the students never see).
"""
import re

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "raise NotImplementedError()"
MARKDOWN_STUB = "YOUR ANSWER HERE"


def meta(cell):
    """The cell's nbgrader metadata, or an empty dict."""
    m = cell.get("metadata", {}).get("nbgrader", {})
    return m if isinstance(m, dict) else {}


def grade_id(cell):
    """The cell's grade_id, or None for an ordinary cell."""
    gid = meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def kind(cell):
    """What the cell is for the grader.

    Returns
    -------
    str
        ``"test"`` (graded, run by the grader), ``"manual"`` (an answer
        graded by hand),
        ``"answer"`` (the student's code), ``"locked"`` (read-only) or
        ``"plain"``.
    """
    m = meta(cell)
    if m.get("grade") and not m.get("solution"):
        return "test"
    if m.get("grade") and m.get("solution"):
        return "manual"  # an answer graded by hand, as in nbgrader
    if m.get("solution"):
        return "answer"
    if m.get("locked"):
        return "locked"
    return "plain"


def points(cell):
    """Points of a graded cell (0 for any other cell)."""
    try:
        return float(meta(cell).get("points", 0) or 0) if meta(cell).get("grade") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _region(source, begin, end):
    """Split a source into (before, inside, after) of each marked region."""
    pattern = re.compile(rf"^([ \t]*){re.escape(begin)}[^\n]*\n(.*?)^[ \t]*{re.escape(end)}[^\n]*(\n|$)",
                         re.M | re.S)
    return pattern


def hidden_part(source):
    """The lines between the hidden-test markers, as a list of str."""
    found = _region(source, BEGIN_HIDDEN, END_HIDDEN).findall(source)
    return [line for _, inside, _ in found for line in inside.splitlines()]


def student_version(source, cell_type="code"):
    """The source as nbgrader gives it to the students.

    Solution regions become ``raise NotImplementedError()`` (code) or
    ``YOUR ANSWER HERE`` (markdown), at the indentation of the marker;
    hidden tests are removed.
    """
    source = _region(source, BEGIN_HIDDEN, END_HIDDEN).sub("", source)
    stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
    return _region(source, BEGIN_SOLUTION, END_SOLUTION).sub(
        lambda m: f"{m.group(1)}{stub}{m.group(3)}", source)


def same_source(a, b):
    """Whether two sources match up to trailing white space."""
    def norm(s):
        return "\n".join(line.rstrip() for line in s.strip().splitlines())
    return norm(a) == norm(b)
