"""What the submitted source holds against an answer, read in the grader's own process.

The hidden tests run in the student's kernel, where threads, profilers, input
transformers and patched modules can hide what an answer calls. The source
the student submitted cannot be changed once it is in the grader's hands, so
it is read here with Python's ``ast`` (:mod:`.source`), never run: every cell the student
wrote or could edit (answers, and cells that are not the instructor's as
given), for

- what the exercise forbids: bplib's own version of the exercise and the
  checks' references (the exercise's ``Rules``, as the hidden test's
  ``watch`` names them), bplib's private helpers and stored derivatives,
  a library that differentiates (sympy) or a complex step where a
  derivative is asked for, an input turned into a plain array where the
  test holds the answer to a method;
- what only evasion needs: threads and processes, profilers and tracers,
  ``exec``/``eval``/``compile``, code objects, ``inspect``, importlib and
  ``sys.modules``, IPython's input transformers and events, assignments to
  bplib, bpcourse, IPython, numpy or ``sys``, and names the tests rely on
  rebound.

:data:`POLICY` says which findings score the exercise 0 and which only flag
the notebook for a look by hand; README ("What the grader holds against an
answer") states it in words. Each reason is the grader's own sentence: the
names in it come from the grader's tables or from bplib itself, never from
the student's text.
"""
import ast
import types
from dataclasses import dataclass, field
from functools import lru_cache

from bpcourse import method
from bplib import activations, calculus, graph, losses, mlp

from .. import cells
from .source import MISSING, aliases, bound, code_of, loaded, parse, qual, resolve, shown, \
    statements, too_deep, uses

# -- the policy ----------------------------------------------------------------------
#
# what: (in the answer, or in what the answer uses | elsewhere in the notebook, flag, reason)
# "zero": the exercise's test cell scores 0 and is flagged; "review": flagged only;
# "later": every test cell that runs after it scores 0 (it changes the kernel itself).
ANSWER_DELEGATED, EVASION, REVIEW = "answer delegated", "evasion", "source to review"
POLICY = {
    "delegated": ("zero", None, ANSWER_DELEGATED,
                  "the answer's source calls {name}, which this exercise forbids"),
    "maybe delegated": ("review", None, REVIEW,
                        "the answer's source calls `.{name}` on an object the grader cannot "
                        "name; on bplib's network or nodes that is what this exercise forbids"),
    "private": ("zero", "review", ANSWER_DELEGATED,
                "the source uses {name}, a private helper of bplib or of the course"),
    "autodiff": ("zero", None, ANSWER_DELEGATED,
                 "the answer's source differentiates with {name} where the exercise asks "
                 "for the formula or the method written yourself"),
    "complex": ("zero", None, ANSWER_DELEGATED,
                "the answer's source uses complex numbers ({name}), a complex-step derivative "
                "where the exercise asks for the method written yourself"),
    "unlisted": ("review", None, REVIEW,
                 "the answer's source calls {name}, which this exercise does not give (it "
                 "lists what of bplib an answer may call)"),
    "stripped": ("review", None, REVIEW,
                 "the answer's source turns an input into a plain copy ({name}), which hides "
                 "from the test how the answer works through it"),
    "inspect": ("zero", "review", EVASION,
                "the source uses {name}, which reads or copies code instead of writing it"),
    "threads": ("later", "later", EVASION,
                "the source starts threads or processes ({name}), which run code the test "
                "does not watch"),
    "profiler": ("later", "later", EVASION,
                 "the source sets a profiler or tracer ({name}), which turns off the test's watch"),
    "exec": ("later", "later", EVASION,
             "the source runs code from a string ({name}), which the grader cannot read"),
    "code": ("later", "later", EVASION,
             "the source builds or reads code objects or frames ({name})"),
    "import": ("later", "later", EVASION,
               "the source imports or replaces modules by a computed name ({name})"),
    "ipython": ("later", "later", EVASION,
                "the source changes how IPython runs the cells ({name}), which can rewrite "
                "the tests"),
    "patch": ("later", "later", EVASION,
              "the source replaces {name}, which the tests rely on"),
    "process": ("review", "review", REVIEW,
                "the source starts another program or handles signals ({name})"),
    "kernel": ("review", "review", REVIEW,
               "the source changes the kernel's own objects ({name}), which carry the tests' "
               "reports"),
    "introspection": ("review", "review", REVIEW,
                      "the source reaches objects by a computed name or a namespace ({name})"),
    "magic": ("review", "review", REVIEW,
              "the source runs IPython's {name}, whose effect the grader does not read"),
    "unreadable": ("review", "review", REVIEW,
                   "a cell is not Python the grader can read ({name}); nothing in it was checked"),
}
# -- what is looked for ----------------------------------------------------------------

