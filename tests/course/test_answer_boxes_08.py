"""08's answer boxes: the derived formulas typed by hand, right and with each named mistake."""
import pytest

from bpcourse import nb08
from bplib.widgets import check_expression

BOXES = [(nb08.OUTPUT_EXPRESSION, nb08.OUTPUT_EXPRESSION_MISTAKES, nb08.OUTPUT_VARIABLES),
         (nb08.HIDDEN_EXPRESSION, nb08.HIDDEN_EXPRESSION_MISTAKES, nb08.HIDDEN_VARIABLES)]


@pytest.mark.parametrize("expected, mistakes, variables", BOXES)
def test_the_formula_is_right_in_another_order(expected, mistakes, variables):
    reordered = " * ".join(reversed(expected.replace(") ", ")*").split("*")))
    assert check_expression(reordered, expected, mistakes, variables=variables).status == "right"


@pytest.mark.parametrize("expected, mistakes, variables, wrong",
                         [(*box, wrong) for box in BOXES for wrong in box[1]])
def test_each_mistake_is_named(expected, mistakes, variables, wrong):
    verdict = check_expression(wrong, expected, mistakes, variables=variables)
    assert verdict.status == "mistake" and verdict.message.startswith(mistakes[wrong])
