"""The workbook in a real JupyterLab, in headless Chromium.

Every student notebook runs top to bottom in JupyterLab without an error
output, and each kind of bplib widget answers a key press or a click by
changing what its feedback area shows. Every widget in every notebook can be
used with a screen reader (names, text alternatives and a live region, as
Chromium computes them) and with the keyboard alone, and its pictures are
drawn at the screen's pixel density. Screenshots land in artifacts/browser/.
"""
import json
import re

import pytest

import access
from lab_harness import (AXE, NOTEBOOK_DIR, NOTEBOOKS, THEMES, TIMEOUT_MS, cannot_run,
                         feedback_of, notebook_paths, set_theme)

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

    # Enter in the box checks, as the Check button does
    nb.act(lambda: box.fill(expected))
    shown = shown_after(nb, widget, lambda: box.press("Enter"))
    assert shown.startswith("Right"), f"typed the expected {expected!r}, Enter showed {shown!r}"
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


# --- every student can use the widgets: screen reader, keyboard, pictures ----------------

def shown_widgets(workbook, path):
    """The notebook after its run and every bplib widget it shows, as (kind, locator).

    A notebook that showed no widget was closed after its run: (None, []).
    """
    if path in workbook.kinds and path not in workbook.pages:
        return None, []
    nb = workbook.run(path)
    found = [(kind, widget) for kind in nb.widget_kinds() for widget in nb.widgets(kind).all()]
    if not found:
        workbook.release(path)
    return nb, found


@pytest.mark.parametrize("path", notebook_paths())
def test_every_widget_names_its_controls_pictures_and_feedback(workbook, path):
    nb, found = shown_widgets(workbook, path)
    for kind, widget in found:
        nb.activate()
        widget.scroll_into_view_if_needed()
        listed = access.controls(widget)
        assert listed, f"{path}: a {kind} widget has no control the keyboard reaches"
        for c in listed:
            what = f"{path}, {kind}: the {c['tag']} {c['cls']!r}"
            assert access.WORD.search(c["name"] or ""), f"{what} is named {c['name']!r}"
            assert c["role"] not in ("", "generic", "none"), f"{what} has the role {c['role']!r}"
            assert c["suppress"] == "true", f"{what} lets JupyterLab's shortcuts run"
        names = [c["name"] for c in listed]
        assert len(set(names)) == len(names), f"{path}, {kind}: names repeat: {names}"
        for p in access.pictures(widget):
            assert access.WORD.search(p["name"]) and re.search(r"\d", p["name"]), \
                f"{path}, {kind}: a picture's text alternative is {p['name']!r}"
        region = access.live_region(widget)
        assert region and region["role"] == "status" and region["live"] == "polite", \
            f"{path}, {kind}: the feedback is not a polite live region: {region}"


@pytest.fixture
def axe_script(need):
    """The path of axe-core's ``axe.min.js``, installed by ``.ci/install-axe``."""
    need(AXE.is_file(), f"axe-core is missing ({AXE}): run `bash .ci/install-axe`")
    return AXE


def ring_problems(r, what):
    """What is wrong with one focus ring (``access.ring``): a list of sentences."""
    if not r["drawn"]:
        return [f"{what} shows no focus ring"]
    found = [f"{what}: its focus ring is cut by {box}" for box in r["clippedBy"]]
    if r["contrast"] < access.RING_CONTRAST:
        found.append(f"{what}: focus ring {r['colour']} between {r['inner']} and {r['outer']} has a "
                     f"contrast of {r['contrast']:.2f}:1, less than {access.RING_CONTRAST}:1")
    return found


