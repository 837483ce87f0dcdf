"""``bplib grade``: grade every student's notebooks against the solutions.

    bplib grade submissions/ --solutions solutions/ --gradebook grades.sqlite \\
        --jobs 2 --feedback feedback/ --csv scores.csv
    bplib grade submissions/ --shard 3/8           # one part of a class (a cluster job)
    bplib grade merge grades.shard-*.sqlite --submissions submissions/ --csv scores.csv
    bplib grade report grades.sqlite --out report/ --canvas canvas.csv --moodle moodle.csv

``submissions/`` holds one folder per student with their copies of the
notebooks. Results go to the gradebook as each notebook finishes; running
the command again skips what is already graded. Each kernel runs in a
sandbox (bubblewrap); without one, nothing is graded unless ``--no-sandbox``
is given.
"""
import os
import re
import secrets
import signal
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .shards import part, shard_of


def add_arguments(parser):
    """The options of ``bplib grade``."""
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSIONS",
                        help="folder with one sub-folder of notebooks per student; or "
                             "`merge` followed by the gradebooks of the shards of a class "
                             "(a submissions folder called merge: write ./merge); or "
                             "`report` and one gradebook: the class's report")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"),
                        help="folder of the solution notebooks (default: solutions)")
    parser.add_argument("--gradebook", type=Path, default=Path("grades.sqlite"),
                        help="SQLite file the results go to (default: grades.sqlite; with "
                             "--shard i/n: grades.shard-i-of-n.sqlite)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="write one Markdown feedback file per student here")
    parser.add_argument("--csv", type=Path, help="write the scores here")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="seconds a cell may run (default: 5 x the slowest cell of the "
                             "solution, at least 10)")
    parser.add_argument("--notebook-timeout", type=float, default=None, metavar="S",
                        help="seconds a whole notebook may run, restarts included "
                             "(default: 20 x the cell timeout)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MB",
                        help="memory of a kernel and all its processes together "
                             "(default: 4096, 0: no limit)")
    parser.add_argument("--student", action="append", metavar="NAME",
                        help="grade only this student, replacing their earlier results "
                             "(may be given more than once)")
    parser.add_argument("--force", action="store_true",
                        help="grade everything again, replacing earlier results")
    parser.add_argument("--shard", metavar="I/N",
                        help="grade only the I-th of N parts of the class (I from 0); "
                             "`--shard N` takes I from JOB_COMPLETION_INDEX (Kubernetes) "
                             "or SLURM_ARRAY_TASK_ID modulo N (Slurm)")
    parser.add_argument("--submissions", dest="class_folder", type=Path, default=Path("submissions"),
                        metavar="DIR",
                        help="with merge: the class's submissions folder; every student's "
                             "notebooks must be in the gradebooks (default: submissions)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="with merge: merge even when some notebooks of the class are in "
                             "no gradebook; the summary lists them")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code WITHOUT bubblewrap (it can then read and "
                             "write what you can); only for code you trust")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden tests' inputs (default: a fresh one)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="with report: the folder of report.html and report.md "
                             "(default: report)")
    parser.add_argument("--names", action="store_true",
                        help="with report: name the students who may need help (the report "
                             "is anonymous by default, fit to show a class)")
    parser.add_argument("--canvas", type=Path, metavar="FILE",
                        help="with report: write the scores for Canvas's gradebook import")
    parser.add_argument("--moodle", type=Path, metavar="FILE",
                        help="with report: write the scores for Moodle's CSV grade import")


def _fail(message):
    print(f"bplib grade: {message}", file=sys.stderr)
    return 2


def _students(submissions):
    """{name shown in the gradebook: folder name on disk}, sorted by the shown name.

    A folder name that is not UTF-8 is shown with ``\\xNN`` escapes.
    """
    from .gradebook import safe_text

    found = {}
    for entry in os.scandir(submissions):
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=True):
            continue  # a link to a folder stays: grading says it is not a real folder
        shown = safe_text(entry.name)
        if shown in found:  # two folders that only differ in undecodable bytes
            shown = safe_text(os.fsencode(entry.name).hex())
        found[shown] = entry.name
    return dict(sorted(found.items()))


