"""The class report (``bplib grade report``) as Chromium shows it and a screen reader reads it.

Every picture is decoded, and what a screen reader gets for it (its computed
name) is its text alternative, which gives the picture's numbers; axe-core
finds nothing on the page. No JupyterLab is needed: the page is a file.
"""
import re

import pytest
from lab_harness import AXE

from bpinstructor.grading import classreport

NB = "08_backprop_mlp.ipynb"
SIGMA = "nb08.hidden_weight.missing_sigma_prime_hidden"
PATH = "nb08.hidden_weight.last_path_only"


def _class():
    """Five students of one notebook: scores 4, 2, 2, 0, 0 of 4; mistakes 2 + 1."""
    def cell(gid, status, score, mistakes=(), message=""):
        return {"grade_id": gid, "status": status, "score": score, "max_score": 2.0,
                "message": message, "detail": "", "mistakes": list(mistakes)}

    plan = {
        "ann": [cell("hidden", "passed", 2), cell("backward", "passed", 2)],
        "bo": [cell("hidden", "failed", 0, [SIGMA]), cell("backward", "passed", 2)],
        "cy": [cell("hidden", "passed", 2), cell("backward", "failed", 0)],
        "di": [cell("hidden", "failed", 0, [SIGMA]),
               cell("backward", "failed", 0, message="not done yet (...)")],
        "<b>ed</b>": [cell("hidden", "failed", 0, [PATH]), cell("backward", "crashed", 0)],
    }
    return {(s, NB): ({"student": s, "notebook": NB, "status": "graded",
                       "score": sum(c["score"] for c in cs), "max_score": 4.0, "notes": [],
                       "flags": ["test crashed"] if s == "<b>ed</b>" else [], "seed": 1,
                       "seconds": 2.5, "graded_at": ""}, cs)
            for s, cs in plan.items()}


@pytest.fixture
def page(bare_chromium, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(classreport.page(_class(), names=True), encoding="utf-8")
    tab = bare_chromium.new_page()
    tab.goto(path.as_uri())
    yield tab
    tab.close()


def _pictures(page):
    return page.eval_on_selector_all("img", """imgs => imgs.map(i => ({
        alt: i.getAttribute('alt'), name: i.computedName, role: i.computedRole,
        width: i.naturalWidth, inline: i.src.startsWith('data:image/png;base64,')}))""")


def test_every_picture_is_inline_decoded_and_named_by_its_numbers(page):
    pictures = _pictures(page)
    assert len(pictures) == 3   # the histogram, the shares, the mistakes of `hidden`
    for p in pictures:
        assert p["inline"] and p["width"] > 0, p["alt"]
        assert p["role"] == "image" and p["name"] == p["alt"] and re.search(r"\d", p["alt"])
    hist, shares, mistakes = (p["alt"] for p in pictures)
    assert "out of 4 points, 5 students: 0 points: 2 students; 2 points: 2 students; " \
           "4 points: 1 student." in hist
    assert "hidden: 2 done, 0 not done, 3 wrong; backward: 2 done, 1 not done, 2 wrong." in shares
    assert mistakes.endswith("most common first: sigma'(s^(1)) missing: 2 students; "
                             "one path of the fan-out: 1 student.")


def test_a_students_name_is_text_on_the_page(page):
    assert page.locator("b").count() == 0
    assert page.get_by_role("rowheader", name="<b>ed</b>").count() == 1


def test_axe_finds_nothing_on_the_page(page, need):
    need(AXE.is_file(), f"axe-core is missing ({AXE}): run `bash .ci/install-axe`")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
      const r = await window.axe.run(document, {resultTypes: ['violations']});
      return r.violations.map(v => `${v.id}: ${v.help} (${v.nodes.length})`);
    }""")
    assert found == []
