"""Reading what a student typed: a number, a vector or an expression.

sympy reads expressions with implicit multiplication (``2x``), ``^`` as the
power and ``e`` for Euler's number. A function written without parentheses
applies to the one factor after it, powers included, by one rule everywhere:
``2x cos x^2 e^(sin x^2)`` is 2x cos(x^2) e^(sin(x^2)), ``exp(sin x^2)`` is
exp(sin(x^2)), ``cos x sin x`` is cos(x) sin(x). sympy evaluates what it reads,
so typed text is first limited to arithmetic, the only names it can reach are
elementary functions and constants, and numbers too large to compute with
(``9^9^9^9``) are refused before they are computed.
"""
import functools
import math
import re
import warnings

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
_UNEVALUATED = dict(_NAMES, Add=sympy.Add, Mul=sympy.Mul, Pow=sympy.Pow)  # evaluate=False writes them


_FUNCTIONS = sorted([name for name, f in _NAMES.items() if isinstance(f, sympy.FunctionClass)
                     and name not in ("Max", "Min", "Function")] + ["sqrt"], key=len, reverse=True)
_CALL = re.compile(r"(?:%s)\(" % "|".join(_FUNCTIONS))
_BARE_CALL = re.compile(r"\b(?:%s)[ \t]+(?=[\w.])" % "|".join(_FUNCTIONS))
_ATOM = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)?(?:[A-Za-z_]\w*)?")  # 2x, x, 1.5, pi


def _closing(text, i):
    """The index after the parenthesis that closes the one before index i."""
    depth = 1
    while i < len(text) and depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return i


def _factor_end(text, i):
    """Where the factor starting at index i ends: ``2x``, ``x^2``, ``sin(x)``, ``(x+1)^3``."""
    call = _CALL.match(text, i)
    if call:
        end = _closing(text, call.end())
    elif text.startswith("(", i):
        end = _closing(text, i + 1)
    else:
        end = _ATOM.match(text, i).end()
    while text.startswith("^", end):  # the power belongs to the factor: sin x^2 = sin(x^2)
        end = (_closing(text, end + 2) if text.startswith("(", end + 1)
               else _ATOM.match(text, end + 1 + text.startswith("-", end + 1)).end())
    return end


def _parenthesize(text):
    """``cos x^2`` -> ``cos(x^2)``: a function without parentheses takes the one factor after it.

    The last bare function first, so ``exp sin x`` becomes exp(sin(x)).
    """
    while True:
        bare = list(_BARE_CALL.finditer(text))
        if not bare:
            return text
        name, start = bare[-1].group().strip(), bare[-1].end()
        end = _factor_end(text, start)
        if end == start:
            return text
        text = (text[:bare[-1].start()] + f"{name}({text[start:end]})" + text[end:])


class TooLarge(Unreadable):
    """A number too large to compute with, such as 9^9^9^9."""


_MAX_DIGITS = 4000     # a number beyond 10^4000 is far beyond any float to compare it with
_MAX_EXPONENT = 10_000


_LITERAL_EXPONENT = re.compile(r"(?<![\d.])(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?(\d+)")


def _refuse_huge_literals(text):
    """1e999999 is a float literal whose exact value sympy would compute digit by digit."""
    if any(int(m.group(1)) > _MAX_DIGITS for m in _LITERAL_EXPONENT.finditer(text)):
        raise TooLarge("too large")


def _digits(e):
    """log10 of a bound on |e| for a number e, None where e holds a variable; or TooLarge.

    ``e`` is unevaluated, so nothing large has been computed yet.
    """
    sizes = [_digits(a) for a in e.args]  # the inner parts first: 9^9^9^9 stops at 9^9^9
    if e.is_Symbol:
        return None
    if e.is_Rational:  # integers too; math.log10 takes integers of any size
        digits = math.log10(max(abs(e.p), e.q, 1))
        if digits > _MAX_DIGITS:
            raise TooLarge("too large")
        return digits
    if e.is_Number or e.is_NumberSymbol:
        return math.log10(max(abs(float(e)), 1.0)) if e.is_finite else None
    if e.is_Pow:
        base, exponent = sizes
        if exponent is not None and exponent > math.log10(_MAX_EXPONENT):
            if not (e.base.is_Number and abs(e.base) in (0, 1)):
                raise TooLarge("too large")
        if base is None or exponent is None:
            return None
        digits = base * 10 ** exponent
    elif isinstance(e, sympy.exp):
        if sizes[0] is None:
            return None
        digits = 10 ** min(sizes[0], 300) * math.log10(math.e)
    elif e.is_Mul:
        digits = None if None in sizes else sum(sizes)
    elif e.is_Add:
        digits = None if None in sizes else max(sizes) + 1
    else:   # sin, log, ...: no larger than their arguments, as far as size goes
        return None if None in sizes else max(sizes, default=0)
    if digits is not None and digits > _MAX_DIGITS:
        raise TooLarge("too large")
    return digits


@functools.lru_cache(maxsize=512)
def parse(text, variables, what="an expression"):
    """A sympy expression from typed text; ``variables`` is a tuple of names."""
    local = {v: sympy.Symbol(v) for v in variables}
    if text.count("=") == 1:   # "f'(x) = 2x ...": the answer is the right-hand side
        text = text.split("=")[1]
    try:
        clean = _parenthesize(_clean(text, what))
        _refuse_huge_literals(clean)
        # read once without evaluating, to refuse what would take forever to compute
        # (sympy warns about what the evaluated reading refuses anyway, e.g. "input()")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unevaluated = parse_expr(clean, local_dict=local, global_dict=dict(_UNEVALUATED),
                                     transformations=TRANSFORMATIONS, evaluate=False)
        _digits(unevaluated)
        expr = parse_expr(clean, local_dict=local, global_dict=dict(_NAMES),
                          transformations=TRANSFORMATIONS)
    except TooLarge:
        raise TooLarge(f"{text.strip()!r} is too large to check (a number of more than "
                       f"{_MAX_DIGITS} digits, or a power above {_MAX_EXPONENT})") from None
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
