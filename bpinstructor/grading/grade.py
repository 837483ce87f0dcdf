"""Grade one submitted notebook against its solution.

The steps, each in its own module: ``merge`` puts the instructor's locked
and test cells back; ``kernel`` runs the result in a fresh kernel in an empty
folder; ``verdict`` compares each test cell's reports with those of the
solution, run once per grading run on the same seed (``expected``).
"""
import dataclasses
import math
import os
import stat
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import cells
from . import evidence, merge, verdict
from .gradebook import safe_text
from .kernel import MAX_DEPTH, depth, run_notebook, run_sync


SOLUTION_TIMEOUT = 300.0  # seconds per cell of the solutions, when none is given
MIN_TIMEOUT = 10.0        # the fitted per-cell timeout is never shorter
TIMEOUT_FACTOR = 5        # ... and otherwise this many times the solutions' slowest cell


@dataclass
class Options:
    """Limits of a grading run."""
    timeout: float = None            # seconds per cell (None: fitted to the solutions)
    notebook_timeout: float = None   # seconds per notebook, all cells (None: 20 x timeout)
    memory_mb: int = 4096            # memory of a kernel and its processes (0: unlimited)
    file_mb: int = 200               # largest file a kernel may write, and size of its /tmp
    root: Path = None                # the run's private folder, where work folders go
    sandboxed: bool = True           # False only with --no-sandbox


def fitted(options, slowest):
    """``options`` with the per-cell timeout fitted to the solution's slowest cell (seconds)."""
    timeout = options.timeout or max(MIN_TIMEOUT, math.ceil(TIMEOUT_FACTOR * slowest))
    return dataclasses.replace(options, timeout=timeout,
                               notebook_timeout=options.notebook_timeout or 20 * timeout)


@dataclass
class CellResult:
    """One graded cell: ``status`` is passed, failed, timeout, crashed, not run or manual."""
    grade_id: str
    status: str
    score: float
    max_score: float
    message: str = ""   # for the student: the grader's own words only
    detail: str = ""    # for the instructor: what the kernel said
    mistakes: list = field(default_factory=list)  # ids of bpcourse.mistakes the answer made


@dataclass
class NotebookResult:
    """One student's notebook: ``status`` is graded, missing or malformed.

    ``flags`` say why a person should look at it (cells repaired, a cell
    that crashed or ran out of time, output cut, answers graded by hand).
    """
    student: str
    notebook: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    cells: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    raw_student: bytes = None  # the folder's name as bytes, when it is not plain UTF-8


class SolutionError(RuntimeError):
    """The solution notebook itself does not pass its tests."""


PREFIX = "bplib-grade-"
MAX_TMPDIR = 60  # bytes: + /bplib-grade-<pid>-<8>/w<8>/k-<n> stays under a socket's 107


def make_root():
    """A private folder (mode 700) for one grading run's work folders.

    Kernels never see it (each sees its own work folder only); it is named
    after the grader's pid so that a later run can clear it away if this
    one is killed.
    """
    # The kernels' Unix sockets live below it, and a socket's path holds 107 bytes.
    if len(os.fsencode(tempfile.gettempdir())) > MAX_TMPDIR:
        raise ValueError(f"the temporary folder's path {tempfile.gettempdir()!r} is too long for "
                         f"the kernels' sockets (at most {MAX_TMPDIR} bytes): set TMPDIR=/tmp")
    _remove_stale_roots()
    root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    _font_cache(root / "matplotlib")
    return root


def _font_cache(folder):
    """Build matplotlib's font cache once; each kernel gets a copy (saves ~0.5 s per kernel)."""
    folder.mkdir()
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env={"MPLCONFIGDIR": str(folder), "PATH": os.defpath},
                   capture_output=True, timeout=120, check=False)


def _remove_stale_roots():
    """Remove the folders of earlier runs that were killed before they could.

    Only real folders (not symbolic links) that this user owns are touched:
    anyone may create names in the temporary folder.
    """
    base = Path(tempfile.gettempdir())
    for name in os.listdir(base):
        if not name.startswith(PREFIX):
            continue
        old = base / name
        try:
            pid = int(name[len(PREFIX):].split("-")[0])
            info = os.lstat(old)
        except (ValueError, OSError):
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        try:
            os.kill(pid, 0)  # raises when no such process is left
        except ProcessLookupError:
            remove_root(old)
        except OSError:
            continue


