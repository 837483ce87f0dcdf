"""The workbook in a real JupyterLab, in headless Chromium.

Every student notebook runs top to bottom in JupyterLab without an error
output, and each kind of bplib widget answers a key press or a click by
changing what its feedback area shows. Screenshots land in artifacts/browser/.
"""
import re

import pytest

from lab_harness import NOTEBOOKS, cannot_run, feedback_of, notebook_paths, wait_for_change

pytestmark = pytest.mark.browser

ERROR_WORDS = re.compile(r"Traceback|\b\w+Error:|\bException\b")


def test_workbook_has_notebooks():
    if not NOTEBOOKS:
        cannot_run("notebooks/ is empty: generate the student notebooks with "
                   "`bplib student solutions/ notebooks/`")


@pytest.mark.parametrize("path", notebook_paths())
def test_notebook_runs_in_jupyterlab(workbook, path):
    nb = workbook.run(path)
    shot = nb.screenshot()
    problems = nb.problems()
    assert not problems, f"{path} (screenshot {shot}):\n" + "\n".join(problems)
    workbook.release(path)


def widget_of(workbook, kind):
    nb = workbook.find(kind)
    if nb is None:
        pytest.fail(f"no notebook in {', '.join(workbook.paths)} shows a .{kind} widget",
                    pytrace=False)
    widget = nb.widgets(kind).first
    widget.scroll_into_view_if_needed()
    return nb, widget


def assert_no_error(text, what):
    assert not ERROR_WORDS.search(text), f"{what} shows an error: {text!r}"


def press_on_slider(widget):
    """Move the first slider of ``widget`` one step and back; returns the feedback texts."""
    handle = widget.locator(".widget-slider .noUi-handle").first
    now = float(handle.get_attribute("aria-valuenow"))
    top = float(handle.get_attribute("aria-valuemax"))
    forth, back = ("ArrowRight", "ArrowLeft") if now < top else ("ArrowLeft", "ArrowRight")
    before = feedback_of(widget)
    handle.focus()
    handle.press(forth)
    moved = wait_for_change(widget, before)
    handle.press(back)
    returned = wait_for_change(widget, moved)
    return before, moved, returned


@pytest.mark.parametrize("kind", ["bplib-playground", "bplib-network-explorer",
                                  "bplib-jacobian-explorer"])
def test_slider_updates_feedback(workbook, kind):
    nb, widget = widget_of(workbook, kind)
    before, moved, returned = press_on_slider(widget)
    assert moved != before
    assert_no_error(moved, kind)
    # What a widget shows is a function of its sliders: one step forth and
    # one back must show the same text as before.
    assert returned == before


def test_chain_stepper_steps_through_the_chain(workbook):
    nb, widget = widget_of(workbook, "bplib-chain-stepper")
    step = widget.get_by_role("button", name="Step")
    seen = [feedback_of(widget)]
    for _ in range(2):
        step.click()
        seen.append(wait_for_change(widget, seen[-1]))
        assert_no_error(seen[-1], "the chain stepper")
    assert len(set(seen)) == len(seen), f"Step showed a text again: {seen}"


def test_answer_box_names_the_mistake_then_accepts(workbook):
    nb, widget = widget_of(workbook, "bplib-answer")
    box = widget.locator(".widget-text input").first
    check = widget.get_by_role("button", name="Check")
    before = feedback_of(widget)

    box.fill("2*x + 1")
    check.click()
    wrong = wait_for_change(widget, before)
    assert "right" not in wrong.lower() or "not" in wrong.lower(), wrong
    assert_no_error(wrong, "the answer box")

    box.fill("2*x")
    check.click()
    right = wait_for_change(widget, wrong)
    assert "right" in right.lower() and "not" not in right.lower(), right