def _grade_all(todo, solutions, submissions, seed, options, book, jobs):
    """Grade the (student, notebook) pairs of ``todo``, recording each as it finishes.

    ``todo`` holds (shown name, folder name, notebook).

    Returns
    -------
    counts : dict
        Notebooks graded, failed (missing or malformed) and flagged.
    errors : list of str
        Notebooks the grader could not grade (left out of the gradebook).
    """
    from tqdm.auto import tqdm

    from .grade import SolutionError, grade, run_solution
    from .kernel import stop_all

    counts, errors = {"graded": 0, "failed": 0, "flagged": 0}, []
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        # the reference reports, once per notebook and run, on the run's seed
        needed = sorted({n for *_, n in todo})
        futures = {n: pool.submit(run_solution, solutions[n], seed, options) for n in needed}
        expected, fitted = {}, {}
        for n, future in futures.items():
            try:
                expected[n], fitted[n] = future.result()
            except SolutionError as e:
                raise SolutionError(f"{n}: {e}") from None
        pending = {pool.submit(grade, shown, n, solutions[n], submissions / folder / n,
                               expected[n], seed, fitted[n]): (shown, folder, n)
                   for shown, folder, n in todo}
        with tqdm(total=len(pending), desc="grading", unit="notebook") as bar:
            for future in as_completed(pending):
                bar.update()
                shown, folder, n = pending[future]
                try:
                    result = future.result()
                    result.raw_student = os.fsencode(folder)
                    book.record(result, seed)
                except Exception as e:  # the grader's fault: left ungraded, retried next run
                    errors.append(f"{shown}/{n}: {type(e).__name__}: {e}")
                    continue
                counts["graded" if result.status == "graded" else "failed"] += 1
                counts["flagged"] += bool(result.flags)
    except KeyboardInterrupt:
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return counts, errors


def _warn_if_reachable(solutions):
    """Say so when the solutions lie in a folder the kernels are shown."""
    from .sandbox import PACKAGES

    import importlib.util

    for name in PACKAGES:
        for folder in importlib.util.find_spec(name).submodule_search_locations or []:
            if Path(folder).resolve() in [solutions.resolve(), *solutions.resolve().parents]:
                print(f"bplib grade: note: {solutions} lies in {folder}, which every kernel "
                      "is shown; keep the solutions elsewhere.", file=sys.stderr)


def _outputs(book, args, names):
    """Write the feedback and the CSV asked for; one student's failure stops nobody else."""
    from .feedback import write_csv, write_feedback

    errors = []
    if args.feedback:
        for student in sorted({r["student"] for r in book.notebooks()}):
            try:
                write_feedback(book, args.feedback, [student])
            except Exception as e:
                errors.append(f"feedback of {student}: {type(e).__name__}: {e}")
    if args.csv:
        write_csv(book, args.csv, names)
    return errors


def _parts(paths, students, missing):
    """" (students of part 1 of 3)" when the gradebooks' names say N, else ""."""
    found = {m[1] for p in paths for m in [re.search(r"shard-\d+-of-(\d+)", p.name)] if m}
    if len(found) != 1:
        return ""
    n, order = int(found.pop()), {s: k for k, s in enumerate(sorted(students))}
    parts = sorted({order[s] % n for s, _ in missing if s in order})
    return f" (students of part {', '.join(map(str, parts))} of {n})" if parts else ""


def merge_command(args):
    """``bplib grade merge SHARD.sqlite ... --gradebook OUT``; returns the exit code."""
    from .gradebook import Gradebook
    from .shards import Incomplete, combine, listed

    paths = [Path(p) for p in args.submissions[1:]]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        return _fail(f"no gradebook at {', '.join(missing)}")
    if len({p.resolve() for p in paths}) < len(paths):
        return _fail("a gradebook is given twice")
    if args.gradebook.resolve() in [p.resolve() for p in paths]:
        return _fail("--gradebook must be a file other than the shards")
    if not args.class_folder.is_dir():
        return _fail(f"no submissions folder at {args.class_folder}: the merge checks that every "
                     "student's notebooks are in the gradebooks (--submissions DIR)")
    names = sorted(p.name for p in args.solutions.glob("*.ipynb") if not p.name.startswith("."))
    if not names:
        return _fail(f"no notebooks in {args.solutions} (--solutions DIR)")
    students = _students(args.class_folder)
    expected = {(s, n) for s in students for n in names}
    try:
        count, left_out = combine(paths, args.gradebook, expected, args.allow_missing)
    except Incomplete as e:
        return _fail(f"not merged: {e}{_parts(paths, students, e.missing)}. Grade them (run "
                     "their part again), or merge without them with --allow-missing.")
    except ValueError as e:
        return _fail(f"not merged: {e}")
    book = Gradebook(args.gradebook)
    errors = _outputs(book, args, names)
    book.close()
    print(f"{count} notebooks of {len(students)} students from {len(paths)} gradebooks merged "
          f"into {args.gradebook}: " + (f"{len(left_out)} missing, left out as --allow-missing "
                                        f"asks: {listed(left_out)}." if left_out else
                                        "every student's notebooks are there."))
    for line in errors:
        print(f"  {line}", file=sys.stderr)
    return 1 if errors else 0


