"""What the grading gives back: a Markdown file per student and a CSV of scores.

Both are written from the gradebook only. The feedback says, per test,
whether it passed and why not, in the grader's own words: its verdicts and
the names of the values the solution reports. It never quotes the test
cells (their hidden part stays hidden), tracebacks, or any text the
student's code produced (an error message could carry the hidden tests).

Whatever a text from the gradebook holds, it is shown as text: a folder
name or a note makes no heading, link, image or HTML in the Markdown, and
no formula in a spreadsheet that opens the CSV.
"""
import csv
import re

ICON = {"passed": "passed", "failed": "failed", "timeout": "too slow", "crashed": "crashed",
        "not run": "not run", "manual": "graded by hand"}

# What Markdown (CommonMark, GitHub's tables and autolinks) could read as markup; its
# last character is escaped. '.' and ':' only inside a word (www.x.org, http://x), and
# a list marker (-, +, =, 1.) only at the start.
_MARKUP = re.compile(r"^\d+[.)]|[\\`*_~\[\]<>&#|!]|[.:](?=\S)|^[-+=]")
# A code span of the grader's: one backtick each side, none next to it or inside.
_CODE = re.compile(r"(?<!`)`[^`]+`(?!`)")


def _points(x):
    return f"{x:g}"


def code(name, table=False):
    """``name`` (a student's folder, a notebook, a test) as a Markdown code span.

    A code span shows its content as it is; its fence is longer than any run
    of backticks in the name. In a table row ``|`` is escaped, which tables
    undo inside code.
    """
    name = " ".join(str(name).split())
    fence = "`" * (max(map(len, re.findall("`+", name)), default=0) + 1)
    pad = " " if name[:1] == "`" or name[-1:] == "`" else ""
    shown = f"{fence}{pad}{name}{pad}{fence}"
    return shown.replace("|", "\\|") if table else shown


def _escape(part):
    part = _MARKUP.sub(lambda m: m[0][:-1] + "\\" + m[0][-1], part)
    # GitHub links a@b.c even when escaped; a word joiner after @ keeps it text
    return part.replace("@", "@\u2060")


def text(sentence, table=False):
    """A sentence of the grader's, shown in Markdown as text, on one line.

    Its code spans (`` `name` ``, one backtick each side) stay code; the rest
    is escaped wherever Markdown could read markup.
    """
    sentence = " ".join(str(sentence).split())  # no line of its own, no indented code
    out, at = [], 0
    for m in _CODE.finditer(sentence):
        out += [_escape(sentence[at:m.start()]), m[0].replace("|", "\\|") if table else m[0]]
        at = m.end()
    return "".join(out + [_escape(sentence[at:])])


def _cell(value):
    """A CSV cell that no spreadsheet takes for a formula."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def named(ids):
    """The grader's sentences for the usual mistakes a cell's answer made, e.g.

    "Your dl/dW^(1) equals the one without sigma'(s^(1))." The words come from
    ``bpcourse.mistakes`` in this process; an id it does not know is left out.
    """
    from bpcourse.mistakes import MISTAKES, exercise_of

    return [f"Your {exercise_of(i).quantity} equals {MISTAKES[i].what}." for i in ids
            if i in MISTAKES]


def feedback(gradebook, student):
    """The Markdown feedback of one student.

    Returns
    -------
    str
    """
    lines = [f"# Feedback for {code(student)}", ""]
    total = best = 0.0
    for nb in gradebook.notebooks(student):
        total, best = total + nb["score"], best + nb["max_score"]
        lines += [f"## {code(nb['notebook'])}: {_points(nb['score'])} / {_points(nb['max_score'])}", ""]
        if nb["status"] != "graded":
            lines += [f"Status: **{text(nb['status'])}**.", ""]
        lines += [f"- {text(note)}" for note in nb["notes"]]
        if nb["notes"]:
            lines.append("")
        cells = gradebook.cells(student, nb["notebook"])
        if cells:
            lines += ["| test | points | result | why |", "| --- | --- | --- | --- |"]
            for c in cells:
                result = text(ICON.get(c["status"], c["status"]), table=True)
                why = " ".join([c["message"]] + named(c.get("mistakes", [])))
                lines.append(f"| {code(c['grade_id'], table=True)} | {_points(c['score'])} / "
                             f"{_points(c['max_score'])} | {result} | {text(why, table=True)} |")
            lines.append("")
    lines += [f"**Total: {_points(total)} / {_points(best)}**", ""]
    return "\n".join(lines)


def write_feedback(gradebook, folder, students):
    """Write ``folder/<student>.md`` for each student; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for student in students:
        path = folder / f"{student}.md"  # gradebook names are safe file names
        path.write_text(feedback(gradebook, student), encoding="utf-8")
        paths.append(path)
    return paths


def write_csv(gradebook, path, notebooks):
    """One row per student: a score per notebook, the total, and the flags.

    Parameters
    ----------
    notebooks : list of str
        The notebook file names, in the column order wanted.
    """
    rows = {}
    for nb in gradebook.notebooks():
        rows.setdefault(nb["student"], {})[nb["notebook"]] = nb
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([_cell(x) for x in ["student"] + notebooks + ["total", "max_total", "flags"]])
        for student in sorted(rows):
            got = rows[student]
            scores = [_points(got[n]["score"]) if n in got else "" for n in notebooks]
            total = sum(got[n]["score"] for n in got)
            best = sum(got[n]["max_score"] for n in got)
            flags = sorted({f"{n}: {flag}" for n in got for flag in got[n]["flags"]}
                           | {f"{n}: {got[n]['status']}" for n in got if got[n]["status"] != "graded"})
            out.writerow([_cell(student)] + scores + [_points(total), _points(best),
                                                      _cell("; ".join(flags))])