THREADS = {"threading", "_thread", "multiprocessing", "concurrent", "asyncio", "os.fork",
           "os.forkpty", "os.register_at_fork", "joblib", "IPython.lib.backgroundjobs"}
# Other programs and signal handlers cannot call into the kernel's own functions.
PROCESSES = {"subprocess", "signal", "sched", "os.system", "os.popen", "os.spawnl", "os.spawnv",
             "os.spawnlp", "os.spawnvp", "os.posix_spawn", "os.execv", "os.execl", "os.execve",
             "os.execvp", "pty"}
PROFILERS = {"sys.setprofile", "sys.settrace", "sys.monitoring", "sys.call_tracing",
             "threading.setprofile", "threading.settrace", "threading.setprofile_all_threads",
             "threading.settrace_all_threads", "sys.addaudithook", "sys._getframe",
             "sys._current_frames", "bdb", "pdb", "trace", "cProfile", "profile"}
EXECUTORS = {"builtins.exec", "builtins.eval", "builtins.compile", "builtins.breakpoint",
             "code", "codeop", "runpy", "IPython.shell.run_cell", "IPython.shell.run_cell_async",
             "IPython.shell.ex", "IPython.shell.ev", "IPython.shell.run_code",
             "IPython.shell.run_ast_nodes", "IPython.shell.safe_execfile",
             "IPython.shell.safe_run_module", "IPython.shell.runcode", "IPython.shell.push"}
CODE = {"types.CodeType", "types.FunctionType", "types.LambdaType", "types.MethodType",
        "types.FrameType", "dis", "marshal", "bytecode", "pickle", "dill", "cloudpickle", "copyreg"}
CODE_ATTRS = {"__code__", "__globals__", "__closure__", "__builtins__", "__subclasses__",
              "__defaults__", "__kwdefaults__", "f_code", "f_globals", "f_locals", "f_back",
              "f_builtins", "gi_frame", "gi_code", "tb_frame", "cr_frame", "cr_code"}
IMPORTS = {"importlib", "imp", "pkgutil", "zipimport", "builtins.__import__", "sys.modules",
           "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache"}
IPYTHON_ATTRS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "events", "set_hook", "register_magic_function",
                 "register_magics", "extension_manager", "prefilter_manager", "set_custom_exc",
                 "display_pub", "displayhook", "display_formatter", "magics_manager",
                 "register_post_execute", "pre_run_code_hook"}
# The parts of IPython and ipykernel that decide how a cell's text becomes code and runs.
IPYTHON_MODULES = ("IPython.core.inputtransformer", "IPython.core.inputtransformer2",
                   "IPython.core.inputsplitter", "IPython.core.events", "IPython.core.hooks",
                   "IPython.core.interactiveshell", "IPython.core.magic", "IPython.core.prefilter",
                   "IPython.core.formatters", "IPython.core.displayhook", "IPython.core.displaypub",
                   "IPython.core.extensions", "ipykernel.zmqshell", "ipykernel.ipkernel",
                   "ipykernel.kernelbase", "ipykernel.kernelapp", "ipykernel.displayhook")
