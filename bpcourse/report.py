"""What a hidden test cell runs inside the student's kernel.

A hidden test does not decide the verdict in the kernel, where the student's
code could patch numpy or override comparison. It draws inputs with
``probe_rng()``, calls the student's code on them and ``report``s the plain
numbers. The grader runs the solution on the same inputs and compares the two
in its own process.
"""
import json
import os

import numpy as np

MIME = "application/vnd.bplib.report+json"
SEED_VARIABLE = "BPLIB_GRADE_SEED"


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
        payload = {"name": str(name), "shape": list(a.shape),
                   "value": json.loads(json.dumps(a.ravel().tolist()))}
    except Exception as e:  # a student's value that is not numbers
        payload = {"name": str(name), "error": f"{type(e).__name__}: {e}"}
    display({MIME: payload, "text/plain": f"reported {name}"}, raw=True)
