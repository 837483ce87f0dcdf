"""A class graded in parts by a cluster's scheduler, and the merge of the parts.

Each task of a Slurm job array or a Kubernetes Indexed Job grades one part
of the class (students dealt round robin) into a gradebook of its own. The
merge reads those gradebooks without writing to them, and checks the class
against its submissions folder: every student x notebook exactly once, or
it says what is missing and writes nothing.
"""
import json
import os
import re
import sqlite3
from pathlib import Path

from .gradebook import Gradebook

# Where a scheduler puts the index of one task of an array.
SHARD_VARIABLES = ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID")
# What two gradebooks holding the same notebook must agree on (not when or how fast).
SAME = ("status", "score", "max_score", "notes", "flags")
SHOWN = 8  # names listed in a message; the rest are counted


def shard_of(text, env=os.environ):
    """(i, n) from ``--shard``: ``i/n``, or ``n`` with i from the scheduler's variables.

    Slurm's task id is taken modulo n, so that a task submitted again on its
    own (``sbatch --array=3``) grades its own part, and an array may start at
    any number (``--array=1-16`` with 16 parts).

    Raises
    ------
    ValueError
        With the reason.
    """
    m = re.fullmatch(r"(?:(\d+)/)?(\d+)", text.strip())
    if not m or int(m[2]) < 1:
        raise ValueError(f"--shard must be I/N or N with 0 <= I < N, got {text!r}")
    n = int(m[2])
    if m[1] is not None:
        i = int(m[1])
    else:
        found = [v for v in SHARD_VARIABLES if env.get(v, "").strip()]
        if not found:
            raise ValueError(f"--shard {n} needs the index in {' or '.join(SHARD_VARIABLES)}; "
                             "or give it as --shard I/N")
        name = found[0]
        try:
            i = int(env[name])
            name = "SLURM_ARRAY_TASK_COUNT"
            tasks = int(env.get(name, "0") or 0)
        except ValueError:
            raise ValueError(f"{name}={env[name]!r} is not a number") from None
        if found[0] == "SLURM_ARRAY_TASK_ID":
            if tasks > n:  # two tasks would grade the same part at once
                raise ValueError(f"the job array has {tasks} tasks for {n} parts; "
                                 f"give --array {n} tasks, as many as --shard {n}")
            i %= n
    if not 0 <= i < n:
        raise ValueError(f"shard index {i} is not in 0..{n - 1}")
    return i, n


class Incomplete(ValueError):
    """Some notebooks of the class are in no gradebook; ``missing`` lists them."""

    def __init__(self, message, missing):
        super().__init__(message)
        self.missing = missing


def part(students, i, n):
    """The students of part ``i`` of ``n``: every n-th of the sorted list, from the i-th."""
    return [s for k, s in enumerate(sorted(students)) if k % n == i]


def listed(keys):
    """``student/notebook, ...``, at most SHOWN of them, then how many more."""
    keys = sorted(keys)
    more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return ", ".join(f"{s}/{n}" for s, n in keys[:SHOWN]) + more


def read(path):
    """The results a gradebook holds, read without writing to it.

    Returns
    -------
    dict
        ``{(student, notebook): (row, cells)}``: the notebook's row as a dict
        and its cells' rows in order.

    Raises
    ------
    ValueError
        When ``path`` is not a gradebook written by ``bplib grade``.
    """
    # Nothing is written to a part, nor beside it: a part whose writer closed it is read
    # as immutable (no lock, no -shm file); one with a write-ahead log left by a task that
    # was stopped is read through its log, which SQLite then keeps beside it.
    real = Path(path).resolve()
    wal = Path(f"{real}-wal").exists()
    db = sqlite3.connect(real.as_uri() + ("?mode=ro" if wal else "?mode=ro&immutable=1"), uri=True)
    try:
        return _rows(db, path)
    except sqlite3.DatabaseError as e:
        raise ValueError(f"{path} is not a gradebook of `bplib grade` ({e})") from None
    except (KeyError, TypeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a gradebook of `bplib grade` (a row it holds "
                         "cannot be read)") from None
    finally:
        db.close()


def _rows(db, path):
    tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"notebooks", "cells"} <= tables:
        raise ValueError(f"{path} is an SQLite file but not a gradebook of `bplib grade` "
                         "(it has no tables of notebooks and cells)")
    db.row_factory = sqlite3.Row
    out = {}
    for row in db.execute("SELECT * FROM notebooks ORDER BY student, notebook"):
        row = dict(row)
        row["notes"], row["flags"] = json.loads(row["notes"]), json.loads(row["flags"])
        cells = [dict(c) for c in db.execute(
            "SELECT * FROM cells WHERE student = ? AND notebook = ? ORDER BY position",
            (row["student"], row["notebook"]))]
        for c in cells:   # a gradebook made before the mistakes were recorded has none
            c["mistakes"] = json.loads(c.get("mistakes") or "[]")
            if not isinstance(c["mistakes"], list):
                raise TypeError("mistakes")
        out[row["student"], row["notebook"]] = (row, cells)
    return out