PATCHED = ("bplib", "bpcourse", "IPython", "ipykernel", "numpy", "sys", "builtins", "math",
           "threading", "unittest.mock", "mock")
MOCKS = {"unittest.mock", "mock"}
INTROSPECTION = {"builtins.globals", "builtins.locals", "builtins.vars", "builtins.setattr",
                 "builtins.delattr", "builtins.__build_class__", "gc", "ctypes", "weakref",
                 "atexit", "os", "IPython.shell.user_ns", "IPython.shell.user_global_ns"}
INTROSPECTION_ATTRS = {"__dict__", "__class__", "__bases__", "__mro__", "__self__", "__func__",
                       "__wrapped__", "__getattribute__", "__setattr__", "__reduce__",
                       "__reduce_ex__", "__loader__", "__spec__"}
HARMLESS_SYS = {"sys.version", "sys.version_info", "sys.float_info", "sys.maxsize", "sys.stdout",
                "sys.stderr", "sys.getsizeof", "sys.getrecursionlimit", "sys.platform",
                "sys.int_info", "sys.byteorder", "sys.float_repr_style"}
AUTODIFF = {"sympy", "jax", "torch", "autograd", "tensorflow", "mpmath", "numdifftools",
            "findiff", "scipy.misc.derivative", "scipy.differentiate", "scipy.optimize.approx_fprime",
            "scipy.optimize.check_grad", "casadi", "theano", "aesara", "pytensor"}
COMPLEX = {"builtins.complex", "cmath", "numpy.complex64", "numpy.complex128", "numpy.complex_",
           "numpy.csingle", "numpy.cdouble", "numpy.clongdouble", "numpy.complexfloating",
           "numpy.imag", "numpy.real_if_close", "numpy.iscomplexobj"}
# What else in bplib gives the numbers an exercise asks for, by a function its rules
# forbid: attributes holding stored derivatives, and modules that compute them.
ALSO = [
    (calculus.Function.derivative, {"df", "df_from_x", "jac", "grad", "value_and_grad",
                                    "grad_after_softmax"}, ()),
    (graph.Value.backward, {"local", "grad"}, ("bplib.graph",)),
]
# Classes whose methods an answer meets; a forbidden method's name shared with one of
# them that is allowed makes a call on an unknown object only a matter for review.
CLASSES = [mlp.MLP, mlp.Trace, calculus.Function, calculus.ChainTrace, calculus.JacobianChain,
           activations.Activation, activations.Softmax, losses.Loss, losses.Quadratic,
           losses.CrossEntropy, graph.Value]


@dataclass(frozen=True)
class Finding:
    """One thing the source holds against the notebook.

    ``cell`` is the index in the graded (merged) notebook; ``tests`` the
    grade_ids of the test cells it scores 0 (empty: flagged only).
    """
    what: str
    cell: int
    line: int
    name: str
    tests: tuple = ()

    @property
    def flag(self):
        return POLICY[self.what][2]

    @property
    def reason(self):
        return (POLICY[self.what][3].format(name=self.name)
                + f" (code cell {self.cell + 1}, line {self.line})")


@dataclass
class Exercise:
    """A graded test cell, the answers it calls and the rules its hidden test watches them by."""
    test: str
    answers: set
    rules: object
    methodical: bool = False       # the hidden test holds the answer to a method
    derivative: bool = False       # the rules forbid finite differences: a derivative is asked
    forbidden: dict = field(default_factory=dict)   # code object -> name
    methods: dict = field(default_factory=dict)     # attribute name -> name
    shared: set = field(default_factory=set)        # forbidden names an allowed method shares
    also: set = field(default_factory=set)          # stored derivatives' attribute names
    also_modules: tuple = ()
    answer_class: bool = False     # the answer is a class of the student's (an engine of nodes)
    allowed: frozenset = frozenset()   # code objects of what of bplib the answer may call


# -- from facts to findings ----------------------------------------------------------------

def _under(name, roots):
    return any(name == r or name.startswith(r + ".") for r in roots)


