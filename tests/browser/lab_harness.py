"""A real JupyterLab in headless Chromium, for the browser tests and the benchmark.

``LabServer`` starts JupyterLab on 127.0.0.1 with a random token, serving a
copy of ``notebooks/`` and ``solutions/`` (without their saved widget state,
so the widgets are the library's as it is now) from a temporary folder in which
HOME and every Jupyter, IPython and matplotlib folder also live, with
autosave off: nothing the browser does reaches the repository or the user's
home. ``launch_chromium`` starts Debian's ``/usr/bin/chromium`` through the
Python playwright package; ``NotebookPage`` drives one notebook tab in it and
``Workbook`` runs each notebook once, in one JupyterLab page.

Use::

    with LabServer() as lab, sync_playwright() as pw:
        book = Workbook(launch_chromium(pw), lab, notebook_paths())
        nb = book.run("notebooks/01_start_here.ipynb")   # opened, all cells run
        assert not nb.problems()
        nb.screenshot()
        book.close()
"""
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BPLIB_CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = "install chromium: sudo apt-get install chromium, or run .ci/install-browser"

# The widgets of bplib.widgets, by the CSS class of their top container.
WIDGET_KINDS = ("bplib-answer", "bplib-chain-stepper", "bplib-network-explorer",
                "bplib-jacobian-explorer", "bplib-playground", "bplib-graph")
FEEDBACK = ".bplib-feedback"
# Generous: on CI the two cores are shared with the other test workers.
TIMEOUT_MS = int(os.environ.get("BPLIB_BROWSER_TIMEOUT", "120")) * 1000
STOP_ON_ERROR_SECONDS = 2.0  # requests after an error that a kernel still drops

CI = os.environ.get("CI", "").lower() == "true"
# axe-core, Deque's accessibility rules engine, as .ci/install-axe installs it from npm.
AXE = Path(os.environ.get("BPLIB_AXE", REPO / ".node/node_modules/axe-core/axe.min.js"))
THEMES = ("JupyterLab Light", "JupyterLab Dark")
# The student notebooks; BPLIB_NOTEBOOKS points elsewhere, e.g. at solutions/.
NOTEBOOK_DIR = Path(os.environ.get("BPLIB_NOTEBOOKS", REPO / "notebooks")).resolve()
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
DEMO = "demo/widgets.ipynb"   # served only while notebooks/ is empty
BROKEN = "checks/broken.ipynb"  # fails on purpose: the error check must see it

# Without these Chromium keeps trying to reach Google's servers, which on a
# machine without network costs seconds of retries per page.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
    # element.computedRole and element.computedName: the role and name a screen reader gets
    "--enable-blink-features=ComputedAccessibilityInfo",
]

# User settings of the temporary JupyterLab: no autosave (a test must never
# write over a notebook), every cell in the DOM (the default windowing keeps
# cells out of view off the page, where neither a check nor a screenshot sees
# them), and no news or update checks (no network, no toasts over the cells).
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "checkForUpdates": False, "fetchNews": "false", "doNotDisturbMode": True},
}


def artifacts_dir():
    """Where screenshots and logs go: ``$BPLIB_ARTIFACTS/browser`` (default ``artifacts/``)."""
    root = Path(os.environ.get("BPLIB_ARTIFACTS", REPO / "artifacts"))
    path = root / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def missing_browser():
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the Python package playwright is missing (pip install -e '.[test]'); {INSTALL_HINT}"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing; {INSTALL_HINT}"
    return None


def cannot_run(reason):
    """Fail under CI=true, skip elsewhere: a skipped test is not a passing one."""
    import pytest

    if CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def notebook_paths():
    """The served paths of the notebooks to run: every student notebook, or the demo."""
    if NOTEBOOKS:
        return [f"notebooks/{name}" for name in NOTEBOOKS]
    return [DEMO]