def _key(row, cells):
    """What must be equal for two copies of a notebook's results to be the same."""
    return ([row[k] for k in SAME],
            [[c[k] for k in ("grade_id", "status", "score", "max_score", "message", "mistakes")]
             for c in cells])


def combine(paths, out, expected, allow_missing=False):
    """Merge the gradebooks of the parts of a class into ``out``.

    Parameters
    ----------
    paths : list of pathlib.Path
        Gradebooks of the parts, each only read.
    out : pathlib.Path
        Gradebook written (created when missing; it may hold only the same
        results already, from an earlier merge of the same parts).
    expected : set of (str, str)
        Every (student, notebook) of the class.
    allow_missing : bool
        Merge even when some of ``expected`` are in no part.

    Returns
    -------
    merged : int
        Notebooks written.
    missing : list of (str, str)
        Those of ``expected`` in no part (empty unless ``allow_missing``).

    Raises
    ------
    Incomplete
        When some of ``expected`` are in no part, unless ``allow_missing``.
    ValueError
        Saying what else is wrong; nothing is written then.
    """
    found, where = {}, {}
    for path in paths:
        for key, (row, cells) in read(path).items():
            if key in found:
                same = _key(*found[key]) == _key(row, cells)
                raise ValueError(f"{where[key]} and {path} both hold {key[0]}/{key[1]}"
                                 + ("" if same else ", with different results")
                                 + ": give each part once, and grade a student in one part only")
            found[key], where[key] = (row, cells), path
    extra = set(found) - expected
    if extra:
        raise ValueError(f"the gradebooks hold notebooks that are not in this class (its "
                         f"submissions and solutions folders): {listed(extra)}")
    missing = sorted(expected - set(found))
    if missing and not allow_missing:
        raise Incomplete(f"{len(missing)} of {len(expected)} notebooks are in no gradebook: "
                         f"{listed(missing)}", missing)
    target = Gradebook(out)
    try:
        held = {key: (row, target.cells(*key)) for row in target.notebooks()
                for key in [(row["student"], row["notebook"])]}
        clash = [k for k in held if k not in found or _key(*held[k]) != _key(*found[k])]
        if clash:
            raise ValueError(f"{out} already holds other results ({listed(clash)}); "
                             "merge into a new file")
        with target.db:
            for key, (row, cells) in found.items():
                target.db.execute("DELETE FROM cells WHERE student = ? AND notebook = ?", key)
                target.db.execute(
                    "INSERT OR REPLACE INTO notebooks (student, notebook, status, score, "
                    "max_score, notes, flags, seed, seconds, graded_at, student_bytes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    key + (row["status"], row["score"], row["max_score"], json.dumps(row["notes"]),
                           json.dumps(row["flags"]), row["seed"], row["seconds"],
                           row["graded_at"], row.get("student_bytes")))
                target.db.executemany(
                    "INSERT INTO cells (student, notebook, grade_id, position, status, score, "
                    "max_score, message, detail, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [key + (c["grade_id"], i, c["status"], c["score"], c["max_score"],
                            c["message"], c.get("detail", ""), json.dumps(c["mistakes"]))
                     for i, c in enumerate(cells)])
    finally:
        target.close()
    return len(found), missing