def _private(name):
    return any(p.startswith("_") and not (p.startswith("__") and p.endswith("__"))
               for p in name.split(".")[1:])


@lru_cache(maxsize=None)
def _private_attributes():
    """Every private name bplib's and the course's modules and classes define."""
    names = set()
    for module in ("bplib.calculus", "bplib.activations", "bplib.losses", "bplib.mlp",
                   "bplib.graph", "bplib.gradcheck", "bplib.train", "bplib._check",
                   "bpcourse.method", "bpcourse.report"):
        obj = resolve(module)
        if isinstance(obj, types.ModuleType):
            for n, v in vars(obj).items():
                names.add(n)
                if isinstance(v, type):
                    names |= set(vars(v))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def kernel_wide(use):
    """(what, name) for a fact that changes the kernel whatever cell it is in, or None."""
    k, key = use.kind, use.key
    if k == "name":
        if _under(key, PROFILERS):
            return "profiler", shown(key)
        if _under(key, THREADS):
            return "threads", shown(key)
        if _under(key, EXECUTORS):
            return "exec", shown(key.replace("builtins.", "").replace("IPython.shell", "get_ipython"))
        if _under(key, CODE):
            return "code", shown(key)
        if _under(key, IMPORTS):
            return "import", shown(key.replace("builtins.", ""))
        if _under(key, IPYTHON_MODULES) or key.startswith("IPython.shell.") and \
                key.split(".")[2] in IPYTHON_ATTRS:
            return "ipython", shown(key.split(".")[2] if key.startswith("IPython.shell.") else key)
        if key.split(".")[-1] in CODE_ATTRS:
            return "code", f"`{key.split('.')[-1]}`"
    if k == "attr":
        if key in CODE_ATTRS or key.startswith("co_"):
            return "code", shown(key)
        if key in IPYTHON_ATTRS - {"events"} or key == "events" and use.typ is None:
            return "ipython", shown(key)
    if k == "patch" and _under(key, PATCHED) and not key.startswith("IPython.shell"):
        return "patch", shown(key)
    if k == "name" and _under(key, MOCKS):
        return "patch", shown(key)
    return None


def for_review(use, own=frozenset()):
    """(what, name) for a fact worth a look by hand wherever it is, or None.

    ``own``: attribute names the answer's own classes define, where the answer is a class
    (its ``_backward`` is its own, not bplib's private helper of that name).
    """
    k, key = use.kind, use.key
    if k == "magic":
        return "magic", key
    if k == "patch" and key.startswith("IPython.shell."):
        return "kernel", shown(key.replace("IPython.shell", "get_ipython"))
    if k == "deep":
        return "unreadable", "nested deeper than the grader reads"
    if k == "computed":
        return "introspection", key
    if k == "lazy":
        return "introspection", f"a class that defines `{key}`"
    if k == "attr" and key in INTROSPECTION_ATTRS:
        return "introspection", shown(key)
    if k == "name" and _under(key, PROCESSES):
        return "process", shown(key)
    if k == "name" and (_under(key, INTROSPECTION) or key == "builtins"
                        or key.startswith("sys.") and not _under(key, HARMLESS_SYS)):
        return "introspection", shown(key.replace("builtins.", ""))
    if k == "name" and _under(key, ("inspect",)):
        return "inspect", shown(key)
    if k == "name" and _under(key, ("bplib", "bpcourse")) and _private(key):
        return "private", shown(key)
    if k == "attr" and key in _private_attributes() and use.typ != "self" \
            and not (use.typ is None and key in own):
        return "private", shown(key)
    return None


def _unlisted(obj, ex):
    """Whether ``obj`` is a function of bplib's that the exercise does not list (GIVEN, allow)."""
    if not isinstance(obj, (types.FunctionType, types.MethodType, property)):
        return False   # a class named in isinstance, a number, an activation given as a value
    return not code_of(obj) & ex.allowed


