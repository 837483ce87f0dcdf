"""Reading what a student typed: a number, a vector or an expression.

sympy reads expressions with implicit multiplication (``2x``, ``sin x``),
``^`` as the power and ``e`` for Euler's number. It evaluates what it reads,
so typed text is first limited to arithmetic, and the only names it can reach
are elementary functions and constants.
"""
import functools
import re

import numpy as np
import sympy
from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application,
                                        parse_expr, standard_transformations)

TRANSFORMATIONS = standard_transformations + (implicit_multiplication_application, convert_xor)


class Unreadable(ValueError):
    """Typed text that cannot be read as the kind of answer asked for."""


_TYPOGRAPHY = {"·": "*", "×": "*", "−": "-", "²": "^2", "³": "^3", "{": "(", "}": ")", "π": "pi"}
_ALLOWED = re.compile(r"^[A-Za-z0-9_\s.+\-*/^()\[\],;]*$")


def _clean(text, what):
    """Typographic variants to ASCII; refuse anything but arithmetic.

    sympy evaluates what it parses, so attribute access and dunder names are
    refused before parsing.
    """
    original = text
    for a, b in _TYPOGRAPHY.items():
        text = text.replace(a, b)
    if (not _ALLOWED.match(text) or "__" in text or re.search(r"\.\s*[A-Za-z_]", text)):
        raise Unreadable(f"could not read {original.strip()!r} as {what}")
    return text


# The only names typed text can reach. parse_expr evaluates what it reads, and
# its default namespace holds all of sympy and Python's builtins (open, input,
# sympy's preview, ...); any other name becomes a harmless Symbol or Function.
_NAMES = {name: getattr(sympy, name) for name in (
    "Symbol", "Function", "Integer", "Float", "Rational",   # what the transformations write
    "exp", "log", "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan",
    "sinh", "cosh", "tanh", "Abs", "Max", "Min", "pi", "E", "oo")}
_NAMES.update(e=sympy.E, ln=sympy.log, abs=sympy.Abs, arcsin=sympy.asin, arccos=sympy.acos,
              arctan=sympy.atan)


@functools.lru_cache(maxsize=512)
def parse(text, variables, what="an expression"):
    """A sympy expression from typed text; ``variables`` is a tuple of names."""
    local = {v: sympy.Symbol(v) for v in variables}
    if text.count("=") == 1:   # "f'(x) = 2x ...": the answer is the right-hand side
        text = text.split("=")[1]
    try:
        expr = parse_expr(_clean(text, what), local_dict=local, global_dict=dict(_NAMES),
                          transformations=TRANSFORMATIONS)
    except Unreadable:
        raise
    except Exception:  # SyntaxError, TokenError, TypeError from sympy: all mean the same to a student
        hint = ("; put a function's argument in parentheses: cos(x), not cos x"
                if re.search(r"\b(sin|cos|tan|exp|log|ln|sqrt)\s+[^\s(]", text) else "")
        raise Unreadable(f"could not read {text.strip()!r} as {what}{hint}") from None
    if not isinstance(expr, sympy.Basic):
        raise Unreadable(f"could not read {text.strip()!r} as {what}")
    return expr


def read_expression(value, variables):
    """A sympy expression from typed text, a sympy expression or a number.

    ``variables`` are the names the text may use, e.g. ``("x",)``.
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (int, float, np.number)):
        return sympy.Float(value) if isinstance(value, (float, np.floating)) else sympy.Integer(value)
    return parse(str(value), tuple(variables))


def read_number(value):
    """A float from a number or typed text such as '2 cos(1) e^(sin 1)'."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, sympy.Basic):
        expr = value
    else:
        text = str(value)
        if re.fullmatch(r"\s*-?\d+,\d+\s*", text):
            raise Unreadable(f"could not read {text.strip()!r} as a number: "
                             "write decimals with a point, e.g. 1.5")
        expr = parse(text, (), "a number")
    if expr.free_symbols:
        names = ", ".join(sorted(str(s) for s in expr.free_symbols))
        raise Unreadable(f"could not read {str(value).strip()!r} as a number: it still contains {names}")
    try:
        v = complex(expr.evalf())
    except (TypeError, ValueError):
        raise Unreadable(f"could not read {str(value).strip()!r} as a number") from None
    if abs(v.imag) > 1e-12 * max(1.0, abs(v.real)):
        raise Unreadable(f"{str(value).strip()!r} is not a real number")
    return v.real


def read_vector(value):
    """An array from a sequence, or typed text: '1, 2, 3', '[1 2 3]', '1 2; 3 4'."""
    if not isinstance(value, str):
        a = np.asarray(value, dtype=object)
        return np.atleast_1d(np.vectorize(read_number, otypes=[float])(a) if a.size else a.astype(float))
    text = value.strip()
    rows = [r for r in re.split(r"\]\s*,?\s*\[|;|\n", text.strip("[]() \n")) if r.strip()]
    out = []
    for row in rows:
        row = row.strip("[]() ")
        entries = [e for e in (row.split(",") if "," in row else row.split()) if e.strip()]
        try:
            out.append([read_number(e) for e in entries])
        except Unreadable:
            raise Unreadable(f"could not read {text!r} as a vector: write its entries as "
                             "numbers separated by commas, e.g. 1, -0.5, 2") from None
    if not out or any(len(r) != len(out[0]) for r in out):
        raise Unreadable(f"could not read {text!r} as a vector: rows of different lengths")
    a = np.array(out, dtype=float)
    return a[0] if a.shape[0] == 1 else a


def is_empty(answer):
    """True for nothing typed yet: None, or text of blanks only."""
    return answer is None or (isinstance(answer, str) and not answer.strip())
