"""The class at a glance, from a gradebook: an HTML page and a Markdown summary.

Per notebook and exercise: the scores (a histogram), the share of students
done / not done / wrong, the usual mistakes the grader recognised with how
many students made each (most common first), the flags with their counts
and the time per notebook; then the students who may need help (lowest
scores, most flags), anonymous unless names are asked for.

Every picture is an inline PNG whose text alternative gives its numbers;
every text that came from a student (a folder name, a notebook's name, a
flag) is escaped: ``html.escape`` in the page, the feedback's escaping in
the Markdown.
"""
import html
from collections import Counter
from dataclasses import dataclass, field

from matplotlib.figure import Figure   # no pyplot: no backend, no window, no global state

from bpcourse.mistakes import MISTAKES
from bplib.plots import HATCHES, bundle

from .feedback import code, text

SHOWN = 10                        # students listed as who may need help
STATES = ("done", "not done", "wrong", "by hand")
COLOURS = {"done": "#1b7837", "not done": "#969696", "wrong": "#b2182b", "by hand": "#2166ac"}


def state(cell):
    """A cell's row as done, not done, wrong or by hand.

    Not done: the answer still raises NotImplementedError, or the notebook
    or the cell was not there to run.
    """
    if cell["status"] == "passed":
        return "done"
    if cell["status"] == "manual":
        return "by hand"
    if cell["status"] == "not run" or cell["message"].startswith("not done yet"):
        return "not done"
    return "wrong"


@dataclass
class Exercise:
    """One graded cell across the class."""
    grade_id: str
    max_score: float = 0.0
    scores: list = field(default_factory=list)
    states: Counter = field(default_factory=Counter)
    mistakes: Counter = field(default_factory=Counter)   # mistake id -> students


@dataclass
class Notebook:
    """One notebook across the class."""
    name: str
    max_score: float = 0.0
    scores: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    flags: Counter = field(default_factory=Counter)      # flag -> students
    exercises: dict = field(default_factory=dict)        # grade_id -> Exercise


def summarise(results):
    """The class's numbers, from ``shards.read``'s ``{(student, notebook): (row, cells)}``.

    Returns
    -------
    notebooks : list of Notebook
        Sorted by name.
    students : list of (student, score, max_score, flags)
        One per student, totals over their notebooks.
    """
    notebooks, students = {}, {}
    for (student, name), (row, cells) in sorted(results.items()):
        nb = notebooks.setdefault(name, Notebook(name))
        nb.max_score = max(nb.max_score, row["max_score"])
        nb.scores.append(row["score"])
        if row["status"] == "graded":
            nb.seconds.append(row["seconds"])
        flags = set(row["flags"]) | ({row["status"]} if row["status"] != "graded" else set())
        nb.flags.update(flags)
        for c in cells:
            ex = nb.exercises.setdefault(c["grade_id"], Exercise(c["grade_id"]))
            ex.max_score = max(ex.max_score, c["max_score"])
            ex.scores.append(c["score"])
            ex.states[state(c)] += 1
            ex.mistakes.update(set(c.get("mistakes", [])))
        score, best, n_flags = students.get(student, (0.0, 0.0, 0))
        students[student] = (score + row["score"], best + row["max_score"], n_flags + len(flags))
    return ([notebooks[n] for n in sorted(notebooks)],
            [(s, *students[s]) for s in sorted(students)])


def need_help(students, shown=SHOWN):
    """The students with the lowest share of the points, then the most flags; at most ``shown``."""
    def key(s):
        return (s[1] / s[2] if s[2] else 1.0, -s[3], s[0])
    return sorted(students, key=key)[:shown]


def mistake_name(mid):
    """The mistake's name in the lecture's words (the id itself when the table no longer has it)."""
    return MISTAKES[mid].name if mid in MISTAKES else mid


def _n(k, one="student", many="students"):
    return f"{k} {one if k == 1 else many}"


def _pt(x):
    return f"{x:g}"


# --- pictures -----------------------------------------------------------------------------------

def histogram(nb):
    """The scores of one notebook: how many students got each score; (figure, alt text)."""
    counts = Counter(nb.scores)
    values = sorted(counts)
    fig = Figure(figsize=(5, 2.6), layout="constrained")
    ax = fig.subplots()
    ax.bar([_pt(v) for v in values], [counts[v] for v in values], color="#4d4d4d")
    ax.set_xlabel(f"points (of {_pt(nb.max_score)})")
    ax.set_ylabel("students")
    ax.set_title(f"scores of {nb.name}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    alt = (f"Histogram of the scores of {nb.name}, out of {_pt(nb.max_score)} points, "
           f"{_n(len(nb.scores))}: "
           + "; ".join(f"{_pt(v)} points: {_n(counts[v])}" for v in values) + ".")
    return fig, alt


def shares(nb):
    """Done / not done / wrong per exercise, stacked bars (colour and hatching); (figure, alt)."""
    exercises = list(nb.exercises.values())
    fig = Figure(figsize=(6, 0.5 + 0.45 * len(exercises)), layout="constrained")
    ax = fig.subplots()
    left = [0] * len(exercises)
    for k, s in enumerate(STATES):
        widths = [ex.states[s] for ex in exercises]
        if not any(widths):
            continue
        ax.barh([ex.grade_id for ex in exercises], widths, left=left, color=COLOURS[s],
                hatch=HATCHES[k], edgecolor="white", label=s)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title(f"exercises of {nb.name}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")   # off the bars
    alt = (f"Stacked bars, one per exercise of {nb.name}, students by result: "
           + "; ".join(f"{ex.grade_id}: " + ", ".join(
               f"{ex.states[s]} {s}" for s in STATES if s != "by hand" or ex.states[s])
               for ex in exercises) + ".")
    return fig, alt


