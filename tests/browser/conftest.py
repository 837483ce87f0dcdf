"""Fixtures of the browser tests: one JupyterLab and one Chromium for the session.

When Chromium or playwright is missing the tests skip, except under CI=true,
where a test that cannot run must fail.
"""
import pytest

from lab_harness import (DEMO, NOTEBOOKS, LabServer, Workbook, cannot_run, launch_chromium,
                         missing_browser, notebook_paths)


def demo_notebook():
    """Plain ipywidgets dressed as bplib's, for working on the tests before notebooks exist."""
    import nbformat

    cells = [
        "import ipywidgets as w\n"
        "def kind(name, *children):\n"
        "    fb = w.HTML('')\n"
        "    fb.add_class('bplib-feedback')\n"
        "    box = w.VBox(list(children) + [fb])\n"
        "    box.add_class(name)\n"
        "    return box, fb",
        "x = w.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description='x')\n"
        "box, fb = kind('bplib-playground', x)\n"
        "show = lambda change=None: setattr(fb, 'value', f'<pre>loss = {(x.value - 1.5) ** 2:.4f}</pre>')\n"
        "x.observe(show, 'value'); show(); box",
        "k = w.IntSlider(value=0, min=0, max=3, description='k')\n"
        "box, fb2 = kind('bplib-network-explorer', k)\n"
        "k.observe(lambda c: setattr(fb2, 'value', f'w^1_0{c.new}'), 'value'); fb2.value = 'w^1_00'; box",
        "a = w.FloatSlider(value=0.5, min=-1, max=1, step=0.05, description='x1')\n"
        "box, fb3 = kind('bplib-jacobian-explorer', a)\n"
        "a.observe(lambda c: setattr(fb3, 'value', f'J = [[{2 * c.new:.2f}]]'), 'value'); fb3.value = 'J = [[1.00]]'; box",
        "stages = ['x^2', 'sin', 'exp']\n"
        "step = w.Button(description='Step')\n"
        "box, fb4 = kind('bplib-chain-stepper', step)\n"
        "n = [0]\n"
        "def on_step(b):\n"
        "    n[0] = min(n[0] + 1, len(stages))\n"
        "    fb4.value = 'stages: ' + ' -> '.join(stages[:n[0]])\n"
        "step.on_click(on_step); fb4.value = 'press Step'; box",
        "text = w.Text(description='answer')\n"
        "check = w.Button(description='Check')\n"
        "box, fb5 = kind('bplib-answer', text, check)\n"
        "def on_check(b):\n"
        "    fb5.value = 'right' if text.value.replace(' ', '') == '2*x' else 'not right: you wrote ' + text.value\n"
        "check.on_click(on_check); box",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


@pytest.fixture(scope="session")
def lab():
    """JupyterLab serving a temporary copy of notebooks/ and solutions/."""
    reason = missing_browser()
    if reason:
        cannot_run(reason)
    extra = {} if NOTEBOOKS else {DEMO: demo_notebook()}
    with LabServer(extra=extra) as server:
        yield server


@pytest.fixture(scope="session")
def chromium(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def workbook(lab, chromium):
    """Every notebook, run at most once per session (see ``lab_harness.Workbook``)."""
    book = Workbook(chromium, lab, notebook_paths())
    yield book
    book.close()
