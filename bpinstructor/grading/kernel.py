"""Run a notebook in a fresh kernel with hard limits.

Each run gets its own kernel, in its own sandbox (see ``sandbox``), in a
folder that holds nothing of the notebook's, with a scrubbed environment and
resource limits. A cell that runs past its timeout, or kills its kernel
(``os._exit``, a segfault, running out of memory), is marked and the run
goes on: the sandbox is killed, a new kernel starts, the earlier cells that
define things are run again (their outputs discarded) and the next cell
runs. A timer kills the sandbox if the kernel ignores everything else (e.g.
a loop that swallows KeyboardInterrupt), so nothing can hang the grader.
"""
import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from bpcourse.report import MIME, SEED_VARIABLE

from . import sandbox

GRACE = 5.0             # seconds the watchdog waits beyond a cell's timeout
MAX_RESTARTS = 3        # kernels started again per notebook before giving up
MAX_OUTPUT = 2_000_000  # bytes of output kept per cell
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
# (if it may not, the watchdog alone holds the limit).
_LAUNCH = (
    "import os, resource, sys\n"
    "mem, fsize = (int(v) * 2**20 for v in sys.argv[1:3])\n"
    "if mem: resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "try:\n"
    "    if sys.argv[3]: open(sys.argv[3], 'w').write(str(os.getpid()))\n"
    "except OSError: pass\n"
    "os.execv(sys.argv[4], sys.argv[4:])\n"
)


