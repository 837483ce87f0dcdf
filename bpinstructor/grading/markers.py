"""nbgrader's cell metadata and source markers, read without nbgrader.

A solution notebook marks its cells the way nbgrader does (schema 3)::

    cell.metadata["nbgrader"] = {"grade": bool, "solution": bool, "locked": bool,
                                 "grade_id": str, "points": number,
                                 "schema_version": 3}

and its sources with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (the
exercise) and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (what
the students never see).
"""


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


def hidden_part(source):
    """The lines between the hidden-test markers, as a list of str."""
    from bpinstructor.student import strip_cell

    return strip_cell(source)[1].hidden


def student_version(source, cell_type="code"):
    """The source as the students receive it (``bplib student``, like nbgrader).

    Solution regions become ``# YOUR CODE HERE`` / ``raise
    NotImplementedError()`` (code) or ``YOUR ANSWER HERE`` (markdown), at
    the indentation of the marker; hidden tests are removed.
    """
    from bpinstructor.student import strip_cell

    return strip_cell(source, cell_type)[0]


def same_source(a, b):
    """Whether two sources match up to trailing white space."""
    def norm(s):
        return "\n".join(line.rstrip() for line in s.strip().splitlines())
    return norm(a) == norm(b)
