"""Run a notebook in a fresh kernel with hard limits.

Each kernel gets its own sandbox (see ``sandbox``) around a fresh, empty
work folder, with a scrubbed environment and resource limits; its
connection file and IPython folder lie beside it, read-only, so nothing a
kernel leaves behind can stop the next one. A cell that runs past its
timeout, or kills its kernel (``os._exit``, a segfault, running out of
memory), or whose kernel does not start or sends what the grader cannot
read, is marked and the run goes on: the sandbox is killed, a new kernel
starts, the earlier cells that define things are run again (their outputs
discarded) and the next cell runs. A timer kills the sandbox if the kernel
ignores everything else (e.g. a loop that swallows KeyboardInterrupt), so
nothing can hang the grader.

What the grader holds for a notebook is bounded: everything its kernels
send counts against one byte budget, only the reports are kept, decoded
messages are at most MAX_DEPTH deep, and at most MAX_CELLS cells run. Past
a bound the kernel is killed and the notebook is graded as far as it got.
"""
import asyncio
import copy
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellTimeoutError, DeadKernelError

from bpcourse.report import MIME, SEED_VARIABLE

from . import sandbox

GRACE = 5.0             # seconds the watchdog waits beyond a cell's timeout
MAX_RESTARTS = 3        # kernels started again per notebook before giving up
MAX_OUTPUT = 2_000_000  # bytes of printed output per cell past which it is flagged (none is kept)
MAX_RECEIVED = 256 * 2**20  # bytes all kernels of one notebook may send, messages of any kind
MAX_REPORTS = 16 * 2**20    # bytes of reports kept for one notebook
MAX_MESSAGE = 16 * 2**20    # bytes of one message (a larger one is lost)
MAX_QUEUED = 2              # messages waiting to be read per channel: with MAX_MESSAGE, what a
                            # kernel faster than the grader can make it hold (more wait in
                            # the kernel's own memory, which its limit bounds)
MAX_DEPTH = 64              # nesting of lists and dicts in one message
MAX_CELLS = 1000            # code cells run per notebook
STARTUP_TIMEOUT = 60

LIVE = set()                # kernels running now, for stop_all()
STOPPING = threading.Event()


class Stopped(Exception):
    """The grading run is being stopped."""


def stop_all():
    """Kill every running kernel and start no new one (callable from any thread)."""
    STOPPING.set()
    for kernel in list(LIVE):
        kernel.kill_group()


# Limits applied in the kernel's first process before it becomes bwrap (or,
# without a sandbox, the kernel), so they hold for everything started below
# it; the process also enters its memory cgroup first, when there is one
# (if it may not, the watchdog alone holds the limit). It dies with the
# grader (PR_SET_PDEATHSIG, kept across exec), and gives up if the grader
# died before it could ask. PR_SET_PDEATHSIG leaves a gap: bwrap clears it
# when it drops its privileges, and a sandbox still being set up waits for
# bwrap's signal, forever if bwrap died first. So a watcher forked here ends
# the whole process group (bwrap and a sandbox not yet in a session of its
# own) once the grader's pipe closes: nothing started here outlives the grader.
_LAUNCH = (
    "import ctypes, os, resource, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[4]): os._exit(1)\n"
    "mem, fsize = (int(v) * 2**20 for v in sys.argv[1:3])\n"
    "if mem: resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "try:\n"
    "    if sys.argv[3]: open(sys.argv[3], 'w').write(str(os.getpid()))\n"
    "except OSError: pass\n"
    "me = os.getpid()\n"
    "if os.fork() == 0:\n"
    "    os.read(int(sys.argv[5]), 1)\n"
    "    if os.getpgid(0) == me: os.killpg(me, signal.SIGKILL)\n"
    "    os._exit(0)\n"
    "os.execv(sys.argv[6], sys.argv[6:])\n"
)