def mistakes_chart(ex):
    """The named mistakes of one exercise, most common first; (figure, alt)."""
    ranked = ex.mistakes.most_common()
    fig = Figure(figsize=(6, 0.6 + 0.4 * len(ranked)), layout="constrained")
    ax = fig.subplots()
    ax.barh([mistake_name(m) for m, _ in ranked], [k for _, k in ranked], color="#b2182b")
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"named mistakes in {ex.grade_id}")
    alt = (f"Bar chart of the named mistakes in {ex.grade_id}, most common first: "
           + "; ".join(f"{mistake_name(m)}: {_n(k)}" for m, k in ranked) + ".")
    return fig, alt


def _img(fig, alt):
    return bundle(fig, alt)["text/html"]


# --- the page and the summary -------------------------------------------------------------------

def _who(students, names):
    """(label, row) of the students who may need help: names, or "student 1", ... in order."""
    return [(s[0] if names else f"student {i}", s) for i, s in enumerate(need_help(students), 1)]


def _time(nb):
    if not nb.seconds:
        return "", ""
    t = sorted(nb.seconds)
    return f"{t[len(t) // 2]:.1f}", f"{t[-1]:.1f}"


def markdown(results, names=False):
    """The class's summary in Markdown; every text of the gradebook's escaped.

    Returns
    -------
    str
    """
    notebooks, students = summarise(results)
    lines = ["# The class at a glance", "",
             f"{_n(len(students))}, {_n(len(notebooks), 'notebook', 'notebooks')}.", ""]
    for nb in notebooks:
        median, slowest = _time(nb)
        lines += [f"## {code(nb.name)}", "",
                  f"Scores (of {_pt(nb.max_score)}): " + ", ".join(
                      f"{_pt(v)}: {k}" for v, k in sorted(Counter(nb.scores).items())) + ".", ""]
        if median:
            lines += [f"Time to grade: median {median} s, longest {slowest} s.", ""]
        lines += ["| exercise | done | not done | wrong | named mistakes (students) |",
                  "| --- | --- | --- | --- | --- |"]
        for ex in nb.exercises.values():
            named = "; ".join(f"{mistake_name(m)}: {k}" for m, k in ex.mistakes.most_common())
            lines.append(f"| {code(ex.grade_id, table=True)} | {ex.states['done']} | "
                         f"{ex.states['not done']} | {ex.states['wrong']} | "
                         f"{text(named, table=True) if named else ''} |")
        lines.append("")
        if nb.flags:
            lines += ["Flags: " + "; ".join(f"{text(f)}: {k}" for f, k in
                                            sorted(nb.flags.items(), key=lambda x: (-x[1], x[0])))
                      + ".", ""]
    lines += ["## Students who may need help", "",
              "| student | points | flags |", "| --- | --- | --- |"]
    for label, (_, score, best, flags) in _who(students, names):
        lines.append(f"| {code(label, table=True)} | {_pt(score)} / {_pt(best)} | {flags} |")
    return "\n".join(lines + [""])


def page(results, names=False):
    """The class's report as one self-contained HTML page (pictures inline).

    Returns
    -------
    str
    """
    e = html.escape
    notebooks, students = summarise(results)
    body = [f"<h1>The class at a glance</h1><p>{_n(len(students))}, "
            f"{_n(len(notebooks), 'notebook', 'notebooks')}."
            "</p>"]
    for nb in notebooks:
        median, slowest = _time(nb)
        body += [f"<section><h2>{e(nb.name)}</h2>", _img(*histogram(nb)), _img(*shares(nb))]
        if median:
            body.append(f"<p>Time to grade: median {median} s, longest {slowest} s.</p>")
        body.append("<table><thead><tr><th scope='col'>exercise</th><th scope='col'>done</th>"
                    "<th scope='col'>not done</th><th scope='col'>wrong</th></tr></thead><tbody>")
        body += [f"<tr><th scope='row'>{e(ex.grade_id)}</th><td>{ex.states['done']}</td>"
                 f"<td>{ex.states['not done']}</td><td>{ex.states['wrong']}</td></tr>"
                 for ex in nb.exercises.values()]
        body.append("</tbody></table>")
        for ex in nb.exercises.values():
            if ex.mistakes:
                body.append(_img(*mistakes_chart(ex)))
        if nb.flags:
            body.append("<h3>Flags</h3><ul>" + "".join(
                f"<li>{e(f)}: {_n(k)}</li>"
                for f, k in sorted(nb.flags.items(), key=lambda x: (-x[1], x[0]))) + "</ul>")
        body.append("</section>")
    body.append("<section><h2>Students who may need help</h2><table><thead><tr>"
                "<th scope='col'>student</th><th scope='col'>points</th><th scope='col'>flags</th>"
                "</tr></thead><tbody>")
    body += [f"<tr><th scope='row'>{e(label)}</th><td>{_pt(score)} / {_pt(best)}</td>"
             f"<td>{flags}</td></tr>" for label, (_, score, best, flags) in _who(students, names)]
    body.append("</tbody></table></section>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em;color:#111;"
             "background:#fff}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
             "#999;padding:.2em .6em;text-align:left}img{display:block;max-width:100%;margin:1em 0}")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>The class at a glance</title>"
            f"<style>{style}</style></head><body><main>" + "\n".join(body)
            + "</main></body></html>\n")


def write(results, folder, names=False):
    """Write ``folder/report.html`` and ``folder/report.md``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "report.html", folder / "report.md"
    paths[0].write_text(page(results, names), encoding="utf-8")
    paths[1].write_text(markdown(results, names), encoding="utf-8")
    return paths
