"""Grade one submitted notebook against its solution.

The steps, each in its own module: ``merge`` puts the instructor's locked
and test cells back; ``kernel`` runs the result in a fresh kernel in an empty
folder; ``verdict`` compares each test cell's reports with those of the
solution, run once per grading run on the same seed (``expected``).
"""
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import markers, merge, verdict
from .kernel import run_notebook, scrubbed_env


@dataclass
class Options:
    """Limits of a grading run."""
    timeout: float = 60.0            # seconds per cell
    notebook_timeout: float = 600.0  # seconds per notebook, all cells together
    memory_mb: int = 4096            # address space of a kernel (0: unlimited)
    file_mb: int = 200               # largest file a kernel may write
    root: Path = None                # where the per-run work folders go
    user: tuple = None               # (uid, gid) kernels run as, None: the grader's


@dataclass
class CellResult:
    """One graded cell: ``status`` is passed, failed, timeout, crashed, not run or manual."""
    grade_id: str
    status: str
    score: float
    max_score: float
    message: str = ""


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


class SolutionError(RuntimeError):
    """The solution notebook itself does not pass its tests."""


def make_root():
    """A private folder for one grading run's work folders.

    Its permission bits let the grader create folders in it and a kernel
    enter its own, but nobody list it, so a kernel cannot find the folders of
    the kernels running beside it (root ignores permission bits: see
    ``Options.user``).
    """
    _remove_stale_roots()
    root = Path(tempfile.mkdtemp(prefix=f"bplib-grade-{os.getpid()}-"))
    _font_cache(root / "matplotlib")
    root.chmod(0o311)
    return root


def _font_cache(folder):
    """Build matplotlib's font cache once; each kernel gets a copy (saves ~0.5 s per kernel)."""
    folder.mkdir()
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                   env={"MPLCONFIGDIR": str(folder), "PATH": os.defpath},
                   capture_output=True, timeout=120, check=False)


def _remove_stale_roots():
    """Remove the folders of earlier runs that were killed before they could."""
    for old in Path(tempfile.gettempdir()).glob("bplib-grade-*-*"):
        try:
            pid = int(old.name.split("-")[2])
            os.kill(pid, 0)  # raises when no such process is left
        except ProcessLookupError:
            if old.stat().st_uid == os.geteuid():
                remove_root(old)
        except (ValueError, OSError):
            continue


def remove_root(root):
    root.chmod(0o700)
    shutil.rmtree(root, ignore_errors=True)


def _run(nb, seed, options):
    """Run ``nb`` in a fresh, empty folder; the folder is removed afterwards.

    The notebook is never written to disk: the kernel receives it cell by
    cell, so nothing in any work folder holds a submission or a solution.
    """
    root = options.root or Path(tempfile.gettempdir())
    workdir = Path(tempfile.mkdtemp(dir=root))
    if (root / "matplotlib").is_dir():
        shutil.copytree(root / "matplotlib", workdir / ".matplotlib")
    if options.user:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, *options.user)
    try:
        deadline = time.monotonic() + options.notebook_timeout
        return asyncio.run(run_notebook(
            nb, workdir, scrubbed_env(workdir, seed), options.timeout, deadline,
            limits=(options.memory_mb, options.file_mb), user=options.user,
            replayable=lambda cell: markers.kind(cell) != "test"))
    finally:
        _rmtree(workdir)


def _rmtree(path):
    def unlock(func, p, _):
        try:
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=unlock)


def run_solution(solution, seed, options):
    """The reports of the solution's test cells on ``seed``.

    Parameters
    ----------
    solution : nbformat.NotebookNode

    Returns
    -------
    dict
        grade_id -> list of (name, payload).

    Raises
    ------
    SolutionError
        When a test cell of the solution fails: grading against it would
        be meaningless.
    """
    nb = merge.restore(solution, solution)[0]
    runs = {r.index: r for r in _run(nb, seed, options)}
    expected = {}
    for i, cell in enumerate(nb.cells):
        if markers.kind(cell) != "test":
            continue
        run = runs[i]
        gid = markers.grade_id(cell)
        if run.status != "ok":
            raise SolutionError(f"the solution's test cell `{gid}` did not pass "
                                f"({run.status}: {run.ename} {run.evalue})".rstrip())
        found = verdict.reports(run.outputs)
        broken = [name for name, payload in found if "error" in payload]
        if broken:
            raise SolutionError(f"the solution's test cell `{gid}` reported non-numbers: {broken}")
        expected[gid] = found
    return expected