def in_answer(use, ex, own=frozenset()):
    """(what, name) for a fact that speaks against the answer of exercise ``ex``, or None.

    ``own``: attribute names the student's own classes define (their ``.grad``
    is theirs, so on an object the grader cannot name it is only for review; where the
    exercise's answer is itself a class, it is no finding at all).
    """
    k, key = use.kind, use.key
    if k == "name":
        obj = resolve(key)
        if obj is not MISSING:
            hit = [ex.forbidden[c] for c in code_of(obj) if c in ex.forbidden]
            if hit:
                return "delegated", hit[0]
        if _under(key, ex.also_modules) or key.split(".")[-1] in ex.also and _under(key, ("bplib",)):
            return "delegated", shown(key)
        if ex.derivative and _under(key, AUTODIFF):
            return "autodiff", shown(key)
        if ex.derivative and _under(key, COMPLEX):
            return "complex", shown(key.replace("builtins.", "").replace("numpy.", "np."))
        if _under(key, ("bplib",)) and not _private(key) and _unlisted(obj, ex):
            return "unlisted", shown(key)
    if k == "attr" and isinstance(use.typ, type):
        member = getattr(use.typ, key, None)
        hit = [ex.forbidden[c] for c in code_of(member) if c in ex.forbidden] if member else []
        if hit:
            return "delegated", hit[0]
        if key in ex.also and use.typ.__module__.startswith("bplib"):
            return "delegated", f"`.{key}`, a derivative bplib stores"
        if use.typ.__module__.startswith("bplib") and not key.startswith("_") \
                and _unlisted(member, ex):
            return "unlisted", f"`{use.typ.__name__}.{key}`"
    elif k == "attr" and use.typ is None:
        if key in own and ex.answer_class and (key in ex.methods or key in ex.also):
            return None
        if key in ex.methods:
            return ("maybe delegated", key) if key in ex.shared or key in own else \
                ("delegated", ex.methods[key])
        if key in ex.also:
            return ("maybe delegated", key) if key in own else \
                ("delegated", f"`.{key}`, a derivative bplib stores")
        if ex.derivative and key == "imag":
            return "complex", f"`.{key}`"
    if k == "call" and isinstance(use.typ, type):
        hit = [ex.forbidden[c] for c in code_of(use.typ.__call__) if c in ex.forbidden] \
            if hasattr(use.typ, "__call__") else []
        forward = getattr(use.typ, "forward", None)
        hit += [ex.forbidden[c] for c in code_of(forward) if c in ex.forbidden] if forward else []
        if hit:
            return "delegated", hit[0]
    if k == "strip" and ex.methodical:
        return "stripped", shown(key)
    return None


# -- the exercises of a solution notebook --------------------------------------------------

def _cell_tree(cell):
    return parse(cell.source) if cell.cell_type == "code" else None


def exercises(solution):
    """The graded exercises of a solution notebook.

    Each test cell counts against the answer cells whose functions it names;
    its hidden ``watch(rules, fn)`` gives the rules (the checks' references
    are always forbidden), and a ``hold_to_method`` that the test holds the
    answer to a method.

    Returns
    -------
    list of Exercise
    """
    code = [(c, _cell_tree(c)) for c in solution.cells if c.cell_type == "code"]
    table = aliases([s for c, t in code if t and cells.kind(c) != "answer" for s in t.body])
    defines, classes = {}, set()
    for c, t in code:
        if cells.kind(c) == "answer" and t:
            for stmt in t.body:
                for name in bound(stmt):
                    defines.setdefault(name, set()).add(cells.grade_id(c))
                if isinstance(stmt, ast.ClassDef):
                    classes.add(stmt.name)
    found = []
    for c, t in code:
        if cells.kind(c) != "test" or t is None:
            continue
        answers = set().union(*[defines.get(n, set()) for n in loaded(t)] or [set()])
        rules, methodical = None, False
        for node in ast.walk(t):
            if isinstance(node, ast.Call):
                called = qual(node.func, table)
                if isinstance(node.func, ast.Name):
                    called.add(node.func.id)
                if called & {"bpcourse.report.watch", "watch"} and node.args:
                    for q in qual(node.args[0], table):
                        obj = resolve(q)
                        rules = obj if isinstance(obj, method.Rules) else rules
                if called & {"bpcourse.report.hold_to_method", "hold_to_method"}:
                    methodical = True
        found.append(_exercise(cells.grade_id(c), answers, rules or method.Rules(""), methodical,
                               answer_class=bool(loaded(t) & classes)))
    return found


