"""What a hidden test cell runs inside the student's kernel.

A hidden test does not decide the verdict in the kernel, where the student's
code could patch numpy or override comparison. It draws inputs with
``probe_rng()``, calls the student's code on them and ``report``s the plain
numbers. The grader runs the solution on the same inputs and compares the two
in its own process.

Two reports speak against an answer whatever its numbers: ``watch`` reports
a call the exercise forbids (bplib's own version, a reference of the checks),
``hold_to_method`` a right value reached by a forbidden method. The grader
gives such a cell 0 points and a flag, with a reason in its own words.
"""
import json
import math
import os

import numpy as np

from . import SEED_VARIABLE

MIME = "application/vnd.bplib.report+json"


def probe_rng():
    """The generator a hidden test draws its inputs from.

    Returns
    -------
    numpy.random.Generator
        Seeded from the grader (a fresh seed at each grading run), or with 0
        when the notebook runs outside the grader.
    """
    return np.random.default_rng(int(os.environ.get(SEED_VARIABLE, "0")))


def report(name, value):
    """Hand a value to the grader as plain JSON numbers.

    Parameters
    ----------
    name : str
        What is reported, unique within the cell, e.g. ``"forward"``.
    value : array_like of real numbers
    """
    from IPython.display import display

    try:
        a = np.array(value, dtype=np.float64)
        # JSON has no nan or inf: they travel as the strings "nan", "inf", "-inf"
        flat = [v if math.isfinite(v) else str(v) for v in a.ravel().tolist()]
        payload = {"name": str(name), "shape": list(a.shape),
                   "value": json.loads(json.dumps(flat))}
    except Exception as e:  # a student's value that is not numbers
        payload = {"name": str(name), "error": f"{type(e).__name__}: {e}"}
    display({MIME: payload, "text/plain": f"reported {name}"}, raw=True)


DELEGATED = "__delegated__"   # the report a hidden test makes for an answer that delegated
METHOD = "__method__"         # ... and for one whose numbers came by a forbidden method


def _mark(name, what):
    from IPython.display import display

    display({MIME: {"name": name, "what": what}, "text/plain": f"{name}: {what}"}, raw=True)


def hold_to_method(test, fn):
    """Run the notebook's check ``test(fn)`` and report a method it forbids.

    Only :class:`bpcourse.method.MethodError` is reported; a wrong answer is
    judged by its numbers, and the check's other verdicts are not the grader's.
    """
    from bpcourse.method import Delegated, MethodError

    try:
        test(fn)
    except MethodError as e:
        _mark(METHOD, str(e)[:200])
    except (Delegated, Exception):   # judged by watch() and by the reported numbers
        pass


class watch:
    """Watch the student's function while a hidden test calls it (a context manager).

    When the function calls what ``rules`` forbid, a report named
    ``DELEGATED`` is made at the end of the block; the grader scores the
    cell 0 and flags it.

    Parameters
    ----------
    rules : bpcourse.method.Rules
    fn : callable
        The student's function: only calls made while it runs count.
    """

    def __init__(self, rules, fn):
        from bpcourse.method import Tracer, _code

        try:
            inside = _code(fn)
        except AttributeError:   # not a plain function: watch the whole block
            inside = None
        self.tracer = Tracer(rules.codes(), inside=inside, allowed=rules.allowed())

    def __enter__(self):
        self.tracer.__enter__()
        return self

    def __exit__(self, *exc):
        self.tracer.__exit__(*exc)
        if self.tracer.called:
            _mark(DELEGATED, ", ".join(sorted(set(self.tracer.called))))
        return False


MISTAKE = "__mistake__:"   # reports named MISTAKE + "<mistake id>:<report name>"


def report_mistakes(exercise, *inputs, label=None):
    """Report the values each usual mistake of ``exercise`` gives on ``inputs``.

    Only the solution's run of a hidden test is read for these: the grader
    ignores them in a student's run, and records a mistake when a wrong
    answer's numbers equal its values (``bpcourse.mistakes``).

    Parameters
    ----------
    exercise : str
        An id of ``bpcourse.mistakes.EXERCISES``, e.g. ``"nb08.backward"``.
    *inputs
        What the hidden test passed to the student's function, unchanged.
    label : str, optional
        The name the hidden test reports this call's result under (or the
        start of its names); by default the exercise's last part.
    """
    from .mistakes import EXERCISES

    ex = EXERCISES[exercise]
    label = exercise.rsplit(".", 1)[-1] if label is None else label
    for m in ex.mistakes:
        try:
            named = ex.reports(m.values(*inputs), label)
        except Exception:   # a mistake that cannot run on these shapes gives no values
            continue
        for name, value in named:
            report(f"{MISTAKE}{m.id}:{name}", value)
