"""Checks for the notebooks' exercises, with feedback a student can act on.

An exercise is a function the student writes; until it is written its body
raises ``NotImplementedError``. ``check`` turns every outcome into one line of
feedback and never raises, so a notebook runs top to bottom before any
exercise is done; ``attempt`` lets later cells go on with bplib's reference.

How a check holds an answer to its method and to the student's own work
(forbidden calls, counted calls, watched inputs, numpy errors in the lecture's
words) is in :mod:`bpcourse.method`.
"""
from .method import Delegated, MethodError, numpy_error  # noqa: F401  (what a check may raise)

# set by the grader in every graded kernel: the seed of the hidden tests' inputs
SEED_VARIABLE = "BPLIB_GRADE_SEED"
NOT_DONE = "not done yet: write your code where it says YOUR CODE HERE, then run this cell again"


def check(title, test, *args):
    """Run ``test(*args)`` and print one line of feedback.

    Nothing is returned, so a notebook cell ending in ``check(...)`` shows the
    feedback alone.

    Parameters
    ----------
    title : str
        What is checked, e.g. ``"forward pass"``.
    test : callable
        Calls the student's code and raises AssertionError with a message in
        the lecture's words when the answer is wrong.
    """
    try:
        test(*args)
    except NotImplementedError:
        print(f"{title}: {NOT_DONE}")
    except Delegated as e:
        print(f"{title}: not accepted. {e}")
    except AssertionError as e:
        print(f"{title}: not right yet. {e}")
    except Exception as e:  # the student's code failed: show it, never a traceback
        said = numpy_error(e) or f"raised {type(e).__name__}: {e}"
        print(f"{title}: your code {said}")
    else:
        print(f"{title}: correct")


def passes(test, *args):
    """Whether ``test(*args)`` passes, silently: for choosing what a later cell uses.

    Returns
    -------
    bool
    """
    try:
        test(*args)
    except Exception:  # not done, wrong or crashing: all mean "not yet"
        return False
    return True


def attempt(fn, reference, *args, what=None):
    """``fn(*args)``, or ``reference(*args)`` with a note while fn is not done.

    Parameters
    ----------
    fn : callable
        The student's function.
    reference : callable
        bplib's version, with the same signature.
    what : str, optional
        How to name the result in the note.

    Returns
    -------
    whatever fn (or reference) returns
    """
    try:
        return fn(*args)
    except NotImplementedError:
        print(f"note: using bplib's reference for {what or fn.__name__} "
              "until your exercise is done")
    except Exception as e:  # keep the notebook going; the check cell says what is wrong
        said = numpy_error(e) or f"raised {type(e).__name__}: {e}"
        print(f"note: your {what or fn.__name__} {said}; using bplib's reference")
    return reference(*args)