def _exercise(test, answers, rules, methodical, answer_class=False):
    forbidden = rules.codes()
    methods = {}
    for name, fn in {**rules.forbid, **method.REFERENCES}.items():
        fn = getattr(fn, "__func__", fn)
        qualname = getattr(fn, "__qualname__", "")
        if "." in qualname and "<" not in qualname:
            methods.setdefault(qualname.rsplit(".", 1)[1], name)
    shared = set()
    for cls in CLASSES:
        for attr in methods:
            member = getattr(cls, attr, None)
            if member is not None and not (code_of(member) & set(forbidden)):
                shared.add(attr)
    also, also_modules = set(), ()
    for trigger, attrs, modules in ALSO:
        if method._code(trigger) in forbidden:
            also |= attrs
            also_modules += modules
    derivative = any(method._code(f) in forbidden for f in method.FINITE_DIFFERENCES.values())
    return Exercise(test, answers, rules, methodical, derivative, forbidden, methods, shared,
                    also, also_modules, answer_class, frozenset(rules.allowed()))


# -- a submission --------------------------------------------------------------------------

def _given(solution):
    """The sources of the cells the students receive as they are (not theirs to be judged by)."""
    return [cells.student_version(c.source, c.cell_type) for c in solution.cells
            if c.cell_type == "code" and cells.kind(c) in ("plain", "locked")]


def editable(nb, solution):
    """Indices of the code cells of ``nb`` the student wrote or changed."""
    given = _given(solution)
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        what = cells.kind(c)
        if what == "answer" or what == "plain" and not any(cells.same_source(c.source, g)
                                                           for g in given):
            out.append(i)
    return out


