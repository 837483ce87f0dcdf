"""The gradebook: every result, kept in SQLite as soon as it exists.

Each finished notebook is written in one transaction (its row and the rows
of its cells together), so a run that is interrupted keeps everything graded
so far, and the next run skips it. Grading a student again replaces that
student's rows and nobody else's.
"""
import json
import sqlite3
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS notebooks (
    student TEXT NOT NULL, notebook TEXT NOT NULL, status TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, notes TEXT NOT NULL,
    flags TEXT NOT NULL, seed INTEGER NOT NULL, seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, notebook));
CREATE TABLE IF NOT EXISTS cells (
    student TEXT NOT NULL, notebook TEXT NOT NULL, grade_id TEXT NOT NULL,
    position INTEGER NOT NULL, status TEXT NOT NULL, score REAL NOT NULL,
    max_score REAL NOT NULL, message TEXT NOT NULL,
    PRIMARY KEY (student, notebook, grade_id));
"""


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
        key = (result.student, result.notebook)
        with self.db:
            self.db.execute("DELETE FROM cells WHERE student = ? AND notebook = ?", key)
            self.db.execute(
                "INSERT OR REPLACE INTO notebooks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key + (result.status, result.score, result.max_score,
                       json.dumps(result.notes), json.dumps(result.flags), seed,
                       round(result.seconds, 3), time.strftime("%Y-%m-%dT%H:%M:%S")))
            self.db.executemany(
                "INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [key + (c.grade_id, i, c.status, c.score, c.max_score, c.message)
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
            "SELECT grade_id, status, score, max_score, message FROM cells "
            "WHERE student = ? AND notebook = ? ORDER BY position", (student, notebook))
        names = [d[0] for d in rows.description]
        return [dict(zip(names, row)) for row in rows]
