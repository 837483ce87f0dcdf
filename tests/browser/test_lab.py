"""The workbook in a real JupyterLab, in headless Chromium.

Every student notebook runs top to bottom in JupyterLab without an error
output, and each kind of bplib widget answers a key press or a click by
changing what its feedback area shows. Screenshots land in artifacts/browser/.
"""
import json
import re

import pytest

from lab_harness import NOTEBOOK_DIR, NOTEBOOKS, cannot_run, feedback_of, notebook_paths

pytestmark = pytest.mark.browser

ERROR_WORDS = re.compile(r"Traceback|\b\w+Error:|\bException\b")


def test_workbook_has_notebooks():
    if not NOTEBOOKS:
        cannot_run(f"{NOTEBOOK_DIR} holds no notebook: generate the student notebooks with "
                   "`bplib student solutions/ notebooks/`")


@pytest.mark.parametrize("path", notebook_paths())
def test_notebook_runs_in_jupyterlab(workbook, path):
    nb = workbook.run(path)
    shot = nb.screenshot()
    problems = nb.problems()
    assert not problems, f"{path} (screenshot {shot}):\n" + "\n".join(problems)
    workbook.release(path)


def test_run_reports_an_error_and_the_cells_it_stopped(workbook):
    from lab_harness import BROKEN

    problems = workbook.run(BROKEN).problems()
    workbook.release(BROKEN)
    assert len(problems) == 2, problems
    assert "shows an error: ZeroDivisionError" in problems[0]
    assert "never reached" in problems[1]
    assert problems[1].endswith("was not run")
    # the cell tagged raises-exception fails as the notebook says it will
    assert not any("ValueError" in p for p in problems)


def widget_of(workbook, kind):
    """The first widget of ``kind`` in the notebooks, scrolled into view, and its page."""
    nb = workbook.find(kind)
    if nb is None:
        pytest.fail(f"no notebook of {', '.join(workbook.paths)} shows a .{kind} widget",
                    pytrace=False)
    nb.activate()
    widget = nb.widgets(kind).first
    widget.scroll_into_view_if_needed()
    return nb, widget


def assert_no_error(text, what):
    assert not ERROR_WORDS.search(text), f"{what} shows an error: {text!r}"