def read(solution, nb):
    """Everything the submitted source holds against the notebook.

    Parameters
    ----------
    solution : nbformat.NotebookNode
    nb : nbformat.NotebookNode
        The submission merged with the solution (``merge.restore``).

    Returns
    -------
    list of Finding
        At most one per kind, name and cell.
    """
    mine = editable(nb, solution)
    trees = {i: _cell_tree(c) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    stmts = {i: statements(t) if t is not None else [] for i, t in trees.items()}
    table = aliases([s for i in stmts for s in stmts[i]])
    tests = [(i, cells.grade_id(c)) for i, c in enumerate(nb.cells) if cells.kind(c) == "test"]
    protected = _protected(nb, stmts)
    facts = {(i, k): uses(s, table) for i in mine for k, s in enumerate(stmts[i])}
    found = {}

    def add(what, i, line, name, hit=()):
        key = (what, i)   # one finding of a kind per cell: the first place it shows
        if key not in found:
            found[key] = Finding(what, i, line, name, tuple(hit))
        elif hit:
            old = found[key]
            found[key] = Finding(what, i, old.line, old.name, tuple(dict.fromkeys(old.tests + tuple(hit))))

    def later(i):
        return [gid for j, gid in tests if j > i]

    for i in mine:
        if trees[i] is None:
            add("unreadable", i, 1, "a syntax error, or syntax of a newer Python")
        elif any(too_deep(s) for s in trees[i].body):
            add("unreadable", i, 1, "nested deeper than the grader reads")
    reached = set()
    for ex in exercises(solution):
        where = [i for i in mine if cells.grade_id(nb.cells[i]) in ex.answers]
        reach = _reach(where, mine, stmts)
        # the classes of the answer and of what it uses: another exercise's engine is not its own
        own = _own_attributes(stmts[i][k] for (i, k) in reach)
        for (i, k) in reach:
            reached.add((i, k))
            for use in facts[i, k]:
                if kernel_wide(use):
                    continue   # judged below, for every test after it
                judged = in_answer(use, ex, own) or \
                    for_review(use, own if ex.answer_class else frozenset())
                if judged and POLICY[judged[0]][0] in ("zero", "review"):
                    add(*_place(judged, i, use), hit=[ex.test] if POLICY[judged[0]][0] == "zero" else ())
    for (i, k), found_uses in facts.items():
        for use in found_uses:
            wide = kernel_wide(use)
            if wide is None and use.kind == "rebind" and use.key in protected \
                    and use.typ not in protected[use.key]:   # import numpy as np again: the same
                wide = "patch", f"`{use.key}` (bound by the assignment's own cells)"
            if wide:
                add(*_place(wide, i, use), hit=later(i))
            elif (i, k) not in reached:
                judged = for_review(use)
                if judged and POLICY[judged[0]][1] == "review":
                    add(*_place(judged, i, use))
    return sorted(found.values(), key=lambda f: (f.cell, f.line, f.what))


def _own_attributes(trees):
    """Attribute names the student's classes define: their methods, and what ``self.x =`` sets."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names |= {item.name for item in node.body
                          if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                names.add(node.attr)
    return frozenset(names)


def _place(judged, i, use):
    return judged[0], i, use.line, judged[1]


def _reach(start, mine, stmts):
    """(cell, statement) pairs of the answer cells and of what they use, defined in editable cells."""
    todo = [(i, k) for i in start for k in range(len(stmts[i]))]
    seen = set(todo)
    binders = {}
    for i in mine:
        for k, s in enumerate(stmts[i]):
            for name in bound(s):
                binders.setdefault(name, []).append((i, k))
    while todo:
        i, k = todo.pop()
        for name in loaded(stmts[i][k]):
            for place in binders.get(name, []):
                if place not in seen:
                    seen.add(place)
                    todo.append(place)
    return seen


def _protected(nb, stmts):
    """Names the instructor's locked cells bind and the test cells read (``np``, ``nb08``, ``check``).

    A student's cell may bind them again only to what the locked cells bound.
    """
    locked = [s for i, c in enumerate(nb.cells) if cells.kind(c) == "locked" for s in stmts.get(i, [])]
    read_by_tests = {n for i, c in enumerate(nb.cells) if cells.kind(c) == "test"
                     for s in stmts.get(i, []) for n in loaded(s)}
    given = aliases(locked, {})
    return {n: given.get(n, set()) for s in locked for n in bound(s) if n in read_by_tests}


# -- applying the findings -----------------------------------------------------------------

def apply(result, findings):
    """Score and flag a NotebookResult (``grade.NotebookResult``) by ``findings``, in place."""
    by_gid = {c.grade_id: c for c in result.cells}
    for f in findings:
        result.flags.append(f.flag)
        result.notes.append(f"{f.reason[0].upper()}{f.reason[1:]}: "
                            + ("0 points for " + ", ".join(f"`{t}`" for t in f.tests)
                               if f.tests else "flagged for a look by hand") + ".")
        for gid in f.tests:
            cell = by_gid.get(gid)
            if cell is None or cell.status == "manual":
                continue
            said = f"{f.reason}: 0 points, flagged for a look by hand."
            if cell.status == "passed" or not cell.message:
                cell.message = said
            elif said not in cell.message:   # first: a long message is cut at its end
                cell.message = f"{said} {cell.message}"
            cell.score = 0.0
            if cell.status == "passed":   # a timeout, a crash or "not run" keeps its own word
                cell.status = "failed"
            cell.detail = (cell.detail + " " if cell.detail else "") + f"[{f.what}]"
    result.flags = sorted(set(result.flags))
    result.score = sum(c.score for c in result.cells)