# Runs first inside the sandbox, before the kernel: a watcher process that
# ends everything in the sandbox once the grader is gone (its pipe's write end
# closes with it). bwrap's own --die-with-parent leaves a gap: a sandbox still
# being set up when the grader dies would live on.
_WATCH = (
    "import os, signal, sys\n"
    "fd = int(sys.argv[1])\n"
    "if os.fork() == 0:\n"
    "    os.read(fd, 1)\n"
    "    os.kill(-1, signal.SIGKILL)\n"
    "    os._exit(0)\n"
    "os.close(fd)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
_ALIVE = []  # [read end, write end] of the pipe that closes when the grader dies


def _alive_fd():
    """The read end of a pipe whose write end only this process holds (non-inheritable)."""
    if not _ALIVE:
        _ALIVE.extend(os.pipe())
    return _ALIVE[0]


def scrubbed_env(workdir, conf, seed):
    """The whole environment a graded kernel gets.

    Only what Python and the kernel need to start: the grader's own
    variables (paths, tokens, the location of the solutions) never reach
    the student's code. IPython's folder is ``conf/ipython``, which the
    kernel may read but not write.
    """
    return {
        "PATH": os.defpath + os.pathsep + os.path.dirname(sys.executable),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "HOME": str(workdir), "TMPDIR": "/tmp",
        "IPYTHONDIR": str(conf / "ipython"), "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "MPLBACKEND": "agg", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        # the working folder is not on sys.path: nothing dropped there is imported
        "PYTHONSAFEPATH": "1",
        # one thread per kernel: grading runs several kernels side by side
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        SEED_VARIABLE: str(seed),
    }


class _LimitedKernelManager(AsyncKernelManager):
    """The python3 kernel of this interpreter, in its sandbox, under limits."""

    memory_mb = 4096
    file_mb = 200
    sandboxed = True
    cgroup = None  # a memory cgroup folder, or None

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.sandboxed:
            conf = Path(self.connection_file).parent
            cmd = (sandbox.command(Path(self.ip).parent, self.file_mb, conf)
                   + [sys.executable, "-c", _WATCH, str(_alive_fd())] + cmd)
        procs = str(self.cgroup / "cgroup.procs") if self.cgroup else ""
        return [sys.executable, "-c", _LAUNCH, str(self.memory_mb), str(self.file_mb),
                procs, str(os.getpid()), str(_alive_fd())] + cmd


class Bounds:
    """What the kernels of one notebook have sent so far, against the limits.

    ``passed`` names the first limit passed (a key of ``_LIMIT_PASSED``), or is empty.
    """

    def __init__(self):
        self.received = self.reports = 0
        self.passed = ""


def depth(obj):
    """How deeply lists and dicts nest in ``obj``, counted without recursion (stops past MAX_DEPTH)."""
    deepest, todo = 0, [(obj, 1)]
    while todo and deepest <= MAX_DEPTH:
        x, d = todo.pop()
        deepest = max(deepest, d)
        children = x.values() if isinstance(x, dict) else x
        todo += [(c, d + 1) for c in children if isinstance(c, (dict, list))]
    return deepest


class Unreadable(Exception):
    """A message of the kernel's that the grader does not decode (over the budget, or too deep)."""


def _unpack(raw):
    """jupyter_client's JSON unpacker, refusing what nests deeper than MAX_DEPTH."""
    try:
        obj = json.loads(raw.decode("utf8", "replace") if isinstance(raw, bytes) else raw)
    except RecursionError:
        raise Unreadable("nested too deeply") from None
    if isinstance(obj, (dict, list)) and depth(obj) > MAX_DEPTH:
        raise Unreadable("nested too deeply")
    return obj


class _BoundedClient(NotebookClient):
    """nbclient's executor, keeping of each cell only what grading reads: its reports.

    Display updates, widget and comm messages are read and dropped, so a
    later cell cannot change an earlier cell's reports, and nothing grows
    with them. Printed output is counted per cell (``truncated``: past
    MAX_OUTPUT) and dropped; reports count against ``bounds``.
    """

    bounds = None   # the notebook's Bounds
    on_limit = None  # called once a limit is passed
    idle = False     # whether the running cell's last message came

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self.output_bytes, self.truncated = {}, set()

    def process_message(self, msg, cell, cell_index):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            if content.get("execution_state") == "idle":
                self.idle = True
                raise CellExecutionComplete()
            return None
        if kind not in ("display_data", "execute_result", "stream", "error"):
            return None  # updates, clear_output, comm and widget messages: not graded
        size = msg.get("wire_bytes", 0)
        data = content.get("data")
        if not (isinstance(data, dict) and MIME in data and kind != "stream"):
            used = self.output_bytes.get(cell_index, 0) + size
            self.output_bytes[cell_index] = used
            if used > MAX_OUTPUT:
                self.truncated.add(cell_index)
            return None
        self.bounds.reports += size
        if self.bounds.reports > MAX_REPORTS:
            self.on_limit("reports")
            return None
        out = {"output_type": "display_data", "data": {MIME: data[MIME]}, "metadata": {}}
        cell.outputs.append(out)
        return out


@dataclass
class CellRun:
    """How one code cell ran.

    status is ``"ok"``, ``"error"`` (it raised), ``"timeout"``, ``"crashed"``
    (the kernel died, or was ended for passing a limit: ``ename`` "Limit",
    ``evalue`` the grader's sentence) or ``"not run"``. ``outputs`` holds the
    cell's reports only, copied when it finished.
    """
    index: int
    status: str = "not run"
    outputs: list = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    truncated: bool = False
    seconds: float = 0.0


class _Kernel:
    """One kernel process (in its sandbox) and the client that drives it.

    Its work folder ``folder/w<n>`` is new and empty (but for matplotlib's
    font cache); ``folder/c<n>`` holds its connection file and IPython
    folder, shown read-only in the sandbox.
    """

    count = itertools.count(1)  # kernels started by this process, for unique names

    def __init__(self, nb, folder, seed, limits, sandboxed, bounds, mpl_cache=None):
        n = next(_Kernel.count)
        self.name = f"bplib-{os.getpid()}-{n}"
        self.workdir, conf = folder / f"w{n}", folder / f"c{n}"
        self.workdir.mkdir()
        (conf / "ipython" / "profile_default" / "startup").mkdir(parents=True)
        if mpl_cache is not None and mpl_cache.is_dir():
            shutil.copytree(mpl_cache, self.workdir / ".matplotlib")
        # The kernel's Unix sockets live in its work folder, the one folder both
        # sides see that it may write.
        self.km = _LimitedKernelManager(kernel_name="python3", transport="ipc",
                                        ip=str(self.workdir / "k"),
                                        connection_file=str(conf / "kernel.json"))
        self.km.memory_mb, self.km.file_mb = limits
        self.km.sandboxed = sandboxed
        self.client = _BoundedClient(nb, km=self.km, allow_errors=True,
                                     interrupt_on_timeout=False, iopub_timeout=2,
                                     record_timing=False)
        self.client.bounds, self.client.on_limit = bounds, self.limit_passed
        self.env, self.reply, self.bounds = scrubbed_env(self.workdir, conf, seed), None, bounds
        self.client.on_cell_executed = self._on_executed
        self.pid = self.pgid = self.watchdog = None
        self.unreadable, self.monitors = False, []

    def _on_executed(self, cell, cell_index, execute_reply):
        self.reply = execute_reply

    def _counted(self, frames, content=True, copy=True):
        """Session.deserialize, counting every message against the budget first."""
        size = sum(f.nbytes if isinstance(f, memoryview) else len(f) for f in frames)
        self.bounds.received += size
        if self.bounds.received > MAX_RECEIVED:
            self.limit_passed("output")
            raise Unreadable("over the budget")
        try:
            msg = self._deserialize(frames, content, copy)
        except Exception:
            # not signed, not JSON, too deep: a kernel that sends this is ended
            self.unreadable = True
            self.kill_group()
            raise
        msg["wire_bytes"] = size
        return msg

    def limit_passed(self, what):
        """End the kernel: the notebook passed the limit ``what`` (callable from any thread)."""
        self.bounds.passed = self.bounds.passed or what
        self.kill_group()

    async def start(self):
        if STOPPING.is_set():
            raise Stopped()
        self.km.cgroup = sandbox.make_cgroup(self.km.memory_mb, self.name)
        # No history file: it would keep the hidden tests' source on disk.
        await self.km.start_kernel(env=self.env, cwd=str(self.workdir),
                                   extra_arguments=["--HistoryManager.enabled=False"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   pass_fds=(_alive_fd(),))
        self.pid = self.km.provisioner.pid
        self.pgid = self.km.provisioner.pgid or self.pid
        LIVE.add(self)
        self.watchdog = sandbox.Watchdog(self.pid, self.km.memory_mb, self.kill_group,
                                         self.km.cgroup,
                                         self.km.file_mb if self.km.sandboxed else None)
        self.watchdog.start()
        kc = self.km.client()
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)  # before any socket is made
        kc.context.setsockopt(zmq.RCVHWM, MAX_QUEUED)
        session = kc.session  # the client's own copy
        session.unpack, self._deserialize = _unpack, session.deserialize
        session.deserialize = self._counted
        kc.start_channels()
        # A message over MAX_MESSAGE ends its channel's connection, and what follows is
        # lost: the grader watches for that, and ends the kernel.
        self.monitors = [zmq.Socket.shadow(channel.socket.get_monitor_socket(
            zmq.EVENT_DISCONNECTED).underlying) for channel in (kc.iopub_channel, kc.shell_channel)]
        self.client.kc = kc
        try:
            await kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except Exception:
            await self.kill()
            raise
        kc.allow_stdin = False

    def kill_group(self):
        """SIGKILL the kernel: its sandbox and all in it (callable from any thread)."""
        for kill, target in ((os.kill, self.pid), (os.killpg, self.pgid)):
            try:
                kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, TypeError):
                pass

    async def kill(self):
        self.kill_group()
        LIVE.discard(self)
        if self.watchdog is not None:
            self.watchdog.stop()
        try:
            if self.client.kc is not None:
                self.client.kc.stop_channels()
            await self.km.shutdown_kernel(now=True)
        except Exception:  # already gone: nothing left to stop
            pass
        for monitor in self.monitors:
            monitor.close(linger=0)
        try:
            await self.km.cleanup_resources()
        except Exception:
            pass
        sandbox.remove_cgroup(self.km.cgroup)

    def _cut(self, wait):
        """Whether a channel's connection was ended (by a message over MAX_MESSAGE)."""
        return any(m.poll(wait * 1000) for m in self.monitors)

    async def _cut_alive(self, wait):
        """Whether a live kernel's connection was cut (a dead one's always is)."""
        return self._cut(wait) and self.km.provisioner is not None and await self.km.is_alive()

    def _limit(self):
        """The limit this kernel was ended for, or ''."""
        if self.bounds.passed:
            return self.bounds.passed
        if self.unreadable:
            return "message"
        if not self.watchdog.fired and sandbox.oom_kills(self.km.cgroup):
            self.watchdog.fired = "memory"
        return self.watchdog.fired

    async def run(self, cell, index, timeout):
        """Execute one cell; returns (status, ename, evalue)."""
        self.reply, self.client.idle = None, False
        fired = threading.Event()

        def watchdog():
            fired.set()
            self.kill_group()

        timer = threading.Timer(timeout + GRACE, watchdog)
        timer.daemon = True
        self.client.timeout = max(1, int(round(timeout)))
        timer.start()
        try:
            await asyncio.wait_for(self.client.async_execute_cell(cell, index),
                                   timeout + 2 * GRACE)
        except Exception as e:  # timed out, the kernel died, or what it sent was refused
            # A limit that ended the kernel decides, not which of the grader's
            # checks noticed first: the verdict must not depend on the machine's speed.
            limit = self._limit()
            if limit:
                return "crashed", "Limit", _LIMIT_PASSED[limit]
            if fired.is_set():
                return "timeout", "", ""
            if isinstance(e, (CellTimeoutError, asyncio.TimeoutError)):
                if await self._cut_alive(0):  # the reply was lost with its connection
                    return "crashed", "Limit", _LIMIT_PASSED["message"]
                alive = self.km.provisioner is not None and await self.km.is_alive()
                return ("timeout" if alive else "crashed"), "", ""
            # the grader's own name of what went wrong, for the instructor
            return "crashed", "" if isinstance(e, DeadKernelError) else type(e).__name__, ""
        finally:
            timer.cancel()
        # no "idle" came: it may have been lost with a cut connection, which the
        # grader's I/O thread reports soon after
        if await self._cut_alive(0 if self.client.idle else 5):
            self.unreadable = True
            return "crashed", "Limit", _LIMIT_PASSED["message"]
        content = (self.reply or {}).get("content", {})
        if content.get("status") == "error":
            return ("error", str(content.get("ename", ""))[:200],
                    str(content.get("evalue", ""))[:2000])
        return "ok", "", ""