def report_command(args):
    """``bplib grade report GRADEBOOK``: the class's report, and the LMS exports asked for."""
    from . import classreport, lms
    from .shards import read

    if len(args.submissions) != 2:
        return _fail("give one gradebook to report on (merge the shards first)")
    path = Path(args.submissions[1])
    if not path.is_file():
        return _fail(f"no gradebook at {path}")
    try:
        results = read(path)
    except ValueError as e:
        return _fail(str(e))
    if not results:
        return _fail(f"{path} holds no graded notebook yet")
    written = list(classreport.write(results, args.out or Path("report"), args.names))
    for fn, out in ((lms.write_canvas, args.canvas), (lms.write_moodle, args.moodle)):
        if out:
            fn(results, out)
            written.append(out)
    print("written: " + ", ".join(map(str, written)))
    return 0


def run(args):
    """Grade; returns the exit code (0 done, 1 some notebooks not graded, 2 bad usage)."""
    if args.submissions[0] == "merge" and len(args.submissions) > 1:
        return merge_command(args)
    if args.submissions[0] == "report" and len(args.submissions) > 1:
        return report_command(args)
    if args.out or args.names or args.canvas or args.moodle:
        return _fail("--out, --names, --canvas and --moodle go with `bplib grade report`")
    if len(args.submissions) > 1:
        return _fail("give one submissions folder (or `merge` and gradebooks)")
    if args.allow_missing or args.class_folder != Path("submissions"):
        return _fail("--submissions and --allow-missing go with `bplib grade merge`; "
                     "the folder to grade is given first")
    from . import merge
    from .grade import Options, SolutionError, make_root, remove_root
    from .gradebook import Gradebook
    from .sandbox import UNPROTECTED, NoSandbox, probe, remove_cgroups

    submissions = Path(args.submissions[0])
    if not args.solutions.is_dir():
        return _fail(f"no solutions folder at {args.solutions}")
    if not submissions.is_dir():
        return _fail(f"no submissions folder at {submissions}")
    if args.jobs < 1 or (args.timeout is not None and args.timeout <= 0):
        return _fail("--jobs and --timeout must be positive")
    names = sorted(p.name for p in args.solutions.glob("*.ipynb") if not p.name.startswith("."))
    if not names:
        return _fail(f"no notebooks in {args.solutions}")
    solutions = {}
    for name in names:
        try:
            solutions[name] = merge.load(args.solutions / name)
        except merge.Malformed as e:
            return _fail(f"solution {name}: {e}")
    students = _students(submissions)
    if not students:
        return _fail(f"no student folders in {submissions}: it holds one folder per student")
    for who in args.student or []:
        if who not in students:
            return _fail(f"no folder {who!r} in {submissions}")
    gradebook = args.gradebook
    if args.shard:
        try:
            i, n = shard_of(args.shard)
        except ValueError as e:
            return _fail(str(e))
        students = {s: students[s] for s in part(students, i, n)}
        if gradebook == Path("grades.sqlite"):
            gradebook = Path(f"grades.shard-{i}-of-{n}.sqlite")
    if args.no_sandbox:
        print(f"bplib grade: WARNING: {UNPROTECTED}", file=sys.stderr)
    else:
        try:
            probe()
        except NoSandbox as e:
            return _fail(f"{e}. Student code is not run without a sandbox; "
                         "--no-sandbox runs it anyway (only for code you trust).")
    _warn_if_reachable(args.solutions)

    book = Gradebook(gradebook)
    # A student graded again keeps their old rows until each new one replaces it.
    todo_students = [s for s in students if s in args.student] if args.student else students
    done = set() if args.force or args.student else book.done()
    todo = [(s, students[s], n) for s in todo_students for n in names if (s, n) not in done]

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    options = Options(timeout=args.timeout, memory_mb=args.memory,
                      notebook_timeout=args.notebook_timeout, sandboxed=not args.no_sandbox)
    try:
        options.root = make_root()
    except ValueError as e:
        return _fail(str(e))
    # A plain `kill` must end the run like Ctrl-C does: kernels shut down, and
    # every notebook recorded so far stays in the gradebook.
    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        counts, errors = _grade_all(todo, solutions, submissions, seed, options, book,
                                    args.jobs)
    except SolutionError as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        print("bplib grade: interrupted; what was graded is in the gradebook, "
              "run the same command again to go on.", file=sys.stderr)
        return 130
    finally:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:
            pass
        remove_root(options.root)
        remove_cgroups()

    errors += _outputs(book, args, names)
    book.close()
    skipped = len(todo_students) * len(names) - len(todo)
    print(f"{counts['graded']} notebooks graded, {counts['failed']} failed "
          f"(missing or unreadable), {counts['flagged']} flagged for review, "
          f"{len(errors)} not graded, {skipped} already in the gradebook"
          + (f" (shard {args.shard}: {gradebook})." if args.shard else "."))
    if args.no_sandbox:
        print(f"bplib grade: WARNING: {UNPROTECTED}", file=sys.stderr)
    for line in errors:
        print(f"  not graded: {line}", file=sys.stderr)
    return 1 if errors else 0