def slider(widget, label):
    """The noUiSlider handle of the slider labelled ``label`` inside ``widget``."""
    box = widget.locator(".widget-slider").filter(
        has=widget.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$")))
    return box.locator(".noUi-handle").first


def shown_after(nb, widget, action):
    """Do ``action()``, wait until the kernel has handled it, and return the feedback text."""
    nb.act(action)
    return feedback_of(widget)


def press(nb, widget, handle, key):
    """Press ``key`` on a slider handle; returns the feedback once the kernel has answered."""
    handle.focus()
    return shown_after(nb, widget, lambda: handle.press(key))


def value_of(handle):
    """The value a slider shows in its readout (noUiSlider's aria-valuenow keeps one decimal)."""
    box = handle.locator("xpath=ancestor::div[contains(@class, 'widget-slider')][1]")
    return float(box.locator(".widget-readout").text_content())


def test_answer_box_names_the_mistake_then_accepts(workbook):
    nb, widget = widget_of(workbook, "bplib-answer")
    box = widget.locator(".widget-text input").first
    check = widget.get_by_role("button", name="Check")
    # Type a probe into the box, then ask the kernel which AnswerBox holds it:
    # its expected answer and its named mistakes are what the test types.
    probe = "probe of the browser test"
    nb.act(lambda: box.fill(probe))
    found = json.loads(nb.execute(
        "import gc, json\n"
        "from bplib.widgets import AnswerBox\n"
        "_b = [o for o in gc.get_objects() if isinstance(o, AnswerBox)"
        f" and o.text.value == {probe!r}]\n"
        "_e = lambda v: str(v.tolist() if hasattr(v, 'tolist') else v)\n"
        "print(json.dumps([[_e(b.expected), [[_e(k), m] for k, m in b.mistakes.items()]]"
        " for b in _b]))\n"
        "del _b, _e"))
    assert len(found) == 1, f"the kernel holds {len(found)} AnswerBox with the typed text"
    expected, mistakes = found[0]

    before = feedback_of(widget)
    wrong, message = mistakes[0] if mistakes else ("(((", "could not read")
    # the typed text must reach the kernel before the click does: ipywidgets
    # holds back a value change while an earlier one waits for the kernel
    nb.act(lambda: box.fill(wrong))
    shown = shown_after(nb, widget, check.click)
    assert shown != before
    assert message in shown, f"typed {wrong!r}, expected {message!r}, shown {shown!r}"
    assert_no_error(shown, "the answer box")

    nb.act(lambda: box.fill(expected))
    shown = shown_after(nb, widget, check.click)
    assert shown.startswith("Right"), f"typed the expected {expected!r}, shown {shown!r}"
    assert box.input_value() == expected  # the typed answer stays in the box


def test_chain_stepper_steps_through_the_chain(workbook):
    from bplib.widgets.stepper import LECTURE_EXAMPLE, chain_rule_table

    nb, widget = widget_of(workbook, "bplib-chain-stepper")
    step = widget.get_by_role("button", name="Step")
    shown = [shown_after(nb, widget, widget.get_by_role("button", name="Reset").click)]
    for _ in range(10):  # a chain of more than 10 stages would not fit a notebook
        if "df/dx =" in shown[-1] or "not defined" in shown[-1]:
            break
        shown.append(shown_after(nb, widget, step.click))
        assert_no_error(shown[-1], "the chain stepper")
    rows = [len(t.splitlines()) for t in shown]
    # each Step adds one row of the table (the last one, df/dx, in place of "next")
    assert len(rows) > 1 and all(b == a + 1 for a, b in zip(rows, rows[1:])), shown
    assert "df/dx =" in shown[-1], shown[-1]

    x = slider(widget, "x")
    moved = press(nb, widget, x, "ArrowRight")
    assert moved != shown[-1]
    if moved.startswith(f"f = {LECTURE_EXAMPLE.name} at"):
        assert moved.strip() == chain_rule_table(LECTURE_EXAMPLE, value_of(x)).strip()
    assert press(nb, widget, x, "ArrowLeft") == shown[-1]


def test_network_explorer_follows_its_sliders(workbook):
    nb, widget = widget_of(workbook, "bplib-network-explorer")
    x0 = slider(widget, "x^0_0")
    before = feedback_of(widget)
    top = float(x0.get_attribute("aria-valuemax"))
    key, back = ("ArrowRight", "ArrowLeft") if value_of(x0) < top else ("ArrowLeft", "ArrowRight")
    moved = press(nb, widget, x0, key)
    assert moved != before
    assert_no_error(moved, "the network explorer")
    # what it shows is a function of the sliders: one step back shows the same text again
    assert press(nb, widget, x0, back) == before

    j = slider(widget, "j")
    j_now = int(value_of(j))
    key = "ArrowRight" if j_now < float(j.get_attribute("aria-valuemax")) else "ArrowLeft"
    moved = press(nb, widget, j, key)
    j_new = int(value_of(j))
    assert f"neuron j = {j_new}," in moved.splitlines()[0], moved


def test_jacobian_explorer_counts_multiply_adds(workbook):
    from bplib.widgets import jacobian_chain_costs

    nb, widget = widget_of(workbook, "bplib-jacobian-explorer")
    sizes = widget.locator(".widget-text input").first
    before = feedback_of(widget)
    typed = "64, 30, 10, 1" if "R^64 -> R^30" not in before else "1, 10, 100, 1000"
    sizes.fill(typed)
    shown = shown_after(nb, widget, lambda: sizes.press("Enter"))
    assert shown.strip() == str(jacobian_chain_costs(typed)).strip()

    sizes.fill("64, thirty, 1")
    refused = shown_after(nb, widget, lambda: sizes.press("Enter"))
    assert "could not read '64, thirty, 1'" in refused, refused
    assert sizes.input_value() == "64, thirty, 1"  # the typed text is not lost


def test_playground_steps_gradient_descent(workbook):
    nb, widget = widget_of(workbook, "bplib-playground")
    start = shown_after(nb, widget, widget.get_by_role("button", name="Reset").click)
    assert start.startswith("step 0: L = "), start
    per_press = int(value_of(slider(widget, "steps/press")))
    step = widget.get_by_role("button", name="Step")

    first = shown_after(nb, widget, step.click)
    assert_no_error(first, "the playground")
    assert first.startswith(f"step {per_press}: L = "), first
    # "before these steps" is the loss the widget showed before the press
    L0 = re.search(r"L = sum_n l_n = (\S+)", start).group(1)
    assert f"(before these {per_press} steps: {L0})" in first, (start, first)

    lr_first = float(re.search(r"lr = (\S+)$", first.strip()).group(1))
    lr = slider(widget, "lr")
    lr.focus()
    nb.act(lambda: lr.press("ArrowLeft"))
    second = shown_after(nb, widget, step.click)
    assert second.startswith(f"step {2 * per_press}: L = "), second
    lr_second = float(re.search(r"lr = (\S+)$", second.strip()).group(1))
    assert lr_second < lr_first
    assert lr_second == pytest.approx(value_of(lr), rel=1e-2)


def test_graph_exercise_names_the_wrong_edge_then_accepts(workbook):
    from bpcourse import nb06
    from bplib.graph import nodes
    from bplib.widgets.graph import graph_feedback

    nb, widget = widget_of(workbook, "bplib-graph")
    root = nb06.graph_at(**nb06.AT)
    root.backward()
    found = {v.name: v for v in nodes(root)}
    box = lambda name: widget.get_by_label(f"dl/d{name} (the gradient of l at node {name})")  # noqa: E731
    check = widget.get_by_role("button", name="Check")

    wrong = repr(found["p"].data)   # d(p^2)/dp without its factor 2
    nb.act(lambda: box("p").fill(wrong))
    shown = shown_after(nb, widget, check.click)
    assert "the factor 2 is missing" in shown, shown
    assert shown.startswith(graph_feedback(root, {"p": wrong}))
    assert_no_error(shown, "the graph exercise")

    for name in ("p", "v", "u", "x", "w"):
        nb.act(lambda name=name: box(name).fill(f"{found[name].grad:.10f}"))
    shown = shown_after(nb, widget, check.click)
    assert "Every gradient is right" in shown, shown
    assert box("x").input_value() == f"{found['x'].grad:.10f}"   # the typed answers stay