_LIMIT_PASSED = {
    "memory": "the kernel and its processes used more memory than allowed",
    "processes": "the kernel started too many processes",
    "output": f"the notebook sent more than {MAX_RECEIVED // 2**20} MB of output and messages",
    "reports": f"the notebook reported more than {MAX_REPORTS // 2**20} MB of results",
    "message": f"the kernel sent a message the grader does not read (over "
               f"{MAX_MESSAGE // 2**20} MB, or too deeply nested)",
    "start": "the kernel did not start",
    "cells": f"the notebook has more than {MAX_CELLS} code cells",
}
# Limits of the whole notebook: past one, no more cells run.
NOTEBOOK_LIMITS = ("output", "reports", "cells")


async def _start_and_replay(new_kernel, nb, earlier, fatal, timeout, deadline, replayable):
    """A new kernel that has run again the earlier cells that define things.

    A cell that times out or crashes again is added to ``fatal`` and the
    replay starts over without it. The replay counts against the
    notebook's deadline: past it, the kernel is returned as far as it got,
    or None when it would have to start again.

    Raises
    ------
    Unstarted
        When the kernel does not start.
    """
    while True:
        if time.monotonic() >= deadline:
            return None
        kernel = new_kernel()
        try:
            await kernel.start()
        except Stopped:
            raise
        except Exception:
            raise Unstarted() from None
        for before in earlier:
            cell = nb.cells[before.index]
            if before.index in fatal or not cell.source.strip() or not replayable(cell):
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return kernel
            graded_outputs = cell.outputs  # the first run's outputs are the ones that count
            status, _, _ = await kernel.run(cell, before.index, min(timeout, max(1.0, left)))
            cell.outputs = graded_outputs
            if kernel.bounds.passed:
                return kernel
            if status in ("timeout", "crashed"):
                fatal.add(before.index)
                await kernel.kill()
                break
        else:
            return kernel


