"""``bplib grade``: grade every student's notebooks against the solutions.

    bplib grade submissions/ --solutions solutions/ --gradebook grades.sqlite \\
        --jobs 2 --feedback feedback/ --csv scores.csv

``submissions/`` holds one folder per student with their copies of the
notebooks. Results go to the gradebook as each notebook finishes; running
the command again skips what is already graded.
"""
import secrets
import signal
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path


def add_arguments(parser):
    """The options of ``bplib grade``."""
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"),
                        help="folder of the solution notebooks (default: solutions)")
    parser.add_argument("--gradebook", type=Path, default=Path("grades.sqlite"),
                        help="SQLite file the results go to (default: grades.sqlite)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once")
    parser.add_argument("--feedback", type=Path, metavar="DIR",
                        help="write one Markdown feedback file per student here")
    parser.add_argument("--csv", type=Path, help="write the scores here")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="seconds a cell may run (default: 60)")
    parser.add_argument("--notebook-timeout", type=float, default=None, metavar="S",
                        help="seconds a whole notebook may run (default: 20 x --timeout)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MB",
                        help="memory a kernel may use (default: 4096, 0: no limit)")
    parser.add_argument("--student", action="append", metavar="NAME",
                        help="grade only this student, replacing their earlier results "
                             "(may be given more than once)")
    parser.add_argument("--force", action="store_true",
                        help="grade everything again, replacing earlier results")
    parser.add_argument("--run-as", metavar="USER", default=None,
                        help="user the kernels run as (default when grading as root: nobody; "
                             "'-': the grader's own user)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden tests' inputs (default: a fresh one)")


def _fail(message):
    print(f"bplib grade: {message}", file=sys.stderr)
    return 2


def _grade_all(todo, solutions, submissions, seed, options, book, jobs):
    """Grade the (student, notebook) pairs of ``todo``, recording each as it finishes.

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
        needed = sorted({n for _, n in todo})
        futures = {n: pool.submit(run_solution, solutions[n], seed, options) for n in needed}
        expected = {}
        for n, future in futures.items():
            try:
                expected[n] = future.result()
            except SolutionError as e:
                raise SolutionError(f"{n}: {e}") from None
        pending = {pool.submit(grade, s, n, solutions[n], submissions / s / n,
                               expected[n], seed, options): (s, n) for s, n in todo}
        with tqdm(total=len(pending), desc="grading", unit="notebook") as bar:
            for future in as_completed(pending):
                bar.update()
                try:
                    result = future.result()
                except Exception as e:  # the grader's fault: left ungraded, retried next run
                    errors.append(f"{'/'.join(pending[future])}: {type(e).__name__}: {e}")
                    continue
                book.record(result, seed)
                counts["graded" if result.status == "graded" else "failed"] += 1
                counts["flagged"] += bool(result.flags)
    except KeyboardInterrupt:
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return counts, errors


def _user(name):
    """(uid, gid) for --run-as."""
    from .kernel import default_user

    if name is None:
        return default_user()
    if name == "-":
        return None
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _warn_if_reachable(solutions):
    """Say so when the installed bplib sits next to the solutions."""
    import bplib

    tree = Path(bplib.__file__).resolve().parents[1]
    if tree in solutions.resolve().parents:
        print(f"bplib grade: note: {solutions} lies in the folder bplib is installed from, "
              "so a student's code can find it through bplib.__file__; for real grading "
              "install bplib without -e, or keep the solutions elsewhere.", file=sys.stderr)


def run(args):
    """Grade; returns the exit code (0 done, 1 some notebooks not graded, 2 bad usage)."""
    from . import merge
    from .feedback import write_csv, write_feedback
    from .grade import Options, SolutionError, make_root, remove_root
    from .gradebook import Gradebook
    from .kernel import can_run_as

    if not args.solutions.is_dir():
        return _fail(f"no solutions folder at {args.solutions}")
    if not args.submissions.is_dir():
        return _fail(f"no submissions folder at {args.submissions}")
    if args.jobs < 1 or args.timeout <= 0:
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
    students = sorted(p.name for p in args.submissions.iterdir()
                      if p.is_dir() and not p.name.startswith("."))
    for who in args.student or []:
        if who not in students:
            return _fail(f"no folder {who!r} in {args.submissions}")
    _warn_if_reachable(args.solutions)

    book = Gradebook(args.gradebook)
    # A student graded again keeps their old rows until each new one replaces it.
    todo_students = args.student or students
    done = set() if args.force or args.student else book.done()
    todo = [(s, n) for s in todo_students for n in names if (s, n) not in done]

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    options = Options(timeout=args.timeout, memory_mb=args.memory,
                      notebook_timeout=args.notebook_timeout or 20 * args.timeout)
    try:
        options.user = _user(args.run_as)
    except KeyError:
        return _fail(f"no user {args.run_as!r} on this machine")
    if args.run_as not in (None, "-") and not can_run_as(options.user):
        return _fail(f"user {args.run_as!r} cannot start {sys.executable}")
    options.root = make_root()
    # A plain `kill` must end the run like Ctrl-C does: kernels shut down, and
    # every notebook recorded so far stays in the gradebook.
    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        counts, errors = _grade_all(todo, solutions, args.submissions, seed, options, book,
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

    if args.feedback:
        write_feedback(book, args.feedback, sorted({r["student"] for r in book.notebooks()}))
    if args.csv:
        write_csv(book, args.csv, names)
    book.close()
    skipped = len(todo_students) * len(names) - len(todo)
    print(f"{counts['graded']} notebooks graded, {counts['failed']} failed "
          f"(missing or unreadable), {counts['flagged']} flagged for review, "
          f"{len(errors)} not graded, {skipped} already in the gradebook.")
    for line in errors:
        print(f"  not graded: {line}", file=sys.stderr)
    return 1 if errors else 0