def look_in_both_themes(nb, path, found, when, axe_script):
    """Each widget in JupyterLab's light and dark theme: axe-core's rules, the contrast of
    the feedback of each kind and of each focus ring, and rings drawn whole. Asserts."""
    problems = []
    try:
        for theme in THEMES:
            set_theme(nb.page, theme)
            every = nb.page.locator(f"{nb.selector} .bplib-widget")
            problems += [f"{path}, {theme}, {when}: axe: {v}" for v in access.axe(every, axe_script)]
            for kind, widget in found:
                where = f"{path}, {kind}, {theme}, {when}"
                widget.scroll_into_view_if_needed()
                for c in access.feedback_colours(widget):
                    if c["contrast"] < access.TEXT_CONTRAST:
                        problems.append(
                            f"{where}: {c['kind']} feedback {c['colour']} on {c['background']} has a "
                            f"contrast of {c['contrast']:.2f}:1, less than {access.TEXT_CONTRAST}:1")
                for r in access.rings(widget):
                    problems += ring_problems(r, f"{where}: {r['name']!r}")
    finally:
        set_theme(nb.page, THEMES[0])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", notebook_paths())
def test_every_widget_in_both_themes_after_run_all(workbook, path, axe_script):
    nb, found = shown_widgets(workbook, path)
    if found:
        nb.activate()
        look_in_both_themes(nb, path, found, "after Run All", axe_script)


# A widget as bplib draws it, on the dark theme's background: a button in a box that
# scrolls (as ipywidgets' boxes do) and the feedback.
SAMPLE = """<style>{css}</style>
<body style="background: #111111; color: #eeeeee; --jp-layout-color0: #111111">
  <div class="bplib-widget" style="overflow: auto; padding: 0">
    <button style="display: block; background: #1976d2; color: #ffffff; border: 0; height: 28px;
                   {ring}">Check</button>
    <div class="bplib-live" data-kind="info"><pre>dl/dx: the factor 2 is missing</pre></div>
  </div>
</body>"""


def test_ring_and_colour_checks_catch_what_they_must(chromium, axe_script):
    from bplib.widgets._front import HERE

    css = (HERE / "widgets.css").read_text()
    page = chromium.new_page()
    try:
        def look(dark, ring=""):
            page.set_content(SAMPLE.format(css=css, ring=ring))
            page.evaluate("dark => document.body.dataset.jpThemeLight = String(!dark)", dark)
            page.keyboard.press("Shift")   # the keyboard's :focus-visible, as in JupyterLab
            page.locator("button").focus()
            colours = {c["kind"]: c["contrast"] for c in access.feedback_colours(page.locator("body"))}
            page.locator(".bplib-live").evaluate("e => e.dataset.kind = 'error'")
            return access.ring(page), colours, access.axe(page.locator(".bplib-widget"), axe_script)

        # the light theme's colours on the dark background: as before both themes had theirs
        ring, colours, axe = look(dark=False)
        assert colours["error"] == pytest.approx(2.58, abs=0.01)
        assert ring["contrast"] == pytest.approx(3.00, abs=0.01)
        assert ring_problems(ring, "the button")
        assert any(v.startswith("color-contrast") for v in axe), axe

        # a ring outside the button is cut by the box that scrolls, at the top and bottom
        ring, _, _ = look(dark=True, ring="outline-offset: 2px !important")
        assert len(ring["clippedBy"]) == 1 and "top 5.0px" in ring["clippedBy"][0], ring

        # widgets.css as it is: the dark theme's colours, the ring whole inside the button,
        # apart from the blue of the button by a band of the background
        ring, colours, axe = look(dark=True)
        assert not ring_problems(ring, "the button"), ring
        assert ring["inner"] == ring["outer"] == "#111111", ring
        assert min(colours.values()) >= access.TEXT_CONTRAST, colours
        assert not axe, axe
    finally:
        page.close()