def remove_root(root):
    """Remove a run's folder and everything in it, following no link."""
    _rmtree(root)


def _run(nb, seed, options):
    """Run ``nb``, each kernel in a fresh, empty folder; the folders are removed afterwards.

    The notebook is never written to disk: the kernel receives it cell by
    cell, so nothing in any work folder holds a submission or a solution.
    """
    folder = Path(tempfile.mkdtemp(dir=options.root, prefix="w"))
    try:
        deadline = time.monotonic() + options.notebook_timeout
        return run_sync(run_notebook(
            nb, folder, seed, options.timeout, deadline,
            limits=(options.memory_mb, options.file_mb), sandboxed=options.sandboxed,
            replayable=lambda cell: cells.kind(cell) != "test",
            mpl_cache=options.root / "matplotlib"))
    finally:
        _rmtree(folder)


def _rmtree(path):
    """shutil.rmtree, opening folders a kernel locked (never through a link)."""
    def unlock(func, p, _):
        try:
            if not os.path.islink(p):
                os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=unlock)
    if os.path.lexists(path):  # a folder whose lock was undone only now
        shutil.rmtree(path, ignore_errors=True)


def run_solution(solution, seed, options):
    """The reports of the solution's test cells on ``seed``, and the options to grade it with.

    Parameters
    ----------
    solution : nbformat.NotebookNode
    options : Options
        With ``timeout`` None, the solution runs with SOLUTION_TIMEOUT per
        cell and the options returned have a timeout fitted to its slowest cell.

    Returns
    -------
    expected : dict
        grade_id -> list of (name, payload).
    options : Options
        For grading this notebook.

    Raises
    ------
    SolutionError
        When a test cell of the solution fails: grading against it would
        be meaningless.
    """
    nb = merge.restore(solution, solution)[0]
    first = dataclasses.replace(options, timeout=options.timeout or SOLUTION_TIMEOUT)
    first = fitted(first, 0)
    runs = {r.index: r for r in _run(nb, seed, first)}
    expected = {}
    for i, cell in enumerate(nb.cells):
        if cells.kind(cell) != "test":
            continue
        run = runs[i]
        gid = cells.grade_id(cell)
        if run.status != "ok":
            raise SolutionError(f"the solution's test cell `{gid}` did not pass "
                                f"({run.status}: {run.ename} {run.evalue})".rstrip())
        found = verdict.reports(run.outputs)
        broken = [name for name, payload in found if verdict.as_array(payload)[0] is None]
        if broken:
            raise SolutionError(f"the solution's test cell `{gid}` reported non-numbers: {broken}")
        expected[gid] = found
    return expected, fitted(options, max((r.seconds for r in runs.values()), default=0))


