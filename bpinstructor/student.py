"""``bplib student``: make the student notebooks from the solutions.

For each notebook in ``solutions/`` the student version is a copy in which

- every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of a code cell
  becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the
  marker's indentation (nbgrader's convention); in a markdown cell it becomes
  ``YOUR ANSWER HERE``;
- a solution cell (nbgrader metadata ``solution: true``) without markers is
  replaced whole, as nbgrader does;
- every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region is
  removed, the rest of the cell is kept;
- cell ids and nbgrader metadata are kept, graded test cells get the
  ``nbval-check-output`` tag so ``pytest --nbval-lax`` compares what the
  checks print;
- outputs are those of a fresh run with nbclient, made reproducible byte for
  byte (see ``normalize``).

``bplib student SOLUTIONS OUT --check`` regenerates into a temporary folder
and fails if anything differs from ``OUT`` or if a line of a solution or of a
hidden test reached a student notebook. ``--execute-solutions`` first runs the
solution notebooks in place, with the same normalization.
"""
import difflib
import json
import re
import sys
import tempfile
from pathlib import Path

import nbformat

from bpcourse.report import MIME as REPORT

from . import cells
from .cells import CODE_STUB, MARKDOWN_STUB, SOLUTION, MarkerError, Secrets, strip_cell

CHECK_TAG = "nbval-check-output"
# Cells whose output changes from run to run (timings, progress bars) carry
# one of these tags; only their pictures are kept in the written notebook.
VOLATILE_TAGS = {"nbval-ignore-output", "nbval-skip"}
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TIMEOUT = 60