@pytest.mark.parametrize("path", notebook_paths())
def test_every_widget_works_from_the_keyboard_alone(workbook, path, axe_script):
    nb, found = shown_widgets(workbook, path)
    for kind, widget in found:
        nb.activate()
        widget.scroll_into_view_if_needed()
        listed = access.controls(widget)
        cells = access.cells(nb)
        before = feedback_of(widget)
        access.watch_live_region(widget)
        access.control(widget, 0).focus()
        for i, c in enumerate(listed):
            what = f"{path}, {kind}: {c['name']!r}"
            now = access.ring(nb.page)
            assert now["index"] == str(i), f"Tab went to {now['index']}, not to {what}"
            assert not ring_problems(now, what), ring_problems(now, what)
            for key in access.NOTEBOOK_KEYS:  # no notebook shortcut may run
                nb.page.keyboard.press(key)
            access.settle(nb)
            keys = " ".join(access.NOTEBOOK_KEYS)
            assert access.cells(nb) == cells, f"{keys} pressed on {what} changed the cells"
            assert access.control(widget, i).count() == 1, \
                f"{keys} pressed on {what}: the widget was drawn anew, a notebook command ran"
            c.update(access.state(widget, i))   # a slider before may have changed its range
            key = access.value_key(c)
            said = feedback_of(widget)
            if key:
                nb.page.keyboard.press(key)
                access.settle(nb)
            if c["tag"] == "INPUT":   # Enter in a text box checks what was typed
                assert feedback_of(widget) != said, f"Enter in {what} changed no feedback"
            movable = c["role"] == "combobox" or c["min"] != c["max"]
            if c["role"] in ("slider", "combobox") and movable:  # arrows change the value
                value = access.state(widget, i)["value"]
                assert value != c["value"], f"{key} left {what} at {value}"
            assert access.cells(nb) == cells, f"{key} pressed on {what} changed the cells"
            if i + 1 < len(listed):
                nb.page.keyboard.press("Tab")
        announced = access.live_region_changes(widget)
        assert announced is not None, f"{path}, {kind}: the live region was replaced"
        assert announced and feedback_of(widget) != before, \
            f"{path}, {kind}: the keyboard pass changed nothing the feedback announces"
        assert_no_error(feedback_of(widget), kind)
    if found:
        look_in_both_themes(nb, path, found, "after its keys", axe_script)


def test_pictures_are_drawn_at_the_screens_pixel_density(lab, chromium):
    import nbformat

    from lab_harness import NotebookPage, open_lab

    # A screen of density 2, as most laptops and phones now have: the picture must
    # have two pixels per CSS pixel, or it is blurred.
    path = "checks/density.ipynb"
    cell = nbformat.v4.new_code_cell("import bplib.widgets\nbplib.widgets.ChainStepper()")
    nb_json = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    (lab.root / path).parent.mkdir(parents=True, exist_ok=True)
    (lab.root / path).write_text(nbformat.writes(nb_json))
    page = open_lab(chromium, lab, path, scale=2)
    try:
        nb = NotebookPage.open(page, lab, path)
        nb.run_all()
        img = nb.widgets("bplib-chain-stepper").first.locator("img").first
        page.wait_for_function(
            "e => e.clientWidth > 0 && Math.abs(e.naturalWidth - 2 * e.clientWidth) <= 2",
            arg=img.element_handle(), timeout=TIMEOUT_MS)
        natural, shown, alt = img.evaluate("e => [e.naturalWidth, e.clientWidth, e.alt]")
        assert abs(natural - 2 * shown) <= 2 and shown > 200, (natural, shown)
        assert "tangent at x = " in alt
        nb.close()
    finally:
        page.close()


def test_graph_exercise_names_the_wrong_edge_then_accepts(workbook):
    from bpcourse import nb06
    from bplib.graph import nodes
    from bplib.widgets.graph import graph_feedback

    nb, widget = widget_of(workbook, "bplib-graph")
    root = nb06.graph_at(**nb06.AT)
    root.backward()
    found = {v.name: v for v in nodes(root)}
    box = lambda name: widget.get_by_label(f"gradient dl/d{name} at node {name}")  # noqa: E731
    check = widget.get_by_role("button", name="Check")

    for name in ("p", "v", "u", "x", "w"):   # earlier tests may have typed into the boxes
        nb.act(lambda name=name: box(name).fill(""))
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
