"""What the grading gives back: a Markdown file per student and a CSV of scores.

Both are written from the gradebook only. The feedback says, per test,
whether it passed and why not, in the grader's own words: its verdicts and
the names of the values the solution reports. It never quotes the test
cells (their hidden part stays hidden), tracebacks, or any text the
student's code produced (an error message could carry the hidden tests).
"""
import csv

ICON = {"passed": "passed", "failed": "failed", "timeout": "too slow", "crashed": "crashed",
        "not run": "not run", "manual": "graded by hand"}


def _points(x):
    return f"{x:g}"


def feedback(gradebook, student):
    """The Markdown feedback of one student.

    Returns
    -------
    str
    """
    lines = [f"# Feedback for {student}", ""]
    total = best = 0.0
    for nb in gradebook.notebooks(student):
        total, best = total + nb["score"], best + nb["max_score"]
        lines += [f"## {nb['notebook']}: {_points(nb['score'])} / {_points(nb['max_score'])}", ""]
        if nb["status"] != "graded":
            lines += [f"Status: **{nb['status']}**.", ""]
        lines += [f"- {note}" for note in nb["notes"]]
        if nb["notes"]:
            lines.append("")
        cells = gradebook.cells(student, nb["notebook"])
        if cells:
            lines += ["| test | points | result | why |", "| --- | --- | --- | --- |"]
            for c in cells:
                why = c["message"].replace("|", "\\|").replace("\n", " ")
                lines.append(f"| `{c['grade_id']}` | {_points(c['score'])} / "
                             f"{_points(c['max_score'])} | {ICON.get(c['status'], c['status'])} | {why} |")
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
        out.writerow(["student"] + notebooks + ["total", "max_total", "flags"])
        for student in sorted(rows):
            got = rows[student]
            scores = [_points(got[n]["score"]) if n in got else "" for n in notebooks]
            total = sum(got[n]["score"] for n in got)
            best = sum(got[n]["max_score"] for n in got)
            flags = sorted({f"{n}: {flag}" for n in got for flag in got[n]["flags"]}
                           | {f"{n}: {got[n]['status']}" for n in got if got[n]["status"] != "graded"})
            # a name a spreadsheet would take for a formula is quoted as text
            shown = "'" + student if student[:1] in ("=", "+", "-", "@") else student
            out.writerow([shown] + scores + [_points(total), _points(best), "; ".join(flags)])
