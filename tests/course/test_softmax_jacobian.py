"""Notebook 07, the softmax's Jacobian: the reference, the named mistakes, and an answer kept back.

The reference agrees with central differences for every m the hidden test may draw and
for an s near 1000; each wrong answer of the course's table that makes a named mistake
gives that mistake's values on inputs like the hidden test's; no feedback to a wrong
answer, and no text before the check, states the formula or a right entry of J; the
worked answer is printed only by an answer that passes.
"""
import contextlib
import io
import re

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bplib  # noqa: E402
from bpcourse import nb07  # noqa: E402
from bpcourse.mistakes import EXERCISES, MISTAKES  # noqa: E402

from solution_cells import SOLUTIONS, define, namespace  # noqa: E402
from wrong_answers import ANSWERS  # noqa: E402

WRONG = [w for w in ANSWERS if w.exercise == "softmax_jacobian"]
# misconception in wrong_answers.py -> the mistake it makes
MADE = {
    "only the diagonal, as if the softmax were element-wise": "nb07.softmax.only_diagonal",
    "+p_i p_k off the diagonal": "nb07.softmax.off_diagonal_sign",
    "diag(p) without the denominator's term": "nb07.softmax.only_diag_p",
    "-p p^T without diag(p)": "nb07.softmax.only_outer",
    "the sigmoid's derivative": "nb07.softmax.sigmoid_derivative",
    "sigma(s) for p": "nb07.softmax.sigmoid_for_p",
    "s for p": "nb07.softmax.s_for_p",
    "the diagonal as a vector": "nb07.softmax.diagonal_vector",
    "a softmax that overflows": "nb07.softmax.overflow",
}
# the formula the exercise asks for, in the ways a text could state it
FORMULA = re.compile(r"delta_ik|\\delta_\{?ik|diag\(p\) - p p\^T|diag\(p\) - np\.outer|"
                     r"-p_i p_k|- ?p_i ?p_k|p_i ?\(1 - p_i\)|p_i\s*\(\s*\\?delta", re.I)


def _probes(rng):
    """Inputs like the hidden test's: m within 2..7, and an s near 1000."""
    return [(2 * rng.normal(size=m), f"m = {m}") for m in range(2, 8)] + \
        [(2 * rng.normal(size=5) + 1000, "near 1000")]


@pytest.mark.parametrize("m", range(2, 8))
def test_the_reference_is_the_central_difference_jacobian(m):
    for shift in (0.0, 1000.0):
        s = 2 * np.random.default_rng(m).normal(size=m) + shift
        J = nb07.softmax_jacobian(s)
        assert J.shape == (m, m) and np.all(np.isfinite(J))
        np.testing.assert_allclose(J, bplib.jacobian(bplib.softmax, s - shift), atol=1e-9)
        np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-15)   # the p_i add up to 1


def test_every_named_mistake_of_the_table_has_a_wrong_answer():
    assert set(MADE.values()) == {m.id for m in EXERCISES["nb07.softmax"].mistakes}
    assert set(MADE) <= {w.misconception for w in WRONG}


@pytest.mark.parametrize("misconception", sorted(MADE))
def test_a_wrong_answer_gives_its_mistakes_values(misconception):
    [wrong] = [w for w in WRONG if w.misconception == misconception]
    fn = define(wrong.source, "softmax_jacobian")
    mistake = MISTAKES[MADE[misconception]]
    differs = False
    for s, label in _probes(np.random.default_rng(5)):
        with np.errstate(all="ignore"):   # the overflowing softmax's nan is its mistake
            got, want = fn(s.copy()), mistake.values(s)
        assert np.shape(got) == np.shape(want) and np.allclose(got, want, equal_nan=True), label
        right = nb07.softmax_jacobian(s)
        differs = differs or np.shape(got) != right.shape or not np.allclose(got, right)
    assert differs


def _message(fn):
    with np.errstate(all="ignore"):
        try:
            nb07.test_softmax_jacobian(fn)
        except AssertionError as e:
            return str(e)
    return None


@pytest.mark.parametrize("wrong", [w for w in WRONG if w.kind == "mistake"],
                         ids=lambda w: w.misconception)
def test_the_feedback_never_states_the_answer(wrong):
    message = _message(define(wrong.source, "softmax_jacobian"))
    assert message, "a wrong answer passed"
    assert not FORMULA.search(message), message
    # no right entry of J on the check's inputs, at the precision the feedback prints
    for m, seed, shift in ((3, 21, 0.0), (2, 22, 0.0), (5, 23, 0.0), (4, 25, nb07.LARGE)):
        right = nb07.softmax_jacobian(nb07._softmax_case(m, seed, shift))
        for v in right.ravel():
            if abs(v) > 1e-6:
                assert f"{v:.6f}" not in message and f"{v:.4f}" not in message, (v, message)


def _notebook():
    return nbformat.read(SOLUTIONS / "07_jacobian_chain.ipynb", as_version=4)


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def test_no_text_before_the_check_states_the_formula():
    cells = _notebook().cells
    start = next(i for i, c in enumerate(cells) if "not diagonal: the softmax" in c.source)
    test = next(i for i, c in enumerate(cells) if _grade_id(c) == "nb07_softmax_test")
    for c in cells[start:test + 1]:
        text = c.source
        if _grade_id(c) == "nb07_softmax":   # the answer cell: only its stub, as students get it
            text = text.split("### BEGIN SOLUTION")[0]
        if _grade_id(c) == "nb07_softmax_test":
            text = text.split("### BEGIN HIDDEN TESTS")[0]
        assert not FORMULA.search(text), text


def _run_reveal_cell(answer_source):
    """The cell after the check, run after ``answer_source``; what it prints."""
    cells = _notebook().cells
    test = next(i for i, c in enumerate(cells) if _grade_id(c) == "nb07_softmax_test")
    reveal = next(c for c in cells[test + 1:] if c.cell_type == "code")
    from bpcourse import passes

    import matplotlib.pyplot as plt

    ns = {**namespace(), "plt": plt, "nb07": nb07, "passes": passes}
    ns["softmax_jacobian"] = define(answer_source, "softmax_jacobian", ns)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(reveal.source, ns)
    plt.close("all")
    return out.getvalue()


STUB = "def softmax_jacobian(s):\n    raise NotImplementedError()"


@pytest.mark.parametrize("source", [STUB] + [w.source for w in WRONG if w.kind == "mistake"
                                             and "overflow" not in w.misconception][:4])
def test_the_worked_answer_is_kept_back_until_the_check_passes(source):
    printed = _run_reveal_cell(source)
    assert nb07.SOFTMAX_WORKED not in printed and not FORMULA.search(printed)
    assert "once your softmax_jacobian passes its check" in printed


def test_the_worked_answer_is_shown_once_earned():
    [answer] = [c for c in _notebook().cells if _grade_id(c) == "nb07_softmax"]
    source = "\n".join(line for line in answer.source.split("\n")
                       if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    printed = _run_reveal_cell(source)
    assert nb07.SOFTMAX_WORKED in printed
    assert "J v = (softmax(s + h v) - softmax(s - h v)) / 2h: True" in printed


def test_a_float32_answer_is_told_its_precision_not_finite_differences():
    source = ("def softmax_jacobian(s):\n"
              "    s = np.asarray(s, dtype=np.float32)\n"
              "    e = np.exp(s - s.max())\n"
              "    p = e / e.sum()\n"
              "    return np.diag(p) - np.outer(p, p)\n")
    with pytest.raises(AssertionError, match="float32") as e:
        nb07.test_softmax_jacobian(define(source, "softmax_jacobian"))
    assert "finite difference" not in str(e.value).lower()
