"""The gradebook: every result, kept in SQLite as soon as it exists.

Each finished notebook is written in one transaction (its row and the rows
of its cells together), so a run that is interrupted keeps everything graded
so far, and the next run skips it. Grading a student again replaces that
student's rows and nobody else's.

Every text is made safe on its way in (``safe_text``): any UTF-8 file, CSV
or Markdown table can hold it. A student's folder name is also kept as the
bytes it was on disk.
"""
import json
import os
import sqlite3
import time
import unicodedata

MAX_TEXT = 2000  # characters kept of one text

SCHEMA = """
CREATE TABLE IF NOT EXISTS notebooks (
    student TEXT NOT NULL, notebook TEXT NOT NULL, status TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, notes TEXT NOT NULL,
    flags TEXT NOT NULL, seed INTEGER NOT NULL, seconds REAL NOT NULL,
    graded_at TEXT NOT NULL, student_bytes BLOB,
    PRIMARY KEY (student, notebook));
CREATE TABLE IF NOT EXISTS cells (
    student TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL,
    position INTEGER NOT NULL, status TEXT NOT NULL, score REAL NOT NULL,
    max_score REAL NOT NULL, message TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
    mistakes TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (student, notebook, grade_id));
"""
# columns added since the first gradebooks, so that older files still open
# (a cell's mistakes: a JSON list of ids of bpcourse.mistakes, [] in a gradebook made before them)
ADDED = [("notebooks", "student_bytes", "BLOB"), ("cells", "detail", "TEXT NOT NULL DEFAULT ''"),
         ("cells", "mistakes", "TEXT NOT NULL DEFAULT '[]'")]


def safe_text(text):
    """``text`` as a str any UTF-8 file can hold, on one line, at most MAX_TEXT characters.

    Bytes that are not UTF-8 (a folder name from an archive) and lone
    surrogates become ``\\xNN`` and ``\\uNNNN`` escapes; so do control and
    invisible formatting characters (new lines, bidi overrides).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    text = str(text)
    try:  # a name read from the disk: its undecodable bytes as \xNN
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:
        pass
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    out = "".join(c if unicodedata.category(c)[0] != "C" else
                  (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}") for c in text)
    return out if len(out) <= MAX_TEXT else out[:MAX_TEXT - 1] + "\u2026"


class Gradebook:
    """A gradebook file.

    Parameters
    ----------
    path : str or pathlib.Path
        Created when missing.
    """

    def __init__(self, path):
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        for table, column, kind in ADDED:
            have = [row[1] for row in self.db.execute(f"PRAGMA table_info({table})")]
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self.db.commit()

    def close(self):
        self.db.close()

    def done(self):
        """The (student, notebook) pairs already graded."""
        return set(self.db.execute("SELECT student, notebook FROM notebooks"))

    def forget(self, student):
        """Remove a student's rows (before grading them again)."""
        with self.db:
            self.db.execute("DELETE FROM cells WHERE student = ?", (student,))
            self.db.execute("DELETE FROM notebooks WHERE student = ?", (student,))

    def record(self, result, seed):
        """Store one NotebookResult, replacing any earlier one, atomically."""
        key = (safe_text(result.student), safe_text(result.notebook))
        raw = result.raw_student
        if raw is None:
            raw = result.student.encode("utf-8", "surrogateescape")
        notes = [safe_text(n) for n in result.notes]
        flags = [safe_text(f) for f in result.flags]
        with self.db:
            self.db.execute("DELETE FROM cells WHERE student = ? AND notebook = ?", key)
            self.db.execute(
                "INSERT OR REPLACE INTO notebooks (student, notebook, status, score, max_score, "
                "notes, flags, seed, seconds, graded_at, student_bytes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key + (result.status, result.score, result.max_score, json.dumps(notes),
                       json.dumps(flags), seed, round(result.seconds, 3),
                       time.strftime("%Y-%m-%dT%H:%M:%S"), raw))
            self.db.executemany(
                "INSERT INTO cells (student, notebook, grade_id, position, status, score, "
                "max_score, message, detail, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [key + (safe_text(c.grade_id), i, c.status, c.score, c.max_score,
                        safe_text(c.message), safe_text(c.detail),
                        json.dumps([safe_text(m) for m in c.mistakes]))
                 for i, c in enumerate(result.cells)])

    def notebooks(self, student=None):
        """Rows of the notebooks table as dicts, sorted by student and notebook."""
        sql = "SELECT * FROM notebooks" + (" WHERE student = ?" if student else "")
        rows = self.db.execute(sql + " ORDER BY student, notebook", (student,) if student else ())
        names = [d[0] for d in rows.description]
        out = [dict(zip(names, row)) for row in rows]
        for row in out:
            row["notes"], row["flags"] = json.loads(row["notes"]), json.loads(row["flags"])
        return out

    def cells(self, student, notebook):
        """Rows of the cells table for one notebook, in the notebook's order."""
        rows = self.db.execute(
            "SELECT grade_id, status, score, max_score, message, detail, mistakes FROM cells "
            "WHERE student = ? AND notebook = ? ORDER BY position", (student, notebook))
        names = [d[0] for d in rows.description]
        out = [dict(zip(names, row)) for row in rows]
        for row in out:
            row["mistakes"] = json.loads(row["mistakes"])
        return out
