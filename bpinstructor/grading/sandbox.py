"""Where a student's kernel runs: bubblewrap, a well-kept sandbox, not rules of our own.

Each kernel gets new user, PID, mount, network, IPC and UTS namespaces
(``bwrap --unshare-all``). It sees the system's programs and libraries, a
few files of ``/etc``, the Python installation and the course's own
packages read-only, its work folder read-write and a private ``/tmp``,
and nothing else: not the solutions, not the other students, not the
gradebook, not ``/proc`` of the grader. It talks to the grader over Unix
sockets in its work folder (no network needed). When the grader dies, or
the sandbox's first process is killed, every process inside dies with the
PID namespace.

Memory is limited for the kernel and all its children together: by a
cgroup when the grader may make one, and always by a watchdog that sums
what the sandbox holds in memory (the resident memory of its processes,
what its tmpfs folders and memfds hold) and kills the sandbox past the
limit. ``/dev`` is read-only and ``/dev/shm`` small, so no tmpfs of
half the machine's memory is left to fill.
"""
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

# Packages the kernel imports besides those of the Python installation; with
# an editable install their folders sit in the project, next to solutions/,
# so each package folder is shown alone.
PACKAGES = ("bplib", "bpcourse")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
# Of /etc, only what programs need to start and find their files: not the
# whole folder, where keys and password hashes live.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "passwd",
       "group", "nsswitch.conf", "hosts", "host.conf", "mime.types", "fonts", "ssl/certs",
       "ca-certificates", "os-release", "matplotlibrc", "jupyter", "ipython")
UID = 65534           # the kernel's user inside its namespace ("nobody")
MAX_PROCESSES = 256   # processes a sandbox may hold at once
SHM_MB = 16           # size of the sandbox's /dev/shm (POSIX shared memory, semaphores)
TMPFS = ("tmp", "dev/shm")  # the sandbox's memory-backed folders, counted by the watchdog
POLL = 0.2            # seconds between the watchdog's looks

UNPROTECTED = (
    "student code runs WITHOUT a sandbox (--no-sandbox): it can read every file this "
    "user can read (the solutions, other students' notebooks, the gradebook), write "
    "where this user can write, use the network, see and signal the grader's other "
    "processes, and leave processes running after its kernel is gone; memory is "
    "watched only for the kernel and the children it keeps.")


class NoSandbox(RuntimeError):
    """bubblewrap is missing or cannot make namespaces on this machine."""


