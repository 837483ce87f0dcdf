"""Reading typed answers: one rule for a function without parentheses, and no number too large.

The rule: a function written without parentheses applies to the one factor
right after it (a number, a name, or both glued as in 2x, with its power),
wherever it stands.
"""
import subprocess
import sys
import time

import pytest
import sympy

from bplib.widgets._read import TooLarge, Unreadable, parse, read_number

x = sympy.Symbol("x")
LECTURE_DERIVATIVE = 2 * x * sympy.cos(x ** 2) * sympy.exp(sympy.sin(x ** 2))


@pytest.mark.parametrize("typed, meant", [
    ("2x cos x", 2 * x * sympy.cos(x)),
    ("cos x sin x", sympy.cos(x) * sympy.sin(x)),        # not cos(x sin x)
    ("sin x cos x", sympy.sin(x) * sympy.cos(x)),
    ("x sin x", x * sympy.sin(x)),
    ("sin x^2", sympy.sin(x ** 2)),                       # the power belongs to the factor
    ("exp(sin x^2)", sympy.exp(sympy.sin(x ** 2))),       # inside parentheses: the same rule
    ("e^(sin x^2)", sympy.exp(sympy.sin(x ** 2))),
    ("exp sin x^2", sympy.exp(sympy.sin(x ** 2))),        # nested: the inner one first
    ("sin 2x", sympy.sin(2 * x)),
    ("cos x^2 * 2x", 2 * x * sympy.cos(x ** 2)),          # not cos(2 x^3)
    ("2x cos x^2 e^(sin x^2)", LECTURE_DERIVATIVE),
    ("2x cos(x^2) e^(sin(x^2))", LECTURE_DERIVATIVE),
    ("e^(sin x^2) cos x^2 2x", LECTURE_DERIVATIVE),
    ("sqrt x^2 + ln x", sympy.sqrt(x ** 2) + sympy.log(x)),
    ("sin(x)^2", sympy.sin(x) ** 2),                      # parentheses given: left alone
    ("sin (x + 1)^2", sympy.sin(x + 1) ** 2),
])
def test_a_function_without_parentheses_takes_the_one_factor_after_it(typed, meant):
    assert sympy.simplify(parse(typed, ("x",)) - meant) == 0, parse(typed, ("x",))


def test_numbers_follow_the_same_rule():
    assert read_number("2 cos 1 e^(sin 1)") == pytest.approx(
        float(2 * sympy.cos(1) * sympy.exp(sympy.sin(1))), rel=1e-15)
    assert read_number("sin 1 cos 1") == pytest.approx(float(sympy.sin(1) * sympy.cos(1)))


TOO_LARGE = ["9^9^9^9", "9**9**9", "10^10^10", "x^(9^9^9)", "e^(e^(e^(e^10)))",
             "exp(exp(exp(exp(10))))", "1e999999", "sin(9^9^9)", "(x+1)^100000",
             "99999999999999^99999999999", "2^9^9 - 2^9^9"]


@pytest.mark.parametrize("typed", TOO_LARGE)
def test_a_number_too_large_is_refused_at_once(typed):
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="too large to check"):
        if "x" in typed.replace("exp", ""):
            parse(typed, ("x",))
        else:
            read_number(typed)
    assert time.perf_counter() - start < 1.0
    assert issubclass(TooLarge, Unreadable)  # the answer boxes show it as unreadable


@pytest.mark.parametrize("typed, value", [("2^1000", 2.0 ** 1000), ("10^400/10^399", 10.0),
                                          ("1e300", 1e300), ("1.5e-5", 1.5e-5),
                                          ("exp(-700)", 9.85967654375977e-305)])
def test_large_numbers_that_can_be_checked_are_read(typed, value):
    assert read_number(typed) == pytest.approx(value, rel=1e-14)


def test_long_digit_strings_are_read_or_refused_quickly():
    for typed in ("9" * 5000, "1" * 3000 + "e5", "1" * 3000):
        start = time.perf_counter()
        try:
            read_number(typed)
        except Unreadable:
            pass
        assert time.perf_counter() - start < 1.0, typed[:20]


def test_the_answer_box_answers_9_to_the_9_to_the_9_to_the_9_within_a_second():
    """In a fresh interpreter, as a kernel would run it, nothing cached."""
    code = ("import time; from bplib import widgets; t = time.perf_counter(); "
            "v = widgets.check_expression('9^9^9^9', 'x'); "
            "w = widgets.check_number('9^9^9^9', 1.0); "
            "print(v.status, w.status, 'too large to check' in v.message, "
            "time.perf_counter() - t < 1.0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out == ["unreadable", "unreadable", "True", "True"]
