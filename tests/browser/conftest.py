"""Fixtures of the browser tests: one JupyterLab and one Chromium for the session.

When Chromium or playwright is missing the tests skip, except under CI=true,
where a test that cannot run must fail.
"""
import pytest

from lab_harness import (BROKEN, DEMO, NOTEBOOKS, LabServer, Workbook, broken_notebook,
                         cannot_run, demo_notebook, launch_chromium, missing_browser,
                         notebook_paths)


@pytest.fixture(scope="session")
def lab():
    """JupyterLab serving a temporary copy of notebooks/ and solutions/."""
    reason = missing_browser()
    if reason:
        cannot_run(reason)
    extra = {BROKEN: broken_notebook()}
    if not NOTEBOOKS:
        extra[DEMO] = demo_notebook()
    with LabServer(extra=extra) as server:
        yield server


@pytest.fixture(scope="session")
def bare_chromium():
    """Chromium, with no JupyterLab: the one playwright of this process.

    Playwright's sync API allows one running instance per thread, so every browser
    test of a process shares this one.
    """
    reason = missing_browser()
    if reason:
        cannot_run(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium(lab, bare_chromium):
    """Chromium, once JupyterLab is up."""
    return bare_chromium


@pytest.fixture(scope="session")
def workbook(lab, chromium):
    """Every notebook, run at most once per session (see ``lab_harness.Workbook``)."""
    book = Workbook(chromium, lab, notebook_paths())
    yield book
    book.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # A failed browser test leaves a picture of the page, for CI logs without a screen.
    report = yield
    book = item.funcargs.get("workbook") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and book is not None and book.page is not None:
        from lab_harness import artifacts_dir

        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in item.name)
        try:
            book.page.screenshot(path=str(artifacts_dir() / f"failed-{name}.png"))
        except Exception:  # noqa: BLE001 - the report matters more than its picture
            pass
    return report
