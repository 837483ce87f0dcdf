"""The picture of the class report in README: ``docs/class-report.png``.

    .venv-dev/bin/pytest tests/instructor/test_class_report.py --basetemp /tmp/report-class
    .venv-dev/bin/python docs/class_report_screenshot.py /tmp/report-class/class0/grades.sqlite

renders the report of the planted class of the tests (anonymous, as shown to
a class) and photographs its top in headless Chromium (``/usr/bin/chromium``).
"""
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bpinstructor.grading import classreport
from bpinstructor.grading.shards import read

HERE = Path(__file__).resolve().parent


def main(gradebook, out=HERE / "class-report.png", height=1500):
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "report.html"
        page_path.write_text(classreport.page(read(gradebook)), encoding="utf-8")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 960, "height": height})
            page.goto(page_path.as_uri())
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": 960, "height": height})
            browser.close()
    print(f"written: {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *(Path(a) for a in sys.argv[2:3]))
