"""The nbgrader cell format, defined once: cell kinds, markers, clearing.

Used by ``bplib student`` and ``bplib grade``, read without nbgrader.

A solution notebook marks its cells the way nbgrader does (schema 3)::

    cell.metadata["nbgrader"] = {"grade": bool, "solution": bool, "locked": bool,
                                 "grade_id": str, "points": number,
                                 "schema_version": 3}

and its sources with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (the
exercise) and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` (what
the students never see).
"""
from dataclasses import dataclass, field

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)


class MarkerError(ValueError):
    """A ``### BEGIN ...`` without its ``### END ...`` (or the reverse)."""


@dataclass
class Secrets:
    """The lines a student must not see: those inside the regions."""
    solution: list = field(default_factory=list)
    hidden: list = field(default_factory=list)


# -- the markers -------------------------------------------------------------

def _regions(lines, where):
    """Yield (kind, begin, end) for each marked region of a cell's lines."""
    open_kind, open_at = None, None
    for i, line in enumerate(lines):
        text = line.strip()
        for kind, (begin, end) in (("solution", SOLUTION), ("hidden", HIDDEN)):
            if text == begin:
                if open_kind is not None:
                    raise MarkerError(f"{where}: '{begin}' on line {i + 1} while the "
                                      f"'{_begin(open_kind)}' of line {open_at + 1} is still open")
                open_kind, open_at = kind, i
            elif text == end:
                if open_kind != kind:
                    raise MarkerError(f"{where}: '{end}' on line {i + 1} without a '{begin}' before it")
                yield kind, open_at, i
                open_kind = None
    if open_kind is not None:
        begin, end = SOLUTION if open_kind == "solution" else HIDDEN
        raise MarkerError(f"{where}: '{begin}' on line {open_at + 1} has no '{end}'")


def _begin(kind):
    return (SOLUTION if kind == "solution" else HIDDEN)[0]


def strip_cell(source, cell_type="code", where="cell"):
    """The student version of one cell's source.

    Parameters
    ----------
    source : str
    cell_type : {"code", "markdown", "raw"}
    where : str
        Names the notebook and cell in error messages.

    Returns
    -------
    student : str
    secrets : Secrets
        The lines that were inside solution and hidden-test regions.
    """
    lines = source.split("\n")
    out, secrets, last = [], Secrets(), 0
    for kind, begin, end in _regions(lines, where):
        out.extend(lines[last:begin])
        inner = lines[begin + 1:end]
        getattr(secrets, kind).extend(inner)
        if kind == "solution":
            indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
            stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
            out.extend(indent + s for s in stub)
        last = end + 1
    out.extend(lines[last:])
    return "\n".join(out), secrets



# -- the cells ---------------------------------------------------------------

def clear_outputs(cell):
    """Empty a code cell's outputs and execution count, in place."""
    cell["outputs"], cell["execution_count"] = [], None


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
    return strip_cell(source)[1].hidden


def student_version(source, cell_type="code"):
    """The source as the students receive it (``bplib student``, like nbgrader).

    Solution regions become ``# YOUR CODE HERE`` / ``raise
    NotImplementedError()`` (code) or ``YOUR ANSWER HERE`` (markdown), at
    the indentation of the marker; hidden tests are removed.
    """
    return strip_cell(source, cell_type)[0]


def same_source(a, b):
    """Whether two sources match up to trailing white space."""
    def norm(s):
        return "\n".join(line.rstrip() for line in s.strip().splitlines())
    return norm(a) == norm(b)
