r"""Answer boxes: type a number, a vector or an expression, press Check.

The checks are plain functions that return a :class:`Verdict`:

>>> check_expression("2x cos(x^2) e^(sin(x^2))", "2*x*cos(x**2)*exp(sin(x**2))").status
'right'

Expressions are read by sympy with implicit multiplication (``2x``,
``sin x``) and ``^`` as the power, then compared numerically at fixed sample
points (symbolically when too few points are defined). A caller names the
mistakes students make, ``{expression_or_value: message}``, and the verdict
says which one was made, in the lecture's words.
"""
from dataclasses import dataclass

import ipywidgets as w
import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from ._base import Widget, safe
from ._read import Unreadable, is_empty, parse, read_expression, read_number, read_vector

RTOL, ATOL = 1e-6, 1e-9      # "right": equal up to rounding of a typed decimal
CLOSE = 1e-2                 # "close": within 1 %, e.g. e typed as 2.718
# Fixed sample points, away from 0 where many wrong answers agree with the right one.
SAMPLES = np.array([-1.73, -1.21, -0.67, -0.29, 0.31, 0.58, 0.94, 1.37, 1.82, 2.26])


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check.

    Attributes
    ----------
    ok : bool
        True only for a right answer.
    status : str
        'right', 'close', 'mistake', 'unreadable', 'wrong' or 'empty'.
    message : str
        What to tell the student.
    """

    ok: bool
    status: str
    message: str

    def __str__(self):
        return self.message

EMPTY = Verdict(False, "empty", "Not done yet: type your answer in the box, then press Check.")


# --- numbers and vectors ----------------------------------------------------

def shown_rtol(digits):
    """The relative tolerance of a number printed to ``digits`` significant figures.

    A figure rounded to d significant figures is off by at most half a unit in
    its last place, a relative 5 * 10^-d; a product or sum of a few such
    figures is off by a few times that, so twice it is allowed, and the
    student's own rounding of the result to d figures once more.
    """
    return 3 * 5.0 * 10.0 ** (-int(digits))


def _match(a, b, rtol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=ATOL))


def _known_mistake(answer, mistakes, rtol, read):
    for key, message in (mistakes or {}).items():
        if _match(answer, read(key), rtol):
            return Verdict(False, "mistake", message)
    return None


def _compare(answer, expected, mistakes, rtol, close, read, what):
    """Shared order of the verdicts: right, a named mistake, close, a loosely named mistake."""
    if _match(answer, expected, rtol):
        return Verdict(True, "right", f"Right: {what(answer)}.")
    found = _known_mistake(answer, mistakes, rtol, read)
    if found:
        return found
    if _match(answer, expected, close):
        return Verdict(False, "close", (
            f"Close, but not within the tolerance: {what(answer)} is within {close:.0%} of the "
            f"answer, not within {rtol:.0e}. Keep more digits, or type the exact form, "
            "e.g. cos(1) rather than 0.54."))
    found = _known_mistake(answer, mistakes, close, read)
    return found or None


def check_number(answer, expected, mistakes=None, rtol=RTOL, close=CLOSE):
    """Check a number typed as text ('0.5', '2 cos(1) e^(sin 1)') or given as a float.

    Parameters
    ----------
    answer : str or float
    expected : float or str
    mistakes : dict, optional
        {wrong value (float or text): message in the lecture's words}
    rtol, close : float
        Relative tolerances for 'right' and for 'close'.

    Returns
    -------
    Verdict
    """
    if is_empty(answer):
        return EMPTY
    try:
        a = read_number(answer)
    except Unreadable as e:
        return Verdict(False, "unreadable", str(e))
    b = read_number(expected)
    verdict = _compare(a, b, mistakes, rtol, close, read_number, lambda v: f"{v:.6g}")
    return verdict or Verdict(False, "wrong", f"Not right: {a:.6g} is not the value asked for.")


def check_vector(answer, expected, mistakes=None, rtol=RTOL, close=CLOSE):
    """Check a vector or matrix, typed ('1, 2, 3'; rows split by ';') or given as an array.

    Parameters
    ----------
    answer : str or array_like
    expected : array_like, shape (n,) or (m, n)
    mistakes : dict, optional
        {wrong value (tuple or text): message}
    rtol, close : float

    Returns
    -------
    Verdict
    """
    if is_empty(answer):
        return EMPTY
    try:
        a = read_vector(answer)
    except Unreadable as e:
        return Verdict(False, "unreadable", str(e))
    b = read_vector(expected)
    fmt = lambda v: np.array2string(np.asarray(v), precision=6, separator=", ")  # noqa: E731
    verdict = _compare(a, b, mistakes, rtol, close, read_vector, fmt)
    if verdict:
        return verdict
    if a.ndim == 2 and _match(a.T, b, close):
        return Verdict(False, "mistake", (
            f"This is the transpose of the answer, whose shape is {b.shape}: a Jacobian has "
            "one row per output and one column per input, and W^(l) has shape (d_l, d_{l-1})."))
    if a.shape != b.shape:
        return Verdict(False, "wrong",
                       f"The answer has shape {b.shape} ({b.size} entries); yours has shape {a.shape}.")
    wrong = np.flatnonzero(~np.isclose(a, b, rtol=close, atol=ATOL).ravel())
    where = ", ".join(str(tuple(int(i) for i in np.unravel_index(k, b.shape)))
                      if b.ndim > 1 else str(k) for k in wrong[:4])
    return Verdict(False, "wrong", f"Not right: entries at {where} (counting from 0) are off.")


# --- expressions -------------------------------------------------------------

def _values(expr, variables):
    """The expression at the sample points; NaN where it is undefined."""
    symbols = [sympy.Symbol(v) for v in variables]
    grid = np.meshgrid(*([SAMPLES] * len(symbols))) if symbols else []
    points = [g.ravel() for g in grid]
    try:
        f = sympy.lambdify(symbols, expr, "numpy")
        with np.errstate(all="ignore"):
            y = np.asarray(f(*points), dtype=complex)
    except Exception:  # 1/0 is sympy's zoo, which numpy cannot evaluate: undefined everywhere
        y = np.full(points[0].shape if points else (), np.nan, dtype=complex)
    y = np.broadcast_to(y, points[0].shape if points else ()).astype(complex)
    y = np.where(np.abs(y.imag) <= 1e-12 * np.maximum(1, np.abs(y.real)), y.real, np.nan)
    return np.atleast_1d(y.real), points


def _at(points, variables, i):
    return ", ".join(f"{v} = {p[i]:g}" for v, p in zip(variables, points))


def _same(ya, yb, rtol):
    """True/False where both are defined; None if too few points to tell."""
    both = np.isfinite(ya) & np.isfinite(yb)
    if np.any(np.isfinite(yb) != np.isfinite(ya)):
        return False
    if both.sum() < 3:
        return None
    return bool(np.allclose(ya[both], yb[both], rtol=rtol, atol=ATOL))


def check_expression(answer, expected, mistakes=None, variables=("x",), rtol=RTOL, close=CLOSE):
    """Check a typed expression against the expected one.

    Parameters
    ----------
    answer : str
        What the student typed, e.g. ``"2x cos(x^2) e^(sin(x^2))"``: implicit
        multiplication, ``^`` for powers, ``e`` for Euler's number.
    expected : str or sympy expression
    mistakes : dict, optional
        {wrong expression (text or sympy): message in the lecture's words}
    variables : sequence of str
        The names the expression may use.
    rtol, close : float
        Relative tolerances at the sample points for 'right' and 'close'.

    Returns
    -------
    Verdict
    """
    if is_empty(answer):
        return EMPTY
    variables = tuple(variables)
    try:
        a = read_expression(answer, variables)
    except Unreadable as e:
        return Verdict(False, "unreadable", str(e))
    read_as = f" (read as {sympy.sstr(a).replace('**', '^')})"
    unknown = sorted(str(s) for s in a.free_symbols if str(s) not in variables)
    undefined = sorted({str(f.func) for f in a.atoms(AppliedUndef)})
    if undefined:
        return Verdict(False, "unreadable", (
            f"could not read {answer.strip()!r}: {', '.join(undefined)}(...) is not a function "
            "I know; use exp, log, sin, cos, tan, sqrt" + read_as))
    if unknown:
        return Verdict(False, "wrong", (
            f"Your answer uses {', '.join(unknown)}, which the exercise does not have (it has "
            f"{', '.join(variables)}). Put a space or * between factors and function names, "
            f"e.g. 2x cos(x^2), not 2xcos(x^2){read_as}."))
    b = read_expression(expected, variables)
    ya, points = _values(a, variables)
    yb, _ = _values(b, variables)
    same = _same(ya, yb, rtol)
    if same is None:  # too few points where both are defined: ask sympy
        same = sympy.simplify(a - b) == 0
    if same:
        return Verdict(True, "right", "Right" + read_as + ".")
    for key, message in (mistakes or {}).items():
        ym, _ = _values(read_expression(key, variables), variables)
        if _same(ya, ym, rtol):
            return Verdict(False, "mistake", message + read_as)
    if _same(ya, yb, close):
        both = np.isfinite(ya) & np.isfinite(yb)
        i = int(np.argmax(np.where(both, np.abs(ya - yb), -1)))
        return Verdict(False, "close", (
            f"Close, but not within the tolerance: at {_at(points, variables, i)} yours gives "
            f"{ya[i]:.6g}, within {close:.0%} of the answer. Keep exact constants such as e "
            "and pi instead of rounded decimals" + read_as + "."))
    if not np.isfinite(ya).any():
        return Verdict(False, "wrong", (
            f"Your expression is undefined at every sample point (a division by zero?){read_as}."))
    finite = np.isfinite(ya) & np.isfinite(yb)
    i = int(np.argmax(finite & ~np.isclose(ya, yb, rtol=close, atol=ATOL))) if finite.any() else 0
    if not finite[i]:
        return Verdict(False, "wrong", (
            f"Not right: at {_at(points, variables, i)} one of your expression and the answer "
            f"is undefined and the other is not{read_as}."))
    return Verdict(False, "wrong", (
        f"Not right: at {_at(points, variables, i)} yours gives {ya[i]:.6g}, which is not the "
        f"value asked for there; check each factor against the path it belongs to{read_as}."))


def check_answer(answer, expected, mistakes=None, **kwargs):
    """Check a number, a vector or an expression, chosen by the kind of ``expected``.

    A string or sympy expression with variables is an expression; a sequence
    or array is a vector; anything else a number.
    """
    return _checker(expected, kwargs.get("variables", ("x",)))(answer, expected, mistakes, **kwargs)


def _checker(expected, variables=("x",)):
    if isinstance(expected, (str, sympy.Basic)):
        expr = read_expression(expected, tuple(variables))
        if expr.free_symbols:
            return check_expression
        return lambda *a, variables=None, **k: check_number(*a, **k)
    if isinstance(expected, (list, tuple, np.ndarray)):
        return lambda *a, variables=None, **k: check_vector(*a, **k)
    return lambda *a, variables=None, **k: check_number(*a, **k)


# --- the widget ---------------------------------------------------------------

_KIND = {"right": "right", "close": "close", "empty": "info"}   # the rest in the error colour


class AnswerBox(Widget):
    """A text box, a Check button and the verdict.

    Parameters
    ----------
    expected : float, array_like, str or sympy expression
        The right answer; its kind decides how the typed text is read.
    mistakes : dict, optional
        {wrong answer: message in the lecture's words}
    question : str, optional
        Shown above the box; may hold LaTeX between $...$.
    prompt : str
        The label in front of the box.
    variables : sequence of str
        Names an expression may use.
    rtol, close : float
        Tolerances for 'right' and 'close'.
    digits : int, optional
        The significant figures the notebook prints the numbers the answer is
        worked out from: an answer at that precision is right
        (``rtol = shown_rtol(digits)``), one within ``close`` is "close".
    name : str, optional
        What a screen reader calls the box; by default "your answer for" and
        the prompt, e.g. "your answer for df/dx".
    reveal : str, optional
        The worked answer, shown under "Right" once the answer is right (and
        never before): the derivation is the student's to find first.

    Attributes
    ----------
    text, button : the Text and the Check button
    verdict : Verdict of the last check (None before the first)
    feedback : str, the text shown under the box
    """

    css_class = "bplib-answer"

    def __init__(self, expected, mistakes=None, question=None, prompt="answer:",
                 variables=("x",), rtol=RTOL, close=CLOSE, placeholder="", name=None,
                 reveal=None, digits=None):
        if digits is not None:   # judged at the precision the student was shown
            rtol = max(rtol, shown_rtol(digits))
            close = max(close, 10 * rtol)
        self.expected, self.mistakes, self.reveal = expected, dict(mistakes or {}), reveal
        self.variables, self.rtol, self.close = tuple(variables), rtol, close
        self._check = _checker(expected, self.variables)
        self.text = w.Text(description=prompt, placeholder=placeholder,
                           layout=w.Layout(width="32em"), style={"description_width": "initial"})
        self.button = w.Button(description="Check", button_style="primary")
        self.button.on_click(lambda _: self.check())
        children = [w.HTMLMath(question)] if question else []
        super().__init__(children + [w.HBox([self.text, self.button])])
        what = prompt.strip().rstrip(":=").strip()
        name = name or ("your answer" if what.lower() in ("", "answer") else
                        f"your answer for {what}")
        self.name(self.text, name, "type, then press Enter or Check", enter=self._entered)
        self.name(self.button, "Check", f"check {name}")
        self.verdict = None

    def _entered(self, text):
        # the text travels with the key press: the box's own value may still be on its way
        self.check(text)

    @safe
    def check(self, answer=None):
        """Check the text in the box (or ``answer``, which is typed into the box first)."""
        if answer is not None:
            self.text.value = str(answer)
        self.verdict = self._check(self.text.value, self.expected, self.mistakes,
                                   variables=self.variables, rtol=self.rtol, close=self.close)
        message = self.verdict.message
        if self.verdict.ok and self.reveal:   # earned: the worked answer
            message += "\n" + self.reveal
        self.show(message, kind=_KIND.get(self.verdict.status, "error"))
        return self.verdict

    def summary(self):
        return self.feedback or f"[answer box: {self.text.description} ____ ] [Check]"


# --- the lecture's exercise: f(x) = e^{sin(x^2)} -------------------------------

CHAIN_RULE_EXPECTED = "2x cos(x^2) e^(sin(x^2))"
CHAIN_RULE_WORKED = (
    "The worked answer: f = e^a with a = sin(u), u = x^2. Outer: d e^a/da = e^a, kept at "
    "a = sin(x^2). Middle: d sin(u)/du = cos(u), kept at u = x^2. Inner: d x^2/dx = 2x. "
    "So f'(x) = e^(sin(x^2)) cos(x^2) 2x.")


def chain_rule_answer(at=None, mistakes=None):
    """The lecture's exercise: f(x) = e^{sin(x^2)}, find df/dx.

    Parameters
    ----------
    at : float, optional
        Ask for the number f'(at) instead of the expression.
    mistakes : dict, optional
        {wrong df/dx as an expression in x: message}, the usual mistakes (a
        missing 2x, cos(x) for cos(x^2), ...) to name in the lecture's words;
        a course passes its own table (the workbook's is ``bpcourse.nb06.MISTAKES``).

    Returns
    -------
    AnswerBox
    """
    mistakes = dict(mistakes or {})
    if at is None:
        return AnswerBox(CHAIN_RULE_EXPECTED, mistakes,
                         question=r"$f(x) = e^{\sin(x^2)}$. Type $\dfrac{df}{dx}$ "
                                  "(e.g. <code>x^2 cos(x)</code> for $x^2\\cos x$):",
                         prompt="df/dx =", placeholder="an expression in x",
                         reveal=CHAIN_RULE_WORKED)
    at = float(at)
    x = sympy.Symbol("x")
    value = lambda text: float(parse(text, ("x",)).subs(x, at))  # noqa: E731
    named = {}
    for text, message in mistakes.items():
        v = value(text)
        if not np.isclose(v, value(CHAIN_RULE_EXPECTED), rtol=CLOSE):  # at some x a mistake is harmless
            named.setdefault(v, message)
    return AnswerBox(value(CHAIN_RULE_EXPECTED), named,
                     question=rf"$f(x) = e^{{\sin(x^2)}}$. Type the number $f'({at:g})$:",
                     prompt=f"f'({at:g}) =", placeholder="a number, or an expression such as 2cos(1)",
                     reveal=CHAIN_RULE_WORKED)