def scrub(text, hidden):
    """``text`` with every line of the hidden tests blanked out."""
    for line in hidden:
        line = line.strip()
        if len(line) >= 4 and line in text:
            text = text.replace(line, "[hidden test]")
    return text


def grade(student, name, solution, path, expected, seed, options):
    """Grade one submission.

    Parameters
    ----------
    student, name : str
        Who, and which notebook (its file name).
    solution : nbformat.NotebookNode
    path : pathlib.Path
        The submitted notebook.
    expected : dict
        From :func:`run_solution` on the same ``seed``.

    Returns
    -------
    NotebookResult
    """
    started = time.monotonic()
    graded = [c for c in solution.cells if markers.kind(c) in ("test", "manual")]
    total = sum(markers.points(c) for c in graded)
    result = NotebookResult(student, name, "graded", max_score=total)
    if not path.exists():
        result.status = "missing"
        result.notes.append(f"No `{name}` was submitted.")
        result.cells = [CellResult(markers.grade_id(c), "not run", 0.0, markers.points(c),
                                   "not submitted") for c in graded]
        return result
    try:
        submission = merge.load(path)
    except merge.Malformed as e:
        result.status = "malformed"
        result.flags.append("malformed notebook")
        result.notes.append(f"`{name}` could not be read: {e}. It needs to be looked at by hand.")
        return result

    nb, result.notes = merge.restore(solution, submission)
    if result.notes:
        result.flags.append("cells repaired")
    runs = {r.index: r for r in _run(nb, seed, options)}
    hidden = [line for c in solution.cells for line in markers.hidden_part(c.source)]
    hidden += ["### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"]

    for i, cell in enumerate(nb.cells):
        run = runs.get(i)
        if run is None or markers.kind(cell) == "test":
            continue
        if run.status in ("timeout", "crashed"):
            what = "ran out of time" if run.status == "timeout" else "stopped the kernel"
            result.notes.append(f"Code cell {i + 1} {what}; the cells after it ran in a new kernel.")
            result.flags.append(f"cell {run.status}")
        if run.truncated:
            result.flags.append("output truncated")

    by_id = {markers.grade_id(c): i for i, c in enumerate(nb.cells) if markers.grade_id(c)}
    for reference in graded:
        gid, worth = markers.grade_id(reference), markers.points(reference)
        if markers.kind(reference) == "manual":
            result.cells.append(CellResult(gid, "manual", 0.0, worth, "graded by hand"))
            result.flags.append("manual grading")
            continue
        run = runs[by_id[gid]]
        result.cells.append(_judge(gid, worth, run, expected.get(gid, []), options, hidden))
        result.flags += [flag for _, flag in verdict.refused(verdict.reports(run.outputs))]
        if run.truncated:
            result.flags.append("output truncated")
        if run.status in ("timeout", "crashed"):
            result.flags.append(f"test {run.status}")
    result.score = sum(c.score for c in result.cells)
    result.flags = sorted(set(result.flags))
    result.seconds = time.monotonic() - started
    return result


def _judge(gid, worth, run, expected, options, hidden):
    """The verdict on one test cell."""
    if run.status == "timeout":
        return CellResult(gid, "timeout", 0.0, worth,
                          f"ran longer than the limit ({options.timeout:g} s per cell).")
    if run.status == "crashed":
        return CellResult(gid, "crashed", 0.0, worth,
                          "the kernel died while this test ran (os._exit, a crash or out of memory).")
    if run.status == "not run":
        return CellResult(gid, "not run", 0.0, worth, scrub(run.evalue, hidden))
    if run.status == "error":
        # The type and the start of the message only: a traceback would quote the test.
        message = f"{run.ename}: {scrub(run.evalue, hidden)[:200]}" if run.evalue else run.ename
        if run.ename == "NotImplementedError":
            message += " (not done yet)"
        return CellResult(gid, "failed", 0.0, worth, message)
    passed, messages = verdict.compare(expected, verdict.reports(run.outputs))
    if passed:
        return CellResult(gid, "passed", worth, worth)
    return CellResult(gid, "failed", 0.0, worth, scrub(" ".join(messages), hidden))