def demo_notebook():
    """One widget of each kind, for working on the tests before notebooks/ is generated."""
    import nbformat

    cells = ["import bplib.widgets as widgets", "widgets.chain_rule_answer()",
             "widgets.ChainStepper()", "widgets.NetworkExplorer()", "widgets.JacobianExplorer()",
             "widgets.Playground()"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


def broken_notebook():
    """A notebook that fails on purpose, to show the run catches what it must."""
    import nbformat

    ok = nbformat.v4.new_code_cell("print('first cell')")
    expected = nbformat.v4.new_code_cell("int('one')")
    expected.metadata["tags"] = ["raises-exception"]
    error = nbformat.v4.new_code_cell("1 / 0")
    after = nbformat.v4.new_code_cell("print('never reached')")
    nb = nbformat.v4.new_notebook(cells=[ok, expected, error, after])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    return nb


def launch_chromium(playwright):
    """Debian's chromium through playwright (``playwright install`` cannot download one here)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _drop_widget_state(folder):
    """Remove the widget state saved in the notebooks of ``folder``.

    A notebook opened draws its saved widgets, and with them the style sheet of
    bplib's widgets as it was when the notebook was saved: one style sheet for the
    whole page, which would then stand for the one of the library under test.
    """
    for path in Path(folder).rglob("*.ipynb"):
        nb = json.loads(path.read_text())
        if nb.get("metadata", {}).pop("widgets", None) is not None:
            path.write_text(json.dumps(nb, indent=1))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on 127.0.0.1 serving a temporary copy of the workbook.

    Parameters
    ----------
    folders : dict of str to Path
        Folders copied into the served root, by the name they get there.
    extra : dict of str to dict, optional
        More notebooks to write into the served root: relative path -> notebook JSON.
    """

    def __init__(self, folders=None, extra=None):
        if folders is None:
            folders = {"notebooks": NOTEBOOK_DIR, "solutions": REPO / "solutions"}
        self.folders = folders
        self.extra = extra or {}
        self.token = secrets.token_hex(24)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = None
        self.proc = None

    # -- life cycle ---------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=90):
        self.tmp = Path(tempfile.mkdtemp(prefix="bplib-lab-"))
        self.root = self.tmp / "work"
        self.root.mkdir()
        for name, source in self.folders.items():
            if Path(source).is_dir():
                shutil.copytree(source, self.root / name,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
                _drop_widget_state(self.root / name)
        for rel, nb in self.extra.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(nb, indent=1))

        env = dict(os.environ)
        for var, sub in [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "config"),
                         ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib"),
                         ("JUPYTERLAB_SETTINGS_DIR", "config/lab/user-settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "config/lab/workspaces")]:
            env[var] = str(self.tmp / sub)
            (self.tmp / sub).mkdir(parents=True, exist_ok=True)
        # The kernel imports bplib from the repository (editable install):
        # no bytecode files may land there.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("JUPYTER_PATH", None)
        for plugin, values in USER_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

        # Run all sends every cell at once and leaves it to the kernel to drop the
        # requests queued behind an error; with ipykernel's default window of 0 s a
        # request that reaches it a moment late still runs, on busy cores it does.
        profile = Path(env["IPYTHONDIR"]) / "profile_default"
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "ipython_kernel_config.py").write_text(
            f"c.IPythonKernel.stop_on_error_timeout = {STOP_ON_ERROR_SECONDS}\n")

        self.log_path = self.tmp / "jupyterlab.log"
        # The free port may be taken by another program before JupyterLab binds it
        # (other tests run on the machine too): then try again on another port.
        for _ in range(3):
            if self._launch(env, timeout):
                return
            self.port = _free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("JupyterLab found no free port:\n" + self.log_tail())

    def _launch(self, env, timeout):
        """Start JupyterLab on ``self.port``; False when the port turned out to be taken."""
        self._log = open(self.log_path, "wb")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
               "--LabApp.expose_app_in_browser=True"]
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                if "already in use" in self.log_tail():
                    self.proc = None
                    return False
                raise RuntimeError(f"JupyterLab exited with code {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                self.api("GET", "/api/status")
                return True
            except (urllib.error.URLError, http.client.HTTPException, OSError):
                # not up yet, or another program answers on the port until Lab fails to bind
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n" + self.log_tail())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.api("POST", "/api/shutdown")
                self.proc.wait(timeout=15)
            except Exception:  # noqa: BLE001 - fall back to a signal, then to a kill
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        if self.proc is not None:
            self._log.close()
            try:  # kept for CI logs, without the token
                text = self.log_path.read_text(errors="replace").replace(self.token, "<token>")
                (artifacts_dir() / "jupyterlab.log").write_text(text)
            except OSError:
                pass
            self.proc = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # -- helpers ------------------------------------------------------------

    def api(self, method, path, timeout=5):
        """Call the server's REST API with the token; returns the decoded JSON (or None)."""
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def lab_url(self, path):
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


# JavaScript run in the page. `nb()` is the notebook panel the test opened.
_JS_PANEL = """
const nb = () => {
  const app = window.jupyterapp;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === PATH) return w;
  }
  return null;
};
"""

_JS_CELLS = _JS_PANEL + """
const panel = nb();
return panel.content.widgets.map((cell, i) => {
  const m = cell.model;
  const tags = (m.getMetadata && m.getMetadata('tags')) || [];
  const out = m.type === 'code' ? m.outputs.toJSON() : [];
  return {
    index: i, type: m.type, tags: tags,
    count: m.type === 'code' ? m.executionCount : null,
    source: m.sharedModel.getSource().slice(0, 200),
    errors: out.filter(o => o.output_type === 'error')
               .map(o => o.ename + ': ' + o.evalue),
    domErrors: Array.from(cell.node.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(e => e.innerText).filter(t => t.includes('Traceback'))
      .map(t => t.slice(0, 400)),
    widgetErrors: Array.from(cell.node.querySelectorAll('.jupyter-widgets, .jp-OutputArea-output'))
      .map(e => e.innerText).filter(t => /Error displaying widget|Error rendering widget/.test(t))
      .map(t => t.slice(0, 200)),
  };
});
"""


def _js(body, path):
    """A page function around ``body`` with PATH bound to the notebook's path."""
    return "(arg) => { const PATH = " + json.dumps(path) + ";\n" + body + "\n}"


def _js_async(body, path):
    return "async (arg) => { const PATH = " + json.dumps(path) + ";\n" + body + "\n}"


def open_lab(browser, lab, path, timeout=TIMEOUT_MS, scale=1):
    """A new page with JupyterLab at ``/lab/tree/<path>``, once the app has started.

    ``scale`` is the screen's pixel density (window.devicePixelRatio).
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=scale)
    page.set_default_timeout(timeout)
    page.goto(lab.lab_url(path))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.evaluate("() => window.jupyterapp.restored")
    # The file browser only takes width from the notebook in the screenshots.
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    return page


def set_theme(page, theme, timeout=TIMEOUT_MS):
    """Switch the JupyterLab of ``page`` to ``theme`` (one of ``THEMES``) and wait until it shows.

    The theme is a user setting, written to the temporary settings folder.
    """
    page.evaluate("""theme => window.jupyterapp.commands.execute('apputils:change-theme',
                                                                   {theme})""", theme)
    # The body names the theme once its style sheet has loaded.
    page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=theme,
                           timeout=timeout)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


class NotebookPage:
    """One notebook opened in a JupyterLab page (several may share the page, one tab each).

    Attributes
    ----------
    page : playwright.sync_api.Page
    path : str
        The notebook's path relative to the served root, e.g. ``"notebooks/01_recap.ipynb"``.
    """

    def __init__(self, page, lab, path):
        self.page = page
        self.lab = lab
        self.path = path

    @classmethod
    def open(cls, page, lab, path, timeout=TIMEOUT_MS):
        """Open ``path`` in the JupyterLab of ``page`` (a tab, unless it is open) and start its kernel."""
        self = cls(page, lab, path)
        page.evaluate(_js_async(_JS_PANEL + """
          if (!nb()) await window.jupyterapp.commands.execute(
              'docmanager:open', {path: PATH, factory: 'Notebook'});""", path))
        page.wait_for_function(_js(_JS_PANEL + "return nb() !== null;", path))
        page.evaluate(_js_async(_JS_PANEL + "await nb().context.ready;", path))
        self._wait_for_kernel(timeout)
        self._count_idle()
        return self

    @property
    def selector(self):
        """CSS selector of the notebook's tab content."""
        return f"[id='{self.page.evaluate(_js(_JS_PANEL + 'return nb().id;', self.path))}']"

    def activate(self):
        """Bring the notebook's tab to the front (screenshots and clicks need it shown)."""
        self.page.evaluate(_js(_JS_PANEL + "window.jupyterapp.shell.activateById(nb().id);",
                               self.path))
        self.page.locator(self.selector).wait_for(state="visible")

    def _wait_for_kernel(self, timeout):
        # A notebook whose kernel is not known asks for one in a dialog: take the default.
        ready = _js(_JS_PANEL + """
          const s = nb().sessionContext;
          return !!(s.session && s.session.kernel) && s.kernelDisplayStatus === 'idle';""",
                    self.path)
        deadline = time.monotonic() + timeout / 1000
        while time.monotonic() < deadline:
            if self.page.evaluate(ready):
                return
            accept = self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            if accept.count():
                accept.first.click()
            time.sleep(0.1)
        raise TimeoutError(f"the kernel of {self.path} did not start:\n" + self.lab.log_tail())

    def _count_idle(self):
        # Widgets talk to the kernel in comm messages; the kernel ends each one
        # it handles with an "idle" status whose parent is that message. Keeping
        # the ids of those sent and not yet answered tells when an action is done.
        # (Other requests, such as the debugger's, also bring idle statuses.)
        self.page.evaluate(_js(_JS_PANEL + """
          const s = nb().sessionContext;
          window.__bplibComm = window.__bplibComm || {};
          const book = window.__bplibComm[PATH] = {sent: 0, pending: new Set()};
          const watch = () => {
            const kernel = s.session && s.session.kernel;
            if (!kernel) return;
            kernel.anyMessage.connect((k, args) => {
              const msg = args.msg;
              if (args.direction === 'send' && msg.header.msg_type === 'comm_msg') {
                book.sent += 1;
                book.pending.add(msg.header.msg_id);
              } else if (args.direction === 'recv' && msg.header.msg_type === 'status'
                         && msg.content.execution_state === 'idle' && msg.parent_header) {
                book.pending.delete(msg.parent_header.msg_id);
              }
            });
          };
          watch();
          s.kernelChanged.connect(watch);""", self.path))

    def comm_sent(self):
        """How many comm messages (widget changes, clicks) the page has sent to the kernel."""
        return self.page.evaluate("(p) => window.__bplibComm[p].sent", self.path)

    def act(self, action, timeout=TIMEOUT_MS):
        """Do ``action()`` (a click, a key press), then wait until the kernel has handled it.

        Done means: the action sent at least one widget message, and every
        widget message sent so far has been answered by an idle kernel.
        """
        mark = self.comm_sent()
        action()
        self.page.wait_for_function("""([p, m]) => {
            const b = window.__bplibComm[p];
            return b.sent > m && b.pending.size === 0; }""", arg=[self.path, mark],
                                    timeout=timeout)
        # the widget's new value arrived before the idle status; let the view draw it
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def close(self):
        """Shut down the notebook's kernel and close its tab (unsaved: autosave is off)."""
        self.page.evaluate(_js_async(_JS_PANEL + """
          const panel = nb();
          if (!panel) return;
          await panel.sessionContext.shutdown();
          panel.dispose();""", self.path))

    # -- running ------------------------------------------------------------

    def start_run(self):
        """Clear the outputs and start ``notebook:run-all-cells``; returns at once."""
        self.page.evaluate(_js_async(_JS_PANEL + """
          const app = window.jupyterapp;
          const args = {widgetId: nb().id, activate: false};
          window.__bplibRun = window.__bplibRun || {};
          const run = window.__bplibRun[PATH] = {done: false, error: null};
          await app.commands.execute('notebook:clear-all-cell-outputs', args);
          app.commands.execute('notebook:run-all-cells', args).then(
              () => { run.done = true; },
              (e) => { run.done = true; run.error = String(e); });""", self.path))

    def wait_run(self, timeout=2 * TIMEOUT_MS):
        """Wait until the run of all cells is over and the status bar reads Idle.

        ``notebook:run-all-cells`` resolves once the last cell has finished
        (or the run stopped at an error).
        """
        self.page.wait_for_function("(p) => window.__bplibRun[p].done", arg=self.path,
                                    timeout=timeout)
        error = self.page.evaluate("(p) => window.__bplibRun[p].error", self.path)
        if error:
            raise RuntimeError(f"notebook:run-all-cells failed in {self.path}: {error}")
        self.page.wait_for_function(
            _js(_JS_PANEL + "return nb().sessionContext.kernelDisplayStatus === 'idle';",
                self.path), timeout=timeout)
        self.activate()  # the status bar speaks of the notebook in front
        self.status_bar().get_by_text("Idle").first.wait_for(timeout=timeout)
        self.wait_for_widgets()

    def run_all(self, timeout=2 * TIMEOUT_MS):
        """Clear the outputs, run every cell, and wait until the kernel is idle again."""
        self.start_run()
        self.wait_run(timeout)

    def status_bar(self):
        return self.page.locator("#jp-main-statusbar")

    def wait_for_widgets(self, timeout=TIMEOUT_MS):
        """Wait until every widget output has been drawn (a view comes after its model)."""
        self.page.wait_for_function(_js(_JS_PANEL + """
          return nb().content.widgets.every(cell => {
            if (cell.model.type !== 'code') return true;
            const wanted = cell.model.outputs.toJSON().filter(
                o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
            // a closed widget (a finished tqdm bar) leaves its output hidden
            const drawn = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output')).filter(
                e => e.querySelector(':scope > .jupyter-widgets')
                     || e.classList.contains('lm-mod-hidden')).length;
            return drawn >= wanted;
          });""", self.path), timeout=timeout)

    def cells(self):
        """Every cell: type, tags, execution count, error outputs (from the model and the DOM)."""
        return self.page.evaluate(_js(_JS_CELLS, self.path))

    def problems(self):
        """What went wrong in a run, one line per cell; empty when the notebook ran cleanly.

        Cells tagged ``raises-exception`` are expected to fail and are not counted.
        """
        lines = []
        for c in self.cells():
            if c["type"] != "code":
                continue
            where = f"cell {c['index']} ({c['source'].splitlines()[0] if c['source'] else ''!r})"
            if c["count"] is None and "raises-exception" not in c["tags"] and c["source"].strip():
                lines.append(f"{where} was not run")
            if "raises-exception" in c["tags"]:
                continue
            for e in c["errors"] or c["domErrors"]:
                lines.append(f"{where} shows an error: {e}")
            for e in c["widgetErrors"]:
                lines.append(f"{where}: {e}")
        return lines

    def screenshot(self, name=None):
        """A PNG of the whole notebook (the page grown to its height) under artifacts/browser/."""
        path = artifacts_dir() / (name or Path(self.path).stem + ".png")
        self.activate()
        height = self.page.evaluate(_js(_JS_PANEL + """
          const node = nb().content.node;
          const outer = node.querySelector('.jp-WindowedPanel-outer') || node;
          const inner = node.querySelector('.jp-WindowedPanel-inner') || outer;
          return inner.scrollHeight + (window.innerHeight - outer.clientHeight) + 40;""",
                                         self.path))
        size = self.page.viewport_size
        # Chromium cannot draw an image taller than 16384 px.
        self.page.set_viewport_size({"width": size["width"],
                                     "height": max(size["height"], min(height, 16000))})
        try:
            self.page.evaluate(_js_async(_JS_PANEL + """
              const outer = nb().content.node.querySelector('.jp-WindowedPanel-outer');
              if (outer) outer.scrollTop = 0;
              await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));""",
                                         self.path))
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path

    # -- widgets ------------------------------------------------------------

    def widget_kinds(self):
        """The bplib widget classes (``WIDGET_KINDS``) shown anywhere in the notebook."""
        return [k for k in WIDGET_KINDS if self.widgets(k).count()]

    def widgets(self, kind):
        """Locator of every widget of one kind, e.g. ``widgets("bplib-answer")``."""
        return self.page.locator(f"{self.selector} .{kind}")

    def execute(self, code, timeout=TIMEOUT_MS):
        """Run ``code`` in the notebook's kernel, outside any cell; returns its stdout."""
        return self.page.evaluate(_js_async(_JS_PANEL + """
          const kernel = nb().sessionContext.session.kernel;
          const future = kernel.requestExecute({code: arg, store_history: false});
          let text = '';
          future.onIOPub = (msg) => {
            if (msg.header.msg_type === 'stream') text += msg.content.text;
            if (msg.header.msg_type === 'error') text += msg.content.ename + ': ' + msg.content.evalue;
          };
          await future.done;
          return text;""", self.path), code)


def feedback_of(widget):
    """The text a widget's feedback area shows now."""
    return widget.locator(FEEDBACK).first.inner_text()


class Workbook:
    """The notebooks of one LabServer, in one JupyterLab page, each run at most once.

    The first notebook opens the page at ``/lab/tree/<path>``; the others open
    as tabs of it. While one notebook is checked the next one already runs
    (``ahead`` notebooks in all), which on two cores halves the wait. A tab
    stays open (kernel running) while it shows bplib widgets, for the widget
    tests; a tab without widgets is closed once checked, to free its kernel.
    """

    def __init__(self, browser, lab, paths, ahead=1):
        self.browser = browser
        self.lab = lab
        self.paths = list(paths)
        self.ahead = ahead
        self.page = None
        self.running = {}    # path -> NotebookPage whose run was started
        self.pages = {}      # path -> NotebookPage, run done, still open
        self.kinds = {}      # path -> widget kinds it showed after its run
        self.failed = {}     # path -> why it could not be run

    def _start(self, path):
        if path in self.running or path in self.pages or path in self.failed:
            return
        try:
            if self.page is None:
                self.page = open_lab(self.browser, self.lab, path)
            nb = NotebookPage.open(self.page, self.lab, path)
            nb.start_run()
        except Exception as e:  # noqa: BLE001 - reported by run() of this path
            self.failed[path] = (f"{type(e).__name__}: {e}\nend of the JupyterLab log:\n"
                                 + self.lab.log_tail(20))
            return
        self.running[path] = nb

    def run(self, path):
        """The notebook ``path`` after a run of all its cells (opened and run on first call)."""
        if path in self.pages:
            return self.pages[path]
        self._start(path)
        waiting = [p for p in self.paths if p not in self.pages and p not in self.failed
                   and p not in self.running]
        for nxt in waiting[:max(0, self.ahead + 1 - len(self.running))]:
            self._start(nxt)
        if path in self.failed:
            raise RuntimeError(f"{path} could not be opened: {self.failed[path]}")
        nb = self.running.pop(path)
        try:
            nb.wait_run()
        except Exception as e:
            self.failed[path] = f"{type(e).__name__}: {e}"
            raise
        self.pages[path] = nb
        self.kinds[path] = nb.widget_kinds()
        return nb

    def release(self, path):
        """Close the tab of ``path`` unless it shows widgets still to be worked."""
        nb = self.pages.get(path)
        if nb is not None and not self.kinds.get(path):
            nb.close()
            del self.pages[path]

    def find(self, kind):
        """A run notebook that shows a widget of ``kind``, or None when no notebook has one.

        Notebooks already run are looked at first; then the others, those whose
        text names the widget first.
        """
        for path, kinds in self.kinds.items():
            if kind in kinds and path in self.pages:
                return self.pages[path]
        words = _names_of(kind)

        def mentions(path):
            text = (self.lab.root / path).read_text(errors="replace").lower()
            return not any(w in text for w in words)

        for path in sorted((p for p in self.paths if p not in self.kinds and p not in self.failed),
                           key=mentions):
            nb = self.run(path)
            if kind in self.kinds[path]:
                return nb
            self.release(path)
        return None

    def close(self):
        for nb in list(self.running.values()) + list(self.pages.values()):
            try:
                nb.close()
            except Exception:  # noqa: BLE001 - the server shutdown ends the kernel anyway
                pass
        self.running.clear()
        self.pages.clear()
        if self.page is not None:
            self.page.close()
            self.page = None


def _names_of(kind):
    """How notebook code may name a widget kind: chain-stepper -> chain_stepper, chainstepper."""
    base = kind.removeprefix("bplib-")
    return [base, base.replace("-", "_"), base.replace("-", "")]