def scrubbed_env(workdir, seed):
    """The whole environment a graded kernel gets.

    Only what Python and the kernel need to start: the grader's own
    variables (paths, tokens, the location of the solutions) never reach
    the student's code.
    """
    return {
        "PATH": os.defpath + os.pathsep + os.path.dirname(sys.executable),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "HOME": str(workdir), "TMPDIR": "/tmp",
        "IPYTHONDIR": str(workdir / ".ipython"), "MPLCONFIGDIR": str(workdir / ".matplotlib"),
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
            workdir = Path(self.connection_file).parent
            cmd = sandbox.command(workdir, self.file_mb) + cmd
        procs = str(self.cgroup / "cgroup.procs") if self.cgroup else ""
        return [sys.executable, "-c", _LAUNCH, str(self.memory_mb), str(self.file_mb),
                procs] + cmd


class _CappedClient(NotebookClient):
    """nbclient's executor, keeping at most MAX_OUTPUT bytes of output per cell.

    Reports have their own allowance, so a flood of printing cannot push
    them out.
    """

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self.output_bytes, self.truncated = {}, set()

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        size = sum(len(v) if isinstance(v, str) else len(json.dumps(v, default=str))
                   for v in content.values())
        key = (cell_index, MIME in content.get("data", {}))
        used = self.output_bytes.get(key, 0) + size
        self.output_bytes[key] = used
        if used > MAX_OUTPUT * (5 if key[1] else 1):
            self.truncated.add(cell_index)
            return None
        return super().output(outs, msg, display_id, cell_index)


@dataclass
class CellRun:
    """How one code cell ran.

    status is ``"ok"``, ``"error"`` (it raised), ``"timeout"``, ``"crashed"``
    (the kernel died) or ``"not run"``.
    """
    index: int
    status: str = "not run"
    outputs: list = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    truncated: bool = False
    seconds: float = 0.0


class _Kernel:
    """One kernel process (in its sandbox) and the client that drives it."""

    count = itertools.count(1)  # kernels started by this process, for unique cgroup names

    def __init__(self, nb, workdir, env, limits, sandboxed):
        # The connection file (the kernel's key) and the kernel's Unix sockets
        # live in the kernel's own folder, the one folder both sides see.
        self.km = _LimitedKernelManager(kernel_name="python3", transport="ipc",
                                        ip=str(workdir / "k"),
                                        connection_file=str(workdir / ".kernel.json"))
        self.km.memory_mb, self.km.file_mb = limits
        self.km.sandboxed = sandboxed
        self.client = _CappedClient(nb, km=self.km, allow_errors=True,
                                    interrupt_on_timeout=False, iopub_timeout=2,
                                    record_timing=False)
        self.workdir, self.env, self.reply = workdir, env, None
        self.client.on_cell_executed = self._on_executed
        self.pid = self.pgid = self.watchdog = None

    def _on_executed(self, cell, cell_index, execute_reply):
        self.reply = execute_reply

    async def start(self):
        if STOPPING.is_set():
            raise Stopped()
        self.km.cgroup = sandbox.make_cgroup(self.km.memory_mb,
                                             f"bplib-{os.getpid()}-{next(_Kernel.count)}")
        # No history file: it would keep the hidden tests' source on disk.
        await self.km.start_kernel(env=self.env, cwd=str(self.workdir),
                                   extra_arguments=["--HistoryManager.enabled=False"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.km.provisioner.pid
        self.pgid = self.km.provisioner.pgid or self.pid
        LIVE.add(self)
        self.watchdog = sandbox.Watchdog(self.pid, self.km.memory_mb, self.kill_group,
                                         self.km.cgroup)
        self.watchdog.start()
        kc = self.km.client()
        kc.start_channels()
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
        try:
            await self.km.cleanup_resources()
        except Exception:
            pass
        sandbox.remove_cgroup(self.km.cgroup)

    async def run(self, cell, index, timeout):
        """Execute one cell; returns (status, ename, evalue)."""
        self.reply = None
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
        except (CellTimeoutError, asyncio.TimeoutError):
            return "timeout", "", ""
        except DeadKernelError:
            if not self.watchdog.fired and sandbox.oom_kills(self.km.cgroup):
                self.watchdog.fired = "memory"
            if self.watchdog.fired:
                return "crashed", "Limit", _LIMIT_PASSED[self.watchdog.fired]
            return ("timeout" if fired.is_set() else "crashed"), "", ""
        finally:
            timer.cancel()
        content = (self.reply or {}).get("content", {})
        if content.get("status") == "error":
            return "error", str(content.get("ename", "")), str(content.get("evalue", ""))
        return "ok", "", ""


_LIMIT_PASSED = {"memory": "the kernel and its processes used more memory than allowed",
                 "processes": "the kernel started too many processes"}


async def _start_and_replay(new_kernel, nb, earlier, fatal, timeout, deadline, replayable):
    """A new kernel that has run again the earlier cells that define things.

    A cell that times out or crashes again is added to ``fatal`` and the
    replay starts over without it. The replay counts against the
    notebook's deadline: past it, the kernel is returned as far as it got,
    or None when it would have to start again.
    """
    while True:
        if time.monotonic() >= deadline:
            return None
        kernel = new_kernel()
        await kernel.start()
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
            if status in ("timeout", "crashed"):
                fatal.add(before.index)
                await kernel.kill()
                break
        else:
            return kernel


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


async def run_notebook(nb, workdir, env, timeout, deadline, limits=(4096, 200), sandboxed=True,
                       replayable=lambda cell: True):
    """Run every code cell of ``nb`` in ``workdir``; never raises for the cells.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Executed in place (outputs are filled in).
    workdir : pathlib.Path
        The kernel's working folder.
    env : dict
        The kernel's whole environment.
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

    Returns
    -------
    list of CellRun
        One per code cell, in order.
    """
    runs = [CellRun(i) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    kernel, restarts, fatal = None, 0, set()
    try:
        for k, run in enumerate(runs):
            cell = nb.cells[run.index]
            if STOPPING.is_set():
                raise Stopped()
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
                kernel = await _start_and_replay(
                    lambda: _Kernel(nb, workdir, env, limits, sandboxed), nb,
                    runs[:k] if restarts else [], fatal, timeout, deadline, replayable)
                restarts += 1
                if kernel is None or time.monotonic() >= deadline:
                    run.ename, run.evalue = "TimeLimit", "the notebook ran out of time"
                    continue
            started = time.monotonic()
            run.status, run.ename, run.evalue = await kernel.run(
                cell, run.index, min(timeout, max(1.0, deadline - time.monotonic())))
            run.seconds = time.monotonic() - started
            run.outputs = list(cell.outputs)
            run.truncated = run.index in kernel.client.truncated
            if run.status in ("timeout", "crashed"):
                fatal.add(run.index)
                await kernel.kill()
                kernel = None
    finally:
        if kernel is not None:
            await kernel.kill()
    return runs