def bwrap_path():
    """The bwrap executable (``BPLIB_BWRAP`` overrides the one on PATH), or None."""
    return os.environ.get("BPLIB_BWRAP") or shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def _supports(option):
    """Whether this bwrap knows ``option`` (older ones lack --disable-userns and --size)."""
    try:
        done = subprocess.run([bwrap_path(), "--help"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in done.stdout + done.stderr


def _visible():
    """Read-only folders of the sandbox: the system, Python, its packages."""
    paths = {Path(p) for p in SYSTEM}
    paths |= {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                sys.base_exec_prefix)}
    paths.add(Path(sys.executable).resolve().parent.parent)
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in spec.submodule_search_locations or []:
            paths.add(Path(folder))
    out = []
    for p in sorted(paths, key=lambda p: len(p.parts)):
        if p.exists() and not any(q in p.parents for q in out):
            out.append(p)
    return out


def command(workdir, tmp_mb, conf=None):
    """The bwrap arguments that run a command in a sandbox around ``workdir``.

    The command gets bwrap's environment, less the grader's pid (inside
    the PID namespace that pid means nothing, and ipykernel would take
    its absence for the grader's death).

    Parameters
    ----------
    workdir : pathlib.Path
        The only folder the kernel may write, shown at the same path.
    tmp_mb : int
        Size of the private /tmp, in MiB.
    conf : pathlib.Path, optional
        Shown read-only at the same path (the connection file, IPython's folder).

    Returns
    -------
    list of str
        To be followed by the command to run.
    """
    cmd = [bwrap_path(), "--unshare-all", "--unshare-user", "--die-with-parent",
           "--new-session", "--uid", str(UID), "--gid", str(UID), "--unsetenv", "JPY_PARENT_PID"]
    if _supports("--disable-userns"):  # bubblewrap >= 0.8
        cmd.append("--disable-userns")
    # The private /tmp first: a Python environment or the project may live under
    # /tmp (a fresh clone in CI), and is then shown on top of it.
    sized = _supports("--size")
    if sized:
        cmd += ["--size", str(tmp_mb * 2**20)]
    cmd += ["--tmpfs", "/tmp"]
    for path in _visible():
        cmd += ["--ro-bind", str(path), str(path)]
    for name in ETC:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # bwrap's /dev is a tmpfs of half the machine's memory that the kernel may
    # write: read-only, with a small /dev/shm (none where tmpfs cannot be sized)
    cmd += ["--dev", "/dev"]
    if sized:
        cmd += ["--size", str(SHM_MB * 2**20), "--tmpfs", "/dev/shm"]
    cmd += ["--remount-ro", "/dev", "--proc", "/proc"]
    if conf is not None:
        cmd += ["--ro-bind", str(conf), str(conf)]
    cmd += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--"]
    return cmd


def probe():
    """Check that a kernel can start in the sandbox here.

    Raises
    ------
    NoSandbox
        Saying why not (no bwrap, no user namespaces, Python not visible).
    """
    if not bwrap_path() or not os.access(bwrap_path(), os.X_OK):
        raise NoSandbox("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, "
                        "or set BPLIB_BWRAP to its path")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        cmd = command(Path(folder), 16) + [sys.executable, "-c",
                                           "import ipykernel, bpcourse.report"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                  env={"PATH": os.defpath, "PYTHONSAFEPATH": "1"})
        except (OSError, subprocess.SubprocessError) as e:
            raise NoSandbox(f"bwrap could not start: {e}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise NoSandbox(f"bwrap could not start a Python kernel here ({why}); user namespaces "
                        "may be turned off (e.g. by a container's seccomp profile)")


CGROUPS = set()  # made by this process and not yet removed


def _cgroup_parents():
    """[(folder, limit files)]: where make_cgroup may make a cgroup, v2 then v1."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            parent = Path("/sys/fs/cgroup") / path.lstrip("/")
            try:  # a real cgroup v2 folder, whose children may have a memory limit
                if "memory" in (parent / "cgroup.subtree_control").read_text().split():
                    found.insert(0, (parent, ("memory.max", "memory.swap.max")))
            except OSError:
                pass
        elif "memory" in controllers.split(","):
            parent = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            if (parent / "memory.limit_in_bytes").exists():
                found.append((parent, ("memory.limit_in_bytes",)))
    return found


def make_cgroup(memory_mb, name):
    """A memory cgroup limited to ``memory_mb``, or None when none can be made here.

    Tries cgroup v2 (a child of the grader's own cgroup with ``memory.max``)
    and v1 (``memory.limit_in_bytes``).
    """
    if not memory_mb:
        return None
    for parent, files in _cgroup_parents():
        folder = parent / name
        try:
            folder.mkdir()
        except OSError:
            continue
        CGROUPS.add(folder)
        try:
            (folder / files[0]).write_text(str(memory_mb * 2**20))
            for extra in files[1:]:  # no swap: the limit is the limit
                if (folder / extra).exists():
                    (folder / extra).write_text("0")
            return folder
        except OSError:
            remove_cgroup(folder)
    return None


def remove_cgroup(folder, wait=2.0):
    """Remove a cgroup once its processes are gone (waits up to ``wait`` seconds)."""
    if folder is None:
        return
    for _ in range(int(wait / 0.1) + 1):
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            time.sleep(0.1)
            continue
        CGROUPS.discard(folder)
        return


def remove_cgroups():
    """Remove the cgroups this process made that are still there, and those of
    earlier runs that were killed before they could."""
    for folder in list(CGROUPS):
        remove_cgroup(folder, wait=10)
    for parent, _ in _cgroup_parents():
        for old in parent.glob("bplib-*-*"):
            try:
                os.kill(int(old.name.split("-")[1]), 0)
            except ProcessLookupError:
                remove_cgroup(old, wait=0)
            except (ValueError, OSError):
                continue


def _tree(pid):
    """pid and every process below it."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _held(pids, sizes):
    """Bytes the sandbox holds outside its processes' resident memory.

    What its tmpfs folders hold, read through ``/proc/<pid>/root`` of a
    process inside (their full size where that cannot be read), and the
    memfds its processes keep open. Pages both mapped and in a file count
    twice: too much rather than too little.

    Parameters
    ----------
    pids : list of int
        The sandbox's processes, its first (outside) process first.
    sizes : dict
        Folder of TMPFS -> its size in bytes; empty without a sandbox.
    """
    held = _memfds(pids)
    if len(pids) < 2:
        return held
    for folder, size in sizes.items():
        try:
            st = os.statvfs(f"/proc/{pids[-1]}/root/{folder}")
        except OSError:
            held += size
            continue
        # a larger file system is not the sandbox's (one still being set up)
        if st.f_blocks * st.f_frsize <= size:
            held += (st.f_blocks - st.f_bfree) * st.f_frsize
    return held


def _memfds(pids):
    """Bytes in the memfds that ``pids`` hold open, each counted once."""
    total, seen = 0, set()
    for p in pids:
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{p}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def oom_kills(cgroup):
    """How many processes the kernel's OOM killer ended in ``cgroup`` (0 without one)."""
    for name in ("memory.events", "memory.oom_control"):
        try:
            for line in (cgroup / name).read_text().splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, TypeError, ValueError):
            continue
    return 0


class Watchdog(threading.Thread):
    """Kill a sandbox that holds too much memory or too many processes.

    Memory is the resident memory of all its processes, what its tmpfs
    folders hold and its open memfds, so the limit holds without a cgroup.

    With a cgroup, the kernel's OOM killer holds the limit and ends one
    process; the watchdog then ends the whole sandbox, so that passing the
    limit means the same with or without a cgroup.

    Parameters
    ----------
    pid : int
        The sandbox's first process (everything in it lies below it).
    memory_mb : int
        Resident memory allowed for all of them (0: no limit).
    kill : callable
        Called once, from this thread, when a limit is passed.
    cgroup : pathlib.Path or None
        The sandbox's memory cgroup.
    tmp_mb : int or None
        Size of its /tmp (None: no sandbox, no tmpfs of its own).
    """

    def __init__(self, pid, memory_mb, kill, cgroup=None, tmp_mb=None):
        super().__init__(daemon=True)
        self.pid, self.limit, self.kill, self.cgroup = pid, memory_mb * 2**20, kill, cgroup
        self.sizes = {} if tmp_mb is None else dict(zip(TMPFS, (tmp_mb * 2**20, SHM_MB * 2**20)))
        self.fired = ""  # what was passed, once it was
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(POLL):
            pids = _tree(self.pid)
            if len(pids) <= 1 and not os.path.exists(f"/proc/{self.pid}"):
                return
            if len(pids) > MAX_PROCESSES:
                self.fired = "processes"
            elif self.limit and (oom_kills(self.cgroup) or sum(_rss(p) for p in pids)
                                 + _held(pids, self.sizes) > self.limit):
                self.fired = "memory"
            if self.fired:
                self.kill()
                return

    def stop(self):
        self.done.set()
