"""README's Slurm job array, run on a real Slurm: a private one-node cluster
(its own munged, slurmctld and slurmd, started from a temporary folder with
their own ports and state) grades a small class in three parts. One task is
cancelled before it runs; the merge refuses, naming its students; the task
is submitted again as a user would (``sbatch --array=1``) and grades its own
part; the merge then equals one ordinary run of ``bplib grade``."""
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from grading_fixtures import make

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")]

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo")
WAIT = 1800  # seconds a job may take on a loaded machine: the tests wait on states, not times

SIGMOID = "def sigmoid(s):\n    return 1.0 / (1.0 + np.exp(-s))"
LAYER = "def layer(W, b, X):\n    return sigmoid(X @ W.T + b)"
HOSTILE = "[dee](javascript:alert(1)) **Total: 99 of 99**"  # a folder name, malformed notebook
# the students of each part, dealt round robin over the sorted names
CLASS = {HOSTILE: b'{"nbformat": "<img src=x onerror=alert(1)>", "cells": []}',
         "ann": make.answered({"sigmoid": SIGMOID, "layer": LAYER}),
         "ben": make.student(),
         "cy": make.answered({"sigmoid": SIGMOID})}
PARTS = {0: [HOSTILE, "cy"], 1: ["ann"], 2: ["ben"]}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A one-node Slurm in ``root``: start(), the commands' environment, stop()."""

    def __init__(self, root):
        self.root, self.procs = root, []
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))

    def start(self):
        r = self.root
        for sub in ("state", "spool", "log"):
            (r / sub).mkdir()
        key = r / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        self.conf.write_text(f"""\
ClusterName=bplibtest
SlurmctldHost=localhost
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={r}/munge.socket
CredType=cred/munge
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=localhost CPUs={os.cpu_count()} RealMemory={int(memory * 0.9)} State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        self._daemon(["munged", "-F", f"--socket={r}/munge.socket", f"--key-file={key}",
                      f"--pid-file={r}/munged.pid", f"--log-file={r}/log/munged.log",
                      f"--seed-file={r}/munged.seed"])
        self._until(lambda: (r / "munge.socket").exists(), "munged made no socket")
        self._daemon(["slurmctld", "-D"])
        self._daemon(["slurmd", "-D"])
        self._until(lambda: self.run("sinfo", "-h", "-o", "%T").strip() == "idle",
                    "the node never became idle")

    def _daemon(self, argv):
        log = open(self.root / "log" / f"{argv[0]}.out", "wb")
        self.procs.append(subprocess.Popen(argv, env=self.env, stdout=log, stderr=log,
                                           stdin=subprocess.DEVNULL, start_new_session=True))
        log.close()

    def _until(self, ready, why):
        deadline = time.monotonic() + WAIT
        while not ready():
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = {p.name: p.read_text(errors="replace")[-2000:]
                        for p in (self.root / "log").iterdir()}
                pytest.fail(f"{why} ({', '.join(dead) or 'still running'} stopped): {logs}")
            time.sleep(0.5)

    def run(self, *argv, env=None, cwd=None):
        """A Slurm command's standard output; it must succeed."""
        done = subprocess.run(argv, env=env or self.env, cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, f"{argv}: {done.stderr}"
        return done.stdout

    def wait(self, job):
        """Until ``job`` (all its tasks) has left the queue."""
        def gone():
            q = subprocess.run(["squeue", "-h", "-j", job], env=self.env, capture_output=True,
                               text=True)
            # a job long finished is forgotten: its id is then "invalid"
            return not q.stdout.strip() and (q.returncode == 0 or "Invalid job id" in q.stderr)

        self._until(gone, f"job {job} never left the queue")

    def stop(self):
        # what our slurmd started still runs with our configuration in its environment
        subprocess.run(["scancel", "--full", "--quiet", "--partition=test"], env=self.env,
                       capture_output=True)
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for pid in _ours(self.conf):
            os.kill(pid, signal.SIGKILL)


def _ours(conf):
    """Processes whose environment names our cluster's configuration (job steps left over)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"SLURM_CONF={conf}\0".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


@pytest.fixture
def cluster(need):
    missing = [d for d in DAEMONS if not shutil.which(d)]
    need(not missing, f"Slurm is not installed ({', '.join(missing)}; .ci/install-slurm)")
    need(shutil.which("bwrap"), "bubblewrap is not installed (.ci/install-sandbox)")
    need(os.geteuid() == 0, "slurmd starts jobs as their user, which only root may do")
    root = Path(tempfile.mkdtemp(prefix="slurm-"))  # short: Unix sockets live in it
    root.chmod(0o755)  # munged serves its socket only from a folder all may enter
    c = Cluster(root)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(root, ignore_errors=True)


def _script():
    """README's sbatch script, as it stands."""
    [script] = re.findall(r"```bash\n(#!/bin/bash\n#SBATCH .*?)```", README, re.S)
    return script


def _course(root):
    (root / "solutions").mkdir(parents=True)
    nbformat.write(make.solution(), root / "solutions" / "layer.ipynb")
    for name, nb in CLASS.items():
        (root / "submissions" / name).mkdir(parents=True)
        if isinstance(nb, bytes):
            (root / "submissions" / name / "layer.ipynb").write_bytes(nb)
        else:
            nbformat.write(nb, root / "submissions" / name / "layer.ipynb")
    # the environment bplib is installed in, where README's script looks for it
    (root / ".venv").symlink_to(sys.prefix, target_is_directory=True)


def _table(book):
    """A gradebook's results, without when, how fast and on which seed."""
    with sqlite3.connect(book) as db:
        rows = (db.execute("SELECT student, notebook, status, score, max_score, notes, flags, "
                           "student_bytes FROM notebooks ORDER BY student").fetchall(),
                db.execute("SELECT student, notebook, grade_id, position, status, score, max_score, "
                           "message FROM cells ORDER BY student, position").fetchall())
    db.close()
    return rows


def _bplib(course, *argv, tmp):
    return subprocess.run([sys.executable, "-m", "bpinstructor.cli", *argv], cwd=course,
                          env=dict(os.environ, TMPDIR=str(tmp)), capture_output=True, text=True)


def test_readme_job_array_with_a_task_cancelled_and_submitted_again(cluster, tmp_path, need):
    need((Path(sys.prefix) / "bin" / "activate").exists(), "the tests do not run in a venv")
    course = tmp_path / "course"
    _course(course)
    elsewhere = tmp_path / "elsewhere"  # submitted from another folder, bplib not on PATH
    elsewhere.mkdir()
    (elsewhere / "grade.sh").write_text(_script())
    kernels = cluster.root / "tmp"
    kernels.mkdir()
    env = dict(cluster.env, PATH="/usr/sbin:/usr/bin:/sbin:/bin", TMPDIR=str(kernels))
    env.pop("VIRTUAL_ENV", None)
    # a small class: the array and its resources given on sbatch's command line
    sbatch = ["sbatch", "--parsable", "--cpus-per-task=1", "--mem=1G", "--time=01:00:00",
              f"--export=ALL,COURSE={course},SHARDS=3"]
    job = cluster.run(*sbatch, "--hold", "--array=0-2", "grade.sh", env=env, cwd=elsewhere).strip()
    cluster.run("scancel", f"{job}_1")  # held, so it never ran
    cluster.run("scontrol", "release", job)
    cluster.wait(job)
    logs = {p.name: p.read_text(errors="replace") for p in elsewhere.glob("grade-*.log")}
    assert sorted(logs) == [f"grade-{job}_0.log", f"grade-{job}_2.log"], logs
    for i in (0, 2):
        assert f"grades.shard-{i}-of-3.sqlite" in logs[f"grade-{job}_{i}.log"], logs

    shards = lambda: sorted(map(str, course.glob("grades.shard-*-of-3.sqlite")))  # noqa: E731
    merge = ["--feedback", "feedback", "--csv", "scores.csv"]
    refused = _bplib(course, "grade", "merge", *shards(), *merge, tmp=kernels)
    assert refused.returncode == 2, refused.stderr
    assert "1 of 4 notebooks are in no gradebook: ann/layer.ipynb (students of part 1 of 3)" \
        in refused.stderr and "Traceback" not in refused.stderr
    assert not (course / "grades.sqlite").exists()

    again = cluster.run(*sbatch, "--array=1", "grade.sh", env=env, cwd=elsewhere).strip()
    cluster.wait(again)
    log = (elsewhere / f"grade-{again}_1.log").read_text(errors="replace")
    assert "grades.shard-1-of-3.sqlite" in log and "1 notebooks graded" in log, log
    for i, students in PARTS.items():
        with sqlite3.connect(course / f"grades.shard-{i}-of-3.sqlite") as db:
            assert [s for (s,) in db.execute("SELECT student FROM notebooks ORDER BY student")] \
                == sorted(students)
        db.close()
    merged = _bplib(course, "grade", "merge", *shards(), *merge, tmp=kernels)
    assert merged.returncode == 0, merged.stderr
    assert "4 notebooks of 4 students from 3 gradebooks" in merged.stdout

    # one ordinary run of the same class
    one = _bplib(course, "grade", "submissions", "--gradebook", "one.sqlite", "--feedback", "one",
                 "--csv", "one.csv", "--jobs", "2", tmp=kernels)
    assert one.returncode == 0, one.stderr
    assert _table(course / "grades.sqlite") == _table(course / "one.sqlite")
    assert (course / "scores.csv").read_bytes() == (course / "one.csv").read_bytes()
    written = sorted(p.name for p in (course / "feedback").iterdir())
    assert written == sorted(f"{s}.md" for s in CLASS)
    for name in written:
        assert (course / "feedback" / name).read_bytes() == (course / "one" / name).read_bytes()
    hostile = (course / "feedback" / f"{HOSTILE}.md").read_text(encoding="utf-8")
    assert hostile.startswith(f"# Feedback for `{HOSTILE}`\n") and "<img" not in hostile