def student_version(nb, name="notebook"):
    """The student copy of a solution notebook, its outputs cleared.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    name : str
        The notebook's name, for error messages.

    Returns
    -------
    student : nbformat.NotebookNode
    secrets : Secrets
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    secrets = Secrets()
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i} (id {cell.get('id', '?')})"
        source = cell.source
        if cell.metadata.get("nbgrader", {}).get("solution") and SOLUTION[0] not in source:
            # nbgrader's rule: a solution cell without markers is all solution
            lines = source.split("\n")
            source = "\n".join([SOLUTION[0]] + lines + [SOLUTION[1]])
        cell.source, s = strip_cell(source, cell.cell_type, where)
        secrets.solution += s.solution
        secrets.hidden += s.hidden
        if cell.cell_type == "code":
            cells.clear_outputs(cell)
            if cells.kind(cell) == "test":
                tags = cell.metadata.setdefault("tags", [])
                if CHECK_TAG not in tags:
                    tags.append(CHECK_TAG)
    return nb, secrets


# -- running and normalizing -------------------------------------------------

def execute(nb, cwd, timeout=TIMEOUT):
    """Run a notebook with nbclient and normalize it; returns the notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Run in place.
    cwd : path-like
        The folder the kernel starts in (where the notebook will live).
    timeout : int
        Seconds allowed per cell.
    """
    from nbclient import NotebookClient

    nb.metadata["kernelspec"] = dict(KERNEL)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL["name"],
                            record_timing=False, coalesce_streams=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return normalize(nb)


_HEX_ID = re.compile(r"[0-9a-f]{32}")


def normalize(nb):
    """Make a run's notebook reproducible byte for byte.

    Volatile cells (tagged ``nbval-ignore-output`` or ``nbval-skip``) keep
    only their pictures. Widget models not shown by a kept output are
    dropped, and the random model ids of the others are renumbered in the
    order they are shown, so two runs write the same file.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if VOLATILE_TAGS & set(cell.metadata.get("tags", [])):
            cell.outputs = [o for o in cell.outputs
                            if any(k.startswith("image/") for k in o.get("data", {}))]
    widgets = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {})
    state = widgets.get("state", {})
    shown = [o["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells
             for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    order, todo = [], list(shown)
    while todo:  # breadth first from what is shown, through IPY_MODEL_ references
        model_id = todo.pop(0)
        if model_id in order or model_id not in state:
            continue
        order.append(model_id)
        todo += [m for m in _HEX_ID.findall(json.dumps(state[model_id], sort_keys=True))
                 if m in state]
    if order:
        widgets = dict(widgets, state={m: state[m] for m in order})
        nb.metadata["widgets"] = {WIDGET_STATE: widgets}
    new = {old: f"{i + 1:032x}" for i, old in enumerate(order)}
    for m in shown:
        new.setdefault(m, f"{len(new) + 1:032x}")
    text = _HEX_ID.sub(lambda m: new.get(m.group(0), m.group(0)), json.dumps(nb))
    return nbformat.from_dict(json.loads(text))


def write(nb, path):
    """Validate and write a notebook."""
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


# -- the command -------------------------------------------------------------

def solution_paths(solutions, names=()):
    """The solution notebooks to use, sorted; ``names`` may omit ``.ipynb``."""
    solutions = Path(solutions)
    if not solutions.is_dir():
        raise FileNotFoundError(f"no folder of solution notebooks {solutions}")
    if not names:
        paths = sorted(solutions.glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError(f"{solutions} holds no notebooks (*.ipynb)")
        return paths
    paths = []
    for n in names:
        p = solutions / Path(n).name
        p = p if p.suffix == ".ipynb" else p.with_name(p.name + ".ipynb")
        if not p.is_file():
            raise FileNotFoundError(f"no solution notebook {p}")
        paths.append(p)
    return paths


def generate(path, out_dir, cwd=None, timeout=TIMEOUT):
    """Write the student version of one solution notebook into ``out_dir``.

    Returns
    -------
    Path, Secrets
        The file written and the lines that must not be in it.
    """
    nb = nbformat.read(str(path), as_version=4)
    student, secrets = student_version(nb, name=Path(path).name)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    student = execute(student, cwd or out_dir, timeout)
    target = Path(out_dir) / Path(path).name
    write(student, target)
    return target, secrets


def execute_in_place(path, timeout=TIMEOUT):
    """Run a solution notebook in its folder and write it back with outputs."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cells.clear_outputs(cell)
    write(execute(nb, Path(path).parent, timeout), path)


def leaks(student_nb, secrets, solution_nb):
    """Lines of solution or hidden-test regions found in a student notebook.

    A region's line counts only if it appears nowhere outside the regions of
    the solution notebook (a line such as ``return s`` may be shown openly
    elsewhere). Reported values of hidden tests count as leaks too.

    Returns
    -------
    list of str
        One message per leaked line.
    """
    stubs = {s.strip() for s in CODE_STUB + MARKDOWN_STUB}
    open_lines = set()
    for cell in solution_nb.cells:
        text, _ = strip_cell(cell.source, cell.cell_type)
        open_lines |= {s.strip() for s in text.split("\n")}
    found = []
    student_lines = {}
    for i, cell in enumerate(student_nb.cells):
        for line in cell.source.split("\n"):
            student_lines.setdefault(line.strip(), i)
        for o in cell.get("outputs", []):
            if REPORT in o.get("data", {}):
                found.append(f"cell {i} shows a hidden test's reported value")
    for kind, lines in (("solution", secrets.solution), ("hidden test", secrets.hidden)):
        for line in lines:
            s = line.strip()
            if s and s not in stubs and s not in open_lines and s in student_lines:
                found.append(f"{kind} line in cell {student_lines[s]}: {s}")
    return found


_PNG_IN_HTML = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def _html_without_pictures(html):
    # bplib.plots.show puts the PNG in an <img> as well, for its alt text
    return _PNG_IN_HTML.sub("<picture>", "".join(html) if isinstance(html, list) else html)


def _without_pictures(value):
    # A PNG's bytes depend on the fonts and the matplotlib build of the machine
    # that drew it; the picture's place and kind are compared, not its bytes.
    if isinstance(value, dict):
        base64 = value.get("encoding") == "base64"  # a widget's image buffer
        return {k: "<picture>" if k == "image/png" or (k == "data" and base64)
                else _html_without_pictures(v) if k == "text/html"
                else _without_pictures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_pictures(v) for v in value]
    return value


def comparable(path):
    """The notebook's text with the bytes of its pictures masked, for comparing two runs."""
    nb = json.loads(Path(path).read_text())
    return json.dumps(_without_pictures(nb), indent=1, sort_keys=True)


def same(expected, actual):
    """Whether two notebook files agree in everything but the bytes of their pictures."""
    return Path(expected).read_bytes() == Path(actual).read_bytes() or \
        comparable(expected) == comparable(actual)


def _diff(expected, actual, name, limit=40):
    a = comparable(expected).splitlines() if Path(expected).exists() else []
    b = comparable(actual).splitlines()

    def cut(lines):
        return [x if len(x) < 160 else x[:150] + " ..." for x in lines]

    lines = list(difflib.unified_diff(cut(a), cut(b), f"{name} (committed)",
                                      f"{name} (regenerated)", lineterm="", n=1))
    return lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])


def check(solutions, out, names=(), timeout=TIMEOUT, log=print):
    """Regenerate into a temporary folder and compare with ``out``.

    Returns
    -------
    list of str
        The problems found; empty when ``out`` is up to date and leaks nothing.
    """
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in solution_paths(solutions, names):
            target, secrets = generate(path, tmp, cwd=out, timeout=timeout)
            committed = Path(out) / path.name
            if not committed.exists():
                problems.append(f"{committed} is missing: run `bplib student {solutions} {out}`")
            elif not same(committed, target):
                problems.append(f"{committed} differs from a fresh generation:\n"
                                + "\n".join(_diff(committed, target, path.name)))
            else:
                log(f"{committed}: up to date")
            if committed.exists():
                solution_nb = nbformat.read(str(path), as_version=4)
                for leak in leaks(nbformat.read(str(committed), as_version=4), secrets, solution_nb):
                    problems.append(f"{committed}: {leak}")
    return problems


def add_arguments(parser):
    parser.add_argument("solutions", help="folder of solution notebooks, e.g. solutions/")
    parser.add_argument("out", help="folder for the student notebooks, e.g. notebooks/")
    parser.add_argument("names", nargs="*", help="only these notebooks (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; fail if OUT is not what a fresh generation gives")
    parser.add_argument("--execute-solutions", action="store_true",
                        help="first run the solution notebooks in place, keeping their outputs")
    parser.add_argument("--timeout", type=int, default=TIMEOUT, help="seconds allowed per cell")


def run(args):
    from nbclient.exceptions import CellExecutionError

    path = Path(args.solutions)
    try:
        paths = solution_paths(args.solutions, args.names)
        if args.check:
            problems = check(args.solutions, args.out, args.names, args.timeout)
            for p in problems:
                print(p, file=sys.stderr)
            return 1 if problems else 0
        Path(args.out).mkdir(parents=True, exist_ok=True)
        for path in paths:
            if args.execute_solutions:
                execute_in_place(path, args.timeout)
                print(f"{path}: executed")
            target, _ = generate(path, args.out, timeout=args.timeout)
            print(f"{target}: written")
    except (MarkerError, FileNotFoundError) as e:
        print(f"bplib student: {e}", file=sys.stderr)
        return 2
    except CellExecutionError as e:
        print(f"bplib student: {path.name} failed to run:\n{e}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    """``python -m bpinstructor.student``: the same as ``bplib student``."""
    import argparse

    parser = argparse.ArgumentParser(prog="bplib student", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
