"""Read a submission and put the instructor's cells back into it.

The student keeps the cells they wrote (answers and their own scratch
cells); every locked cell and every test cell comes from the solution
notebook, matched by ``grade_id``, so the hidden tests are always the
instructor's and never the submission's. Each repair is noted for the
feedback.
"""
import copy
import json
import os
import re
import stat
import warnings

import nbformat

from .. import cells

MAX_BYTES = 20_000_000  # a notebook this big is not a homework submission


class Malformed(Exception):
    """A file that is not a readable notebook (needs a human to look at it)."""


def _read_regular(path):
    """The bytes of a regular file, opened without following a link or blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise Malformed(f"cannot read the file: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Malformed("the submitted file is not a regular file; it was not read")
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise Malformed(f"the file is larger than {MAX_BYTES / 1e6:.0f} MB, "
                        "larger than any notebook should be")
    return raw


def _sendable(text):
    """``text`` with lone surrogates (valid in JSON, not in UTF-8) replaced by U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _where(error):
    """Where nbformat's schema found a notebook invalid, in the grader's words.

    Its own message quotes the submission, so only the place is named: keys
    that are plain names and cell numbers (``cells[3].outputs``).
    """
    path = getattr(error, "absolute_path", None)
    if not isinstance(getattr(error, "validator", None), str) or path is None:
        return f"nbformat could not read it: {type(error).__name__}"
    where = ""
    for key in path:
        if type(key) is int:
            where += f"[{key}]"
        else:
            where += "." + (key if re.fullmatch(r"[A-Za-z_]\w{0,39}", str(key)) else "?")
    rule = error.validator if re.fullmatch(r"\w{1,40}", error.validator) else "?"
    return f"nbformat's schema rule `{rule}` fails at `{where.lstrip('.') or 'the top'}`"


def load(path):
    """Read a notebook file as nbformat 4.

    Only a regular file is read (a link, a FIFO or a device is malformed).

    Raises
    ------
    Malformed
        With a message saying what is wrong (bad JSON, not a notebook,
        unknown nbformat, too large).
    """
    raw = _read_regular(path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Malformed(f"the file is not valid JSON ({e})") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise Malformed("the file is JSON but not a Jupyter notebook (no cells)")
    major = data.get("nbformat")
    if major not in (3, 4) or isinstance(major, bool):
        # the student's value is named only when it is a plain version number
        given = f"nbformat {major}" if type(major) is int else "its nbformat is not a version number"
        raise Malformed(f"unsupported notebook format ({given}; expected 4)")
    try:
        with warnings.catch_warnings():  # duplicate cell ids are repaired, not worth a warning
            warnings.simplefilter("ignore")
            nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
            nbformat.validate(nb)
    except Exception as e:  # nbformat raises several kinds on bad structure
        raise Malformed(f"the notebook structure is invalid ({_where(e)})") from None
    for cell in nb.cells:  # a cell the kernel cannot receive would lose the whole notebook
        if isinstance(cell.get("source"), str):
            cell.source = _sendable(cell.source)
    return nb


def _fresh(cell):
    """A copy of a solution cell, without outputs."""
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cells.clear_outputs(cell)
    return cell


def _answer_stub(solution_cell):
    """The answer cell as the student received it (for a deleted answer)."""
    cell = _fresh(solution_cell)
    cell.source = cells.student_version(cell.source, cell.cell_type)
    return cell


def restore(solution, submission):
    """Merge a submission with its solution notebook.

    Parameters
    ----------
    solution, submission : nbformat.NotebookNode

    Returns
    -------
    merged : nbformat.NotebookNode
        The submission's cells in the submission's order, with every locked
        and test cell replaced by the solution's, deleted graded cells put
        back after the graded cell they followed in the solution, and
        duplicates of a grade_id dropped. Outputs are cleared.
    notes : list of str
        One sentence per repair, for the feedback.
    """
    by_id = {cells.grade_id(c): c for c in solution.cells if cells.grade_id(c)}
    order = [cells.grade_id(c) for c in solution.cells if cells.grade_id(c)]
    notes, seen, out = [], set(), []

    for cell in submission.cells:
        gid = cells.grade_id(cell)
        if gid is None:
            cell = copy.deepcopy(cell)
            if cell.cell_type == "code":
                cells.clear_outputs(cell)
            out.append(cell)
            continue
        # a grade_id is named in the notes only when the assignment defines it
        if gid in seen:
            notes.append(f"Cell `{gid}` appears more than once; only the first copy was graded."
                         if gid in by_id else "A cell id appears more than once; only the "
                         "first copy was graded.")
            continue
        seen.add(gid)
        if gid not in by_id:
            notes.append("A cell has a grade_id that is not part of this assignment; "
                         "it ran as an ordinary cell.")
            cell = copy.deepcopy(cell)
            cell.metadata.pop("nbgrader", None)
            if cell.cell_type == "code":
                cells.clear_outputs(cell)
            out.append(cell)
            continue
        reference = by_id[gid]
        what = cells.kind(reference)
        if what in ("locked", "test"):
            if cell.cell_type != reference.cell_type:
                notes.append(f"Cell `{gid}` was changed from {reference.cell_type} to "
                             f"{cell.cell_type}; it was restored from the assignment.")
            elif not cells.same_source(cell.source, cells.student_version(reference.source,
                                                                               reference.cell_type)):
                notes.append(f"Read-only cell `{gid}` was edited; it was restored from the assignment.")
            out.append(_fresh(reference))
            continue
        # An answer: the student's own text, in the cell type the exercise asks for.
        answer = _fresh(reference)
        answer.source = cell.source
        if cell.cell_type != reference.cell_type:
            notes.append(f"Answer cell `{gid}` was changed from {reference.cell_type} to "
                         f"{cell.cell_type}; it was graded as a {reference.cell_type} cell.")
        out.append(answer)

    for i, gid in enumerate(order):
        if gid in seen:
            continue
        reference = by_id[gid]
        put_back = _answer_stub(reference) if cells.kind(reference) in ("answer", "manual") \
            else _fresh(reference)
        # after the nearest graded cell that precedes it in the solution
        at = 0
        for before in reversed(order[:i]):
            hits = [j for j, c in enumerate(out) if cells.grade_id(c) == before]
            if hits:
                at = hits[0] + 1
                break
        out.insert(at, put_back)
        seen.add(gid)
        what = "answer" if cells.kind(reference) in ("answer", "manual") else "cell"
        notes.append(f"The {what} `{gid}` was missing and was put back from the assignment"
                     + (" (unanswered)." if what == "answer" else "."))

    merged = copy.deepcopy(submission)
    merged.cells = out
    merged.metadata = copy.deepcopy(solution.metadata)
    return merged, notes
