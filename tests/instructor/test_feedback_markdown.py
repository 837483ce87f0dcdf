"""Feedback files as a Markdown renderer shows them: whatever a student put in
a folder name, a notebook's nbformat field or its structure, it is text. No
HTML, link, image, heading or bold "Total" comes from a student. Each file
is rendered with markdown-it-py (CommonMark, tables, links found in text)
and with cmark-gfm (GitHub's renderer)."""
import csv
import json
import re

import nbformat
import pytest

from bpinstructor.grading import merge
from bpinstructor.grading.feedback import code, text, write_csv, write_feedback
from bpinstructor.grading.grade import CellResult, NotebookResult
from bpinstructor.grading.gradebook import Gradebook

ATTACKS = ["<img src=x onerror=alert(1)>", "[ada](javascript:alert(1))", "**Total: 99 / 99**",
           "# ben", "1. first", "- item", "> quote", "![p](http://x.org/p.png)", "www.evil.org",
           "https://evil.org/x", "ada@evil.org", "<https://evil.org>", "&lt;b&gt; &#60;i>",
           "`a|b` <b>c</b>", "``x`<i>y</i>`", "a | b | c", "~~gone~~ _em_ \\", "=cmd|' /C calc'!A0",
           "+1", "-1", "@SUM(A1)"]


def _hostile_notebooks():
    """Notebooks whose nbformat field or structure carries markup, as bytes."""
    base = json.loads(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1")])))
    out = []
    for attack in ATTACKS[:3]:
        for where in ("nbformat", "output", "kernelspec", "cell_type"):
            nb = json.loads(json.dumps(base))
            if where == "nbformat":
                nb["nbformat"] = attack
            elif where == "output":
                nb["cells"][0]["outputs"] = [{"output_type": attack}]
            elif where == "kernelspec":
                nb["metadata"]["kernelspec"] = {"name": attack, attack: attack}
            else:
                nb["cells"][0]["cell_type"] = attack
            out.append(json.dumps(nb).encode())
    return out


@pytest.fixture
def book(tmp_path):
    """A gradebook whose every text holds markup: names, notes, test ids, messages."""
    notes = []
    for i, raw in enumerate(_hostile_notebooks()):
        (tmp_path / f"{i}.ipynb").write_bytes(raw)
        with pytest.raises(merge.Malformed) as e:
            merge.load(tmp_path / f"{i}.ipynb")
        notes.append(f"`layer.ipynb` could not be read: {e.value}. It needs to be looked at by hand.")
    book = Gradebook(tmp_path / "g.sqlite")
    for k, attack in enumerate(ATTACKS):
        student = attack.replace("/", "_")  # a folder's name has no /
        attack = ATTACKS[-1 - k]
        r = NotebookResult(student, f"{attack}.ipynb", "malformed" if k % 2 else attack,
                           score=1, max_score=5, notes=notes + [attack, f"Cell `{attack}` was edited."],
                           flags=[attack])
        r.cells = [CellResult(attack, "failed", 0, 2, attack), CellResult("t", attack, 1, 3, attack)]
        book.record(r, seed=1)
    yield book
    book.close()


def test_no_student_text_in_the_notes_of_a_malformed_notebook(tmp_path):
    for i, raw in enumerate(_hostile_notebooks()):
        (tmp_path / "x.ipynb").write_bytes(raw)
        with pytest.raises(merge.Malformed) as e:
            merge.load(tmp_path / "x.ipynb")
        said = str(e.value)
        assert not [w for w in ("img", "javascript", "alert", "Total", "99") if w in said], said
        assert re.fullmatch(r"[\w ,;()`'\[\].]+", said), said


def _markdown_it():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    return md


def _tokens(md, source):
    """Every token of ``source``, the inline ones included, in order."""
    return [t for block in md.parse(source) for t in [block] + (block.children or [])]


def test_every_feedback_file_renders_as_the_graders_words(book, tmp_path, need):
    try:
        import cmarkgfm
        md = _markdown_it()
    except ImportError as e:
        return need(False, f"a Markdown renderer is missing ({e.name}; the test extra installs it)")
    students = [r["student"] for r in book.notebooks()]
    assert len(students) == len(ATTACKS)
    paths = write_feedback(book, tmp_path / "feedback", students)
    ours = {"paragraph", "inline", "text", "text_special", "code_inline", "heading", "strong",
            "bullet_list", "list_item", "table", "thead", "tbody", "tr", "th", "td", "softbreak"}
    for path, student in zip(paths, students):
        source = path.read_text(encoding="utf-8")
        tokens = _tokens(md, source)
        kinds = {t.type.removesuffix("_open").removesuffix("_close") for t in tokens}
        assert kinds <= ours, (student, kinds - ours)
        headings = [tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open"]
        # the name is a code span of its own in the one heading of each level
        [nb] = book.notebooks(student)
        assert [[(c.type, c.content) for c in h.children] for h in headings] == [
            [("text", "Feedback for "), ("code_inline", student)],
            [("code_inline", nb["notebook"]), ("text", ": 1 / 5")]]
        strong, inside = [], None
        for t in tokens:  # the text of each bold span
            if t.type == "strong_open":
                inside = ""
            elif t.type == "strong_close":
                strong, inside = strong + [inside.replace("\u2060", "")], None
            elif inside is not None:
                inside += t.content.replace("`", "")
        assert strong == [nb["status"].replace("`", ""), "Total: 1 / 5"]
        assert sum(t.type == "bullet_list_open" for t in tokens) == 1
        assert [t.content for t in tokens if t.type == "code_inline"].count(student) >= 1
        html = cmarkgfm.github_flavored_markdown_to_html(source)
        tags = set(re.findall(r"</?([a-z0-9]+)", html))
        assert tags <= {"h1", "h2", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
                        "code", "strong"}, (student, tags)
        assert html.count("<h1>") == html.count("<h2>") == 1 and "raw HTML" not in html
        assert html.count("<strong>") == len(strong)


def test_a_sentence_shows_as_itself_and_keeps_its_code_spans():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for attack in ATTACKS:
        [_, inline, _] = md.parse(text(f"Cell `x_1` was edited: {attack}"))
        shown = "".join(c.content for c in inline.children).replace("\u2060", "").replace("`", "")
        assert shown == f"Cell x_1 was edited: {' '.join(attack.split())}".replace("`", "")
        assert inline.children[1].type == "code_inline"
        [_, inline, _] = md.parse(code(attack))
        assert [(c.type, c.content) for c in inline.children] == [("code_inline", attack)]


def test_a_name_a_spreadsheet_reads_as_a_formula_stays_text(book, tmp_path):
    names = [r["notebook"] for r in book.notebooks()]
    write_csv(book, tmp_path / "s.csv", names)
    with open(tmp_path / "s.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=cmd|' _C calc'!A0" in [row[0] for row in rows]
