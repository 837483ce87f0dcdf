"""The answer box of notebook 06 with the course's table of chain-rule mistakes.

The widget is the library's; the mistakes it names, and their words, are the course's
(``bpcourse.nb06.MISTAKES``).
"""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bplib import widgets  # noqa: E402
from bpcourse.nb06 import MISTAKES as CHAIN_RULE_MISTAKES  # noqa: E402

EXPECTED = "2*x*cos(x**2)*exp(sin(x**2))"


def f_prime(x):
    """d/dx e^{sin(x^2)}, derived by hand."""
    return 2 * x * np.cos(x ** 2) * np.exp(np.sin(x ** 2))


def classes(widget):
    return set(widget._dom_classes)


@pytest.mark.parametrize("typed", [
    "2x cos(x^2) e^(sin(x^2))",
    "e^sin(x^2) cos(x^2) 2x",
    "exp(sin(x^2))*2*x*cos(x**2)",
    "2 x cos(x²) e^{sin(x^2)}",
    "x cos(x^2) e^(sin(x^2)) + x cos(x^2) e^(sin(x^2))",
])
def test_expression_right_however_it_is_typed(typed):
    v = widgets.check_expression(typed, EXPECTED, CHAIN_RULE_MISTAKES)
    assert (v.ok, v.status) == (True, "right"), v.message


@pytest.mark.parametrize("typed, words", [
    ("cos(x^2) e^(sin(x^2))", "2x is missing"),
    ("2x e^(sin(x^2))", "cos(x^2) is missing"),
    ("2x cos(x) e^(sin(x^2))", "cos(x) should be cos(x^2)"),
    ("cos(x) e^(sin(x^2))", "cos(x) should be cos(x^2)"),
    ("2x cos(x^2)", "e^(sin(x^2)) is missing"),
    ("e^(sin(x^2))", "That is f itself"),
    ("2x cos(2x) e^(sin(x^2))", "cos(2x) should be cos(x^2)"),
])
def test_chain_rule_mistakes_are_named_in_the_lectures_words(typed, words):
    v = widgets.check_expression(typed, EXPECTED, CHAIN_RULE_MISTAKES)
    assert (v.ok, v.status) == (False, "mistake"), v.message
    assert words in v.message
    assert "keeping the inside the same" in v.message or "keep the inside the same" in v.message


def test_every_listed_mistake_is_a_different_function_from_the_answer():
    for typed in CHAIN_RULE_MISTAKES:
        assert not widgets.check_expression(typed, EXPECTED).ok, typed


def test_expression_close_wrong_unreadable_empty():
    close = widgets.check_expression("2x cos(x^2) 2.718^(sin(x^2))", EXPECTED)
    assert close.status == "close" and "tolerance" in close.message
    wrong = widgets.check_expression("x^2", EXPECTED, CHAIN_RULE_MISTAKES)
    assert wrong.status == "wrong" and not wrong.ok
    bad = widgets.check_expression("x^^2", EXPECTED)
    assert bad.status == "unreadable"
    assert bad.message.startswith("could not read 'x^^2' as an expression")
    for blank in ("", "   ", None):
        assert widgets.check_expression(blank, EXPECTED).status == "empty"


def test_answer_box_is_driven_by_typing_and_clicking():
    box = widgets.chain_rule_answer(mistakes=CHAIN_RULE_MISTAKES)
    assert "bplib-answer" in classes(box.box)
    assert "bplib-feedback" in classes(box.feedback_area)
    assert box.button.description == "Check"
    box.button.click()
    assert "Not done yet" in box.feedback
    box.text.value = "2x cos(x) e^(sin(x^2))"
    box.button.click()
    assert box.verdict.status == "mistake" and "cos(x^2)" in box.feedback
    assert box.feedback_area.text == box.feedback      # what the page shows
    box.text.value = "x^^2"
    box.button.click()
    assert box.feedback.startswith("could not read 'x^^2' as an expression")
    box.text.value = "2x cos(x^2) e^(sin(x^2))"
    box.button.click()
    assert box.verdict.ok and box.feedback.startswith("Right")


def test_answer_box_for_a_number_knows_the_mistakes_at_that_point():
    box = widgets.chain_rule_answer(at=1.0, mistakes=CHAIN_RULE_MISTAKES)
    assert box.check("2cos(1) e^(sin(1))").ok
    assert box.check(f"{f_prime(1.0):.8f}").ok
    v = box.check(f"{np.cos(1.0) * np.exp(np.sin(1.0)):.6f}")   # the 2x forgotten
    assert v.status == "mistake" and "2x" in box.feedback
    assert box.check("hello(").status == "unreadable"


def test_enter_in_the_answer_box_checks_the_typed_text():
    box = widgets.chain_rule_answer(mistakes=CHAIN_RULE_MISTAKES)
    (css,) = [c for c in box.text._dom_classes if c in box.feedback_area.controls]
    assert box.feedback_area.controls[css]["enter"]
    # the message the browser sends on Enter, with the text typed so far
    box.feedback_area._message(box.feedback_area, {"event": "enter", "control": css,
                                                   "value": "2x cos(x) e^(sin(x^2))"}, [])
    assert box.verdict.status == "mistake" and box.text.value == "2x cos(x) e^(sin(x^2))"
    assert box.feedback_area.text == box.feedback and box.feedback_area.kind == "error"
    box.feedback_area._message(box.feedback_area, {"event": "enter", "control": css,
                                                   "value": "2x cos(x^2) e^(sin(x^2))"}, [])
    assert box.verdict.ok and box.feedback_area.kind == "right"