def open_submission(folder, name):
    """Read ``folder/name`` if it is a regular file in a real folder.

    Returns
    -------
    nbformat.NotebookNode or None
        None when there is no such file.

    Raises
    ------
    merge.Malformed
        For a symbolic link (of the folder or the file), a FIFO, a device or
        anything else that is not a regular file, and for a file that is not
        a notebook.
    """
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        raise merge.Malformed("the student's folder is a symbolic link or not a folder; "
                              "nothing in it was read")
    try:
        info = os.lstat(folder / name)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise merge.Malformed(f"cannot read the file: {e.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a symbolic link" if stat.S_ISLNK(info.st_mode) else
                "a FIFO" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file")
        raise merge.Malformed(f"the submitted file is {kind}, not a notebook file; "
                              "it was not read")
    try:
        nb = merge.load(folder / name)
    except RecursionError:
        nb = None
    if nb is None or depth(nb) > MAX_DEPTH:
        raise merge.Malformed(f"the notebook nests lists and objects more than {MAX_DEPTH} deep")
    return nb


def grade(student, name, solution, path, expected, seed, options):
    """Grade one submission.

    Parameters
    ----------
    student, name : str
        Who (as shown in the gradebook), and which notebook (its file name).
    solution : nbformat.NotebookNode
    path : pathlib.Path
        The submitted notebook (in the student's folder).
    expected : dict
        From :func:`run_solution` on the same ``seed``.

    Returns
    -------
    NotebookResult
    """
    started = time.monotonic()
    graded = [c for c in solution.cells if cells.kind(c) in ("test", "manual")]
    total = sum(cells.points(c) for c in graded)
    result = NotebookResult(student, name, "graded", max_score=total)
    try:
        submission = open_submission(path.parent, path.name)
    except merge.Malformed as e:
        result.status = "malformed"
        result.flags.append("malformed notebook")
        result.notes.append(f"`{name}` could not be read: {e}. It needs to be looked at by hand.")
        return result
    if submission is None:
        result.status = "missing"
        result.notes.append(f"No `{name}` was submitted.")
        result.cells = [CellResult(cells.grade_id(c), "not run", 0.0, cells.points(c),
                                   "not submitted") for c in graded]
        return result

    nb, result.notes = merge.restore(solution, submission)
    if result.notes:
        result.flags.append("cells repaired")
    runs = {r.index: r for r in _run(nb, seed, options)}

    for i, cell in enumerate(nb.cells):
        run = runs.get(i)
        if run is None or cells.kind(cell) == "test":
            continue
        if run.status in ("timeout", "crashed"):
            what = "ran out of time" if run.status == "timeout" else "stopped the kernel"
            result.notes.append(f"Code cell {i + 1} {what}; the cells after it ran in a new kernel.")
            result.flags.append(f"cell {run.status}")
        if run.truncated:
            result.flags.append("output truncated")
    if any(r.ename == "Limit" for r in runs.values()):
        result.flags.append("limit passed")
        result.notes += sorted({f"Grading stopped short: {r.evalue.removeprefix('not run: ')}."
                                for r in runs.values() if r.ename == "Limit"})

    by_id = {cells.grade_id(c): i for i, c in enumerate(nb.cells) if cells.grade_id(c)}
    for reference in graded:
        gid, worth = cells.grade_id(reference), cells.points(reference)
        if cells.kind(reference) == "manual":
            result.cells.append(CellResult(gid, "manual", 0.0, worth, "graded by hand"))
            result.flags.append("manual grading")
            continue
        run = runs[by_id[gid]]
        result.cells.append(_judge(gid, worth, run, expected.get(gid, []), options))
        result.flags += [flag for _, flag in verdict.refused(verdict.reports(run.outputs))]
        if run.truncated:
            result.flags.append("output truncated")
        if run.status in ("timeout", "crashed"):
            result.flags.append(f"test {run.status}")
    # The submitted source, read here, speaks against answers whatever the kernel reported.
    evidence.apply(result, evidence.read(solution, nb))
    result.score = sum(c.score for c in result.cells)
    result.flags = sorted(set(result.flags))
    result.seconds = time.monotonic() - started
    return result


# What an error in a test cell is called in the feedback. The kind of error is
# the kernel's word, so it only picks one of these sentences: no text the
# student's code produced (a message, an exception's name) reaches the student.
_ERRORS = {
    "NotImplementedError": "not done yet (the answer still raises NotImplementedError)",
    "MemoryError": "ran out of memory",
    "AssertionError": "a check of the test failed",
}


def _judge(gid, worth, run, expected, options):
    """The verdict on one test cell; ``detail`` keeps the kernel's own words for the instructor."""
    detail = safe_text(f"{run.ename}: {run.evalue}" if run.evalue else run.ename)
    if run.status == "timeout":
        return CellResult(gid, "timeout", 0.0, worth,
                          f"ran longer than the limit ({options.timeout:g} s per cell).")
    if run.status == "crashed":
        # "Limit": the sandbox's watchdog ended it, and evalue is its own sentence
        why = run.evalue if run.ename == "Limit" else "os._exit, a crash or out of memory"
        return CellResult(gid, "crashed", 0.0, worth,
                          f"the kernel died while this test ran ({why}).", detail)
    if run.status == "not run":  # the grader's own words (time or restarts used up)
        return CellResult(gid, "not run", 0.0, worth, run.evalue, detail)
    if run.status == "error":
        return CellResult(gid, "failed", 0.0, worth,
                          _ERRORS.get(run.ename, "your code raised an error during the test"),
                          detail)
    got = verdict.reports(run.outputs)
    passed, messages = verdict.compare(verdict.plain(expected), verdict.plain(got))
    if passed:
        return CellResult(gid, "passed", worth, worth)
    return CellResult(gid, "failed", 0.0, worth, " ".join(messages),
                      mistakes=[] if verdict.refused(got) else verdict.named(expected, got))
