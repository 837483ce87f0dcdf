"""Decide whether a test cell passed, in the grader's own process.

The hidden part of a test cell ``report``s plain numbers computed by the
student's code on inputs drawn at grading time. The same cell of the
solution notebook, run on the same seed, reports the expected numbers. The
comparison happens here, on floats parsed from JSON, so nothing the student
does inside the kernel (patching ``np.allclose``, objects that override
``__eq__``, printed look-alike output) can change it.
"""
import math

import numpy as np

from bpcourse.mistakes import MISTAKES
from bpcourse.report import DELEGATED, METHOD, MIME, MISTAKE

RTOL, ATOL = 1e-6, 1e-9  # |student - expected| <= ATOL + RTOL * |expected|, element-wise


def reports(outputs):
    """The reports among a cell's outputs, in order.

    Returns
    -------
    list of (name, payload)
        ``payload`` is the raw dict from the kernel; nothing is trusted yet.
    """
    found = []
    for out in outputs:
        if out.get("output_type") not in ("display_data", "execute_result"):
            continue
        payload = out.get("data", {}).get(MIME)
        if isinstance(payload, dict):
            found.append((str(payload.get("name", "")), payload))
    return found


NOT_FINITE = ("nan", "inf", "-inf")
MAX_VALUES = 100_000    # numbers in one report (its message stays well under MAX_MESSAGE)
MAX_DIMS = 32           # dimensions of one report (numpy allows 64)


def as_array(payload):
    """The payload's numbers as a float array, or a message why not.

    Everything is checked before numpy sees it: the shape (at most
    MAX_DIMS dimensions, MAX_VALUES numbers), that the values are a flat
    list of JSON numbers matching it, and that each fits a float (no
    10**400). The message is the grader's own; nothing of the payload's
    text is in it.
    """
    if not isinstance(payload, dict):
        return None, "the report is damaged"
    if "error" in payload:
        return None, "your result could not be read as numbers"
    shape, value = payload.get("shape"), payload.get("value")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(
            type(n) is int and 0 <= n <= MAX_VALUES for n in shape):
        return None, "the report is damaged (no shape, or more than 32 dimensions)"
    if not isinstance(value, list) or len(value) > MAX_VALUES:
        return None, "the report is damaged (not a list of numbers, or too many)"
    if math.prod(shape) != len(value):
        return None, "the report is damaged (shape and values disagree)"
    numbers = []
    for v in value:
        if type(v) is str and v in NOT_FINITE:   # how bpcourse.report sends nan and inf
            numbers.append(float(v))
            continue
        if type(v) not in (int, float):
            return None, "the report is damaged (not a list of numbers)"
        try:
            numbers.append(float(v))
        except OverflowError:
            return None, "a number in your result is too large for a float"
    return np.array(numbers, dtype=np.float64).reshape(shape), None


# What the hidden tests report against an answer, with the grader's own words and flag (the
# kernel's text is never shown): bplib's own version or a reference of the checks called
# instead of doing the work, or right numbers by a method the exercise forbids.
REFUSED = {
    DELEGATED: ("the answer calls bplib's own version of the exercise or a reference of the "
                "checks instead of doing the work itself: 0 points, flagged for a look by hand.",
                "answer delegated to bplib"),
    METHOD: ("the answer reaches the numbers by a method the exercise does not allow (the "
             "notebook's check names it): 0 points, flagged for a look by hand.",
             "method not followed"),
}


def refused(got):
    """The grader's reasons and flags for what the reports hold against the answer.

    Parameters
    ----------
    got : list of (name, payload), from :func:`reports`

    Returns
    -------
    list of (reason, flag)
    """
    return [REFUSED[name] for name in dict.fromkeys(name for name, _ in got) if name in REFUSED]


def compare(expected, got):
    """Check a test cell's reports against the solution's.

    Parameters
    ----------
    expected : list of (name, payload)
        From the solution notebook (trusted).
    got : list of (name, payload)
        From the student's run of the same cell.

    Returns
    -------
    passed : bool
        True when every expected name was reported exactly once, nothing
        else was, and every value has the expected shape and matches within
        the tolerance.
    messages : list of str
        Why not, one line per report.
    """
    if refused(got):
        return False, [reason for reason, _ in refused(got)]
    messages = []
    names = [name for name, _ in got]
    wanted = [name for name, _ in expected]
    # Only the names the solution reports are ever named: any other name
    # was made by the student's code and could carry anything.
    for name in wanted:
        if names.count(name) > 1:
            messages.append(f"`{name}` was reported {names.count(name)} times.")
    extra = sum(name not in wanted for name in names)
    if extra:
        messages.append(f"{extra} result(s) that this test does not ask for were reported.")
    got_by_name = {}
    for name, payload in got:
        got_by_name.setdefault(name, payload)
    for name, payload in expected:
        if name not in got_by_name:
            messages.append(f"`{name}`: no result (the test stopped before it, or your code raised).")
            continue
        want, _ = as_array(payload)
        have, why = as_array(got_by_name[name])
        if have is None:
            messages.append(f"`{name}`: {why}.")
        elif have.shape != want.shape:
            messages.append(f"`{name}`: shape {tuple(have.shape)}, expected {tuple(want.shape)}.")
        elif not np.allclose(have, want, rtol=RTOL, atol=ATOL, equal_nan=True):
            wrong = ~np.isclose(have, want, rtol=RTOL, atol=ATOL, equal_nan=True)
            odd = " (your result holds nan or inf)" if not np.all(np.isfinite(have)) else ""
            messages.append(f"`{name}`: {int(wrong.sum())} of {want.size} numbers differ "
                            f"from the expected values{odd}.")
    return not messages, messages


def plain(got):
    """The reports that answer the test: those named as a mistake's values left out.

    In the solution's run those are the mistakes' values (see :func:`named`);
    in a student's run they are ignored, never counted and never trusted.
    """
    return [(name, payload) for name, payload in got if not name.startswith(MISTAKE)]


def named(expected, got):
    """The usual mistakes a wrong answer's numbers equal, decided here from the solution's run.

    Parameters
    ----------
    expected : list of (name, payload)
        The solution's reports (trusted), with the mistakes' values named
        ``MISTAKE + "<mistake id>:<report name>"`` (``bpcourse.report.report_mistakes``).
    got : list of (name, payload)
        The student's reports of the same cell.

    Returns
    -------
    list of str
        Ids of ``bpcourse.mistakes.MISTAKES``, in the table's order: each one
        whose every value equals the student's report of that name (same
        tolerance as :func:`compare`), where at least one of them is wrong.
    """
    right = dict(plain(expected))
    theirs = {}
    for name, payload in plain(got):
        theirs.setdefault(name, payload)
    values = {}
    for name, payload in expected:
        if name.startswith(MISTAKE):
            mid, _, report = name[len(MISTAKE):].partition(":")
            if mid in MISTAKES and report in right:
                values.setdefault(mid, []).append((report, payload))
    found = []
    for mid in [m for m in MISTAKES if m in values]:
        same, differs = True, False
        for report, payload in values[mid]:
            have, want = as_array(theirs.get(report))[0], as_array(payload)[0]
            if have is None or want is None or have.shape != want.shape or \
                    not np.allclose(have, want, rtol=RTOL, atol=ATOL, equal_nan=True):
                same = False
                break
            good = as_array(right[report])[0]
            differs = differs or good.shape != have.shape or not np.allclose(
                have, good, rtol=RTOL, atol=ATOL, equal_nan=True)
        if same and differs:
            found.append(mid)
    return found
