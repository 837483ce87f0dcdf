"""Fixtures of the browser tests: one JupyterLab and one Chromium for the session.

When Chromium or playwright is missing the tests skip, except under CI=true,
where a test that cannot run must fail.
"""
import pytest

from lab_harness import (DEMO, NOTEBOOKS, LabServer, Workbook, cannot_run, launch_chromium,
                         missing_browser, notebook_paths)


def demo_notebook():
    """One widget of each kind, for working on the tests before notebooks/ is generated."""
    import nbformat

    cells = ["import bplib.widgets as widgets", "widgets.chain_rule_answer()",
             "widgets.ChainStepper()", "widgets.NetworkExplorer()", "widgets.JacobianExplorer()",
             "widgets.Playground()"]
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