class Unstarted(Exception):
    """A kernel did not start (the grader's own folders are fresh: the cell is at fault or the
    machine)."""


def run_sync(coroutine):
    """Run a coroutine to its end from synchronous code.

    Also where an event loop already runs in this thread (a notebook, or a test
    session that drives a browser): then in a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def run_notebook(nb, folder, seed, timeout, deadline, limits=(4096, 200), sandboxed=True,
                       replayable=lambda cell: True, mpl_cache=None):
    """Run every code cell of ``nb``, each kernel in a fresh folder; never raises for the cells.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Executed in place (only reports are kept as outputs).
    folder : pathlib.Path
        A private folder of the grader's, where each kernel gets its own folders.
    seed : int
        The hidden tests' seed, in the kernel's environment.
    timeout : float
        Seconds per cell.
    deadline : float
        ``time.monotonic()`` after which no more cells start, replays included.
    limits : (int, int)
        Memory of the kernel and all its processes together, and the largest
        file it may write, in MiB (0 memory = no limit).
    sandboxed : bool
        Run the kernel in bubblewrap (False only when the instructor said so).
    replayable : callable
        ``replayable(cell)``: whether a cell is run again after a restart.
    mpl_cache : pathlib.Path, optional
        A matplotlib folder (its font cache) copied into each work folder.

    Returns
    -------
    list of CellRun
        One per code cell, in order; ``ename`` "Limit" where a limit was passed.
    """
    runs = [CellRun(i) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    kernel, restarts, fatal, bounds = None, 0, set(), Bounds()
    try:
        for k, run in enumerate(runs):
            cell = nb.cells[run.index]
            if STOPPING.is_set():
                raise Stopped()
            if k >= MAX_CELLS:
                bounds.passed = bounds.passed or "cells"
            if bounds.passed in NOTEBOOK_LIMITS:
                run.ename, run.evalue = "Limit", f"not run: {_LIMIT_PASSED[bounds.passed]}"
                continue
            if not cell.source.strip():
                run.status = "ok"
                continue
            if time.monotonic() >= deadline:
                run.ename, run.evalue = "TimeLimit", "the notebook ran out of time"
                continue
            if kernel is None:
                if restarts > MAX_RESTARTS:
                    run.ename, run.evalue = "KernelDied", "the kernel died too often"
                    continue
                restarts += 1
                try:
                    kernel = await _start_and_replay(
                        lambda: _Kernel(nb, folder, seed, limits, sandboxed, bounds, mpl_cache),
                        nb, runs[:k] if restarts > 1 else [], fatal, timeout, deadline,
                        replayable)
                except Unstarted:
                    run.status, run.ename, run.evalue = "crashed", "Limit", _LIMIT_PASSED["start"]
                    fatal.add(run.index)
                    continue
                if bounds.passed in NOTEBOOK_LIMITS:
                    run.ename, run.evalue = "Limit", f"not run: {_LIMIT_PASSED[bounds.passed]}"
                    continue
                if kernel is None or time.monotonic() >= deadline:
                    run.ename, run.evalue = "TimeLimit", "the notebook ran out of time"
                    continue
            started = time.monotonic()
            run.status, run.ename, run.evalue = await kernel.run(
                cell, run.index, min(timeout, max(1.0, deadline - time.monotonic())))
            run.seconds = time.monotonic() - started
            # a copy, fixed now: nothing the kernel sends later changes this cell's verdict
            run.outputs = copy.deepcopy(list(cell.outputs))
            run.truncated = run.index in kernel.client.truncated
            if run.status in ("timeout", "crashed"):
                fatal.add(run.index)
                await kernel.kill()
                kernel = None
    finally:
        if kernel is not None:
            await kernel.kill()
    return runs
