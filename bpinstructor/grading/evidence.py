"""What the submitted source holds against an answer, read in the grader's own process.

The hidden tests run in the student's kernel, where threads, profilers, input
transformers and patched modules can hide what an answer calls. The source
the student submitted cannot be changed once it is in the grader's hands, so
it is read here with Python's ``ast``, never run: every cell the student
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
import builtins
import importlib
import re
import types
from dataclasses import dataclass, field
from functools import lru_cache

from IPython.core.inputtransformer2 import TransformerManager

from bpcourse import method
from bplib import activations, calculus, graph, losses, mlp

from .. import cells

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
LAZY = {"__getattr__", "__getattribute__", "__del__", "__set_name__", "__init_subclass__",
        "__class_getitem__", "__instancecheck__"}
HARMLESS_SYS = {"sys.version", "sys.version_info", "sys.float_info", "sys.maxsize", "sys.stdout",
                "sys.stderr", "sys.getsizeof", "sys.getrecursionlimit", "sys.platform",
                "sys.int_info", "sys.byteorder", "sys.float_repr_style"}
AUTODIFF = {"sympy", "jax", "torch", "autograd", "tensorflow", "mpmath", "numdifftools",
            "findiff", "scipy.misc.derivative", "scipy.differentiate", "scipy.optimize.approx_fprime",
            "scipy.optimize.check_grad", "casadi", "theano", "aesara", "pytensor"}
COMPLEX = {"builtins.complex", "cmath", "numpy.complex64", "numpy.complex128", "numpy.complex_",
           "numpy.csingle", "numpy.cdouble", "numpy.clongdouble", "numpy.complexfloating",
           "numpy.imag", "numpy.real_if_close", "numpy.iscomplexobj"}
STRIPPERS = {"numpy.asarray", "numpy.array", "numpy.copy", "numpy.ascontiguousarray",
             "numpy.asfortranarray", "numpy.asfarray", "numpy.fromiter", "numpy.frombuffer",
             "builtins.list", "builtins.tuple", "builtins.memoryview"}
STRIP_ATTRS = {"tolist", "view", "base", "data", "tobytes", "ctypes", "__array__", "item", "flat"}
# Magics that run no code of their own, and those whose code is the cell's own Python.
SAFE_MAGICS = {"matplotlib", "pinfo", "pinfo2", "pdef", "pdoc", "who", "whos", "who_ls",
               "precision", "page", "pwd", "history", "lsmagic", "magic", "quickref"}
CODE_MAGICS = {"time", "timeit", "capture", "prun"}

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


# -- reading a cell ------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,60}")


def _shown(name):
    """A name from the source as a code span, only when it is a plain dotted identifier."""
    return f"`{name}`" if _SAFE_NAME.fullmatch(name or "") else "a name the grader does not show"


def parse(source):
    """The cell as a module of statements (IPython syntax first made Python).

    Returns
    -------
    ast.Module or None
        None when the cell is not Python even after IPython's transformations.
    """
    try:
        python = TransformerManager().transform_cell(source)
        return ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError, TypeError):
        return None


def _magic(node):
    """(kind, magic name, code string) of a ``get_ipython().run_*_magic(...)`` call, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
            and isinstance(node.func.value, ast.Call)
            and isinstance(node.func.value.func, ast.Name)
            and node.func.value.func.id == "get_ipython"):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args]
    if node.func.attr in ("system", "getoutput"):
        return "shell", "!", None
    name = (args[0] or "?").lstrip("%") if args else "?"
    body = args[-1] if node.func.attr == "run_cell_magic" and len(args) == 3 else (
        args[1] if len(args) > 1 else None)
    return node.func.attr, name, body


def _line_code(line):
    """The statements of a line magic's code (``%timeit -n 1 f(x)``: its options left out)."""
    words = line.split(" ")
    for i in range(min(len(words), 8)):
        tree = parse(" ".join(words[i:]))
        if tree is not None:
            return tree.body
    return []


def statements(tree, depth=0):
    """The cell's top-level statements, with the code of ``%%time``-like magics spliced in."""
    out = []
    for stmt in tree.body:
        found = _magic(stmt.value) if isinstance(stmt, ast.Expr) else None
        if found and found[1] in CODE_MAGICS and found[2] is not None and depth < 5:
            inner = parse(found[2])
            if inner is not None:
                for s in statements(inner, depth + 1):
                    ast.increment_lineno(s, stmt.lineno - 1)
                    out.append(s)
                continue
        out.append(stmt)
    return out


def bound(stmt):
    """The names a top-level statement binds in the kernel's namespace."""
    names = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"}
        elif isinstance(node, ast.Global):
            names |= set(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            break   # names inside a definition are its own (a `global` there is walked above)
    return names


def loaded(stmt):
    """The names a statement reads from the kernel's namespace (a function's own names left out)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        outside = stmt.args.defaults + stmt.args.kw_defaults + getattr(stmt, "decorator_list", [])
        inside = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Load)}
        declared = {n for g in ast.walk(stmt) if isinstance(g, ast.Global) for n in g.names}
        own = {a.arg for a in ast.walk(stmt.args) if isinstance(a, ast.arg)} | {
            n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        return (inside - (own - declared)) | set().union(*[loaded(o) for o in outside if o])
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


# -- names: what an expression is, as a dotted name ------------------------------------------

def aliases(stmts, into=None):
    """name -> set of dotted names, from imports and plain assignments (all cells, any order)."""
    table = into if into is not None else {}
    for _ in range(3):   # a chain of aliases (a = bplib; b = a.mlp) settles in a few rounds
        for stmt in stmts:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            table.setdefault(a.asname, set()).add(a.name)
                        else:
                            top = a.name.split(".")[0]
                            table.setdefault(top, set()).add(top)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for a in node.names:
                        if a.name == "*":
                            for name in _public(node.module):
                                table.setdefault(name, set()).add(f"{node.module}.{name}")
                        else:
                            table.setdefault(a.asname or a.name, set()).add(f"{node.module}.{a.name}")
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    quals = qual(node.value, table) if node.value is not None else set()
                    for t in targets:
                        if isinstance(t, ast.Name) and quals:
                            table.setdefault(t.id, set()).update(quals)
    return table


@lru_cache(maxsize=None)
def _public(module):
    """The names ``from module import *`` binds, for bplib's and the course's modules."""
    obj = _object(module)
    if not isinstance(obj, types.ModuleType):
        return ()
    return tuple(getattr(obj, "__all__", [n for n in vars(obj) if not n.startswith("_")]))


_BUILTINS = set(dir(builtins))


def qual(node, table):
    """The dotted names ``node`` may stand for (empty when the grader cannot tell)."""
    if isinstance(node, ast.Name):
        if node.id in table:
            return set(table[node.id])
        if node.id == "get_ipython":
            return {"IPython.get_ipython"}
        if node.id == "__builtins__":
            return {"builtins"}
        return {f"builtins.{node.id}"} if node.id in _BUILTINS else set()
    if isinstance(node, ast.Attribute):
        return {f"{q}.{node.attr}" for q in qual(node.value, table)}
    if isinstance(node, ast.Call):
        called = qual(node.func, table)
        if called & {"IPython.get_ipython", "IPython.core.getipython.get_ipython"}:
            return {"IPython.shell"}
        text = _literal(node.args[1]) if len(node.args) > 1 else None
        if "builtins.getattr" in called and node.args and text:
            return {f"{q}.{text}" for q in qual(node.args[0], table)}
        text = _literal(node.args[0]) if node.args else None
        if called & {"importlib.import_module", "builtins.__import__"} and text:
            return {text}
        return set()
    if isinstance(node, ast.Subscript):
        key = _literal(node.slice)
        base = qual(node.value, table)
        if key and "sys.modules" in base:
            return {key}
        if key and "builtins" in base:   # __builtins__["exec"]
            return {f"builtins.{key}"}
        if key:
            return {q[:-len(".__dict__")] + "." + key for q in base if q.endswith(".__dict__")}
    return set()


def _literal(node):
    """A string the source spells out, or None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


_MISSING = object()


@lru_cache(maxsize=4096)
def _object(dotted):
    """The object of bplib or bpcourse a dotted name names, or _MISSING (nothing else is imported)."""
    parts = dotted.split(".")
    if parts[0] not in ("bplib", "bpcourse") or not all(p.isidentifier() for p in parts):
        return _MISSING
    obj, i = None, len(parts)
    while i > 0:
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
        except Exception:   # a module of the course that fails to import says nothing
            return _MISSING
    for p in parts[i:]:
        obj = getattr(obj, p, _MISSING)
        if obj is _MISSING:
            return _MISSING
    return obj


def _code_of(obj):
    """The code objects that run when ``obj`` is called (a class: its __init__ and __call__)."""
    if isinstance(obj, type):
        return {c for c in (_code_of(getattr(obj, "__init__", None)) |
                            _code_of(getattr(obj, "__call__", None)))}
    try:
        return {method._code(obj)}
    except AttributeError:
        return set()


# -- what a statement does ----------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """A fact about a statement: kind, a key (a dotted name, an attribute), its line."""
    kind: str
    key: str
    line: int
    typ: object = None


class _Reader(ast.NodeVisitor):
    """Collect the :class:`Use` facts of one top-level statement."""

    def __init__(self, table, top_level):
        self.table, self.uses = table, []
        self.types, self.params = {}, set()
        self.top_level = top_level    # names bound here rebind the kernel's own

    def use(self, kind, key, node, typ=None):
        self.uses.append(Use(kind, key, getattr(node, "lineno", 0), typ))

    # the type of a receiver, as far as the course's notation tells it
    def type_of(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.types:
                return self.types[node.id]
            if node.id == "net":         # the lecture's name for the network, in every signature
                return mlp.MLP
            if node.id in ("self", "cls"):
                return "self"
        if isinstance(node, ast.Attribute) and node.attr == "net":
            return mlp.MLP               # self.net, kept by an object of the student's
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "activation":
            return activations.Activation
        for q in qual(node, self.table):
            obj = _object(q)
            if isinstance(obj, calculus.Function) or (
                    obj is not _MISSING and not callable(obj) and not isinstance(obj, types.ModuleType)):
                return type(obj)
        return None

    def learn_types(self, stmt):
        seen = {}
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                seen.setdefault(node.targets[0].id, set()).add(self.type_of(node.value))
            elif isinstance(node, ast.arg):
                self.params.add(node.arg)
        self.types = {n: t.pop() for n, t in seen.items() if len(t) == 1 and None not in t}

    def generic_visit(self, node):
        for q in qual(node, self.table) if isinstance(node, (ast.Name, ast.Attribute)) else ():
            self.use("name", q, node)
        super().generic_visit(node)

    def visit_Import(self, node):
        for a in node.names:
            self.use("name", a.name, node)
            if self.top_level:   # the name bound, and the module it is bound to
                self.use("rebind", a.asname or a.name.split(".")[0], node,
                         a.name if a.asname else a.name.split(".")[0])

    def visit_ImportFrom(self, node):
        if node.module and not node.level:
            self.use("name", node.module, node)
            for a in node.names:
                if a.name != "*":
                    self.use("name", f"{node.module}.{a.name}", node)
                    if self.top_level:
                        self.use("rebind", a.asname or a.name, node, f"{node.module}.{a.name}")

    def visit_Attribute(self, node):
        if not qual(node.value, self.table):
            self.use("attr", node.attr, node, self.type_of(node.value))
        elif not qual(node, self.table):   # defensive: a known base always gives a name
            self.use("attr", node.attr, node)
        if node.attr in STRIP_ATTRS and isinstance(node.value, ast.Name) \
                and node.value.id in self.params:
            self.use("strip", f".{node.attr}", node)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, complex):
            self.use("complex", "a literal like 1j", node)

    def visit_Call(self, node):
        called = qual(node.func, self.table)
        found = _magic(node)
        if found:
            kind, name, _ = found
            if kind == "shell":
                self.use("magic", "shell command `!`", node)
            elif name not in SAFE_MAGICS and name not in CODE_MAGICS:
                self.use("magic", f"magic %{name}" if _SAFE_NAME.fullmatch(name) else "a magic", node)
            elif name in CODE_MAGICS and kind == "run_line_magic" and len(node.args) > 1:
                for stmt in _line_code(_literal(node.args[1]) or ""):
                    self.visit(stmt)
        if called & {"builtins.getattr", "builtins.setattr", "builtins.delattr",
                     "builtins.hasattr"} and len(node.args) > 1 and _literal(node.args[1]) is None:
            self.use("computed", "getattr or setattr with a computed name", node)
        if "builtins.getattr" in called and len(node.args) > 1 and _literal(node.args[1]) \
                and not qual(node.args[0], self.table):   # getattr(net, "backward") is net.backward
            self.use("attr", _literal(node.args[1]), node, self.type_of(node.args[0]))
        if called & {"builtins.setattr", "builtins.delattr"} and node.args:
            for q in qual(node.args[0], self.table):
                self.use("patch", q + "." + (_literal(node.args[1]) or "?")
                         if len(node.args) > 1 else q, node)
        if called & STRIPPERS and node.args and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in self.params:
            self.use("strip", sorted(called & STRIPPERS)[0].replace("numpy.", "np.")
                     .replace("builtins.", ""), node)
        typ = self.type_of(node.func) if isinstance(node.func, ast.Name) else None
        if isinstance(typ, type):
            self.use("call", "__call__", node, typ)
        self.generic_visit(node)

    def _targets(self, targets, node):
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, (ast.Attribute, ast.Subscript)):
                    for q in qual(sub.value, self.table):
                        key = q + "." + (sub.attr if isinstance(sub, ast.Attribute) else
                                         (_literal(sub.slice) or "[]"))
                        self.use("patch", key, node)
                elif isinstance(sub, ast.Name) and self.top_level:
                    self.use("rebind", sub.id, node)

    def visit_Assign(self, node):
        self._targets(node.targets, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets([node.target], node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._targets([node.target], node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._targets(node.targets, node)
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            self.use("rebind", name, node)

    def _definition(self, node):
        if self.top_level:
            self.use("rebind", node.name, node)
        top, self.top_level = self.top_level, False
        self.generic_visit(node)
        self.top_level = top

    def visit_FunctionDef(self, node):
        self._definition(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in LAZY:
                self.use("lazy", item.name, item)
        self._definition(node)

    def visit_For(self, node):
        self._targets([node.target], node)
        self.generic_visit(node)

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._targets([item.optional_vars], node)
        self.generic_visit(node)

    def visit_Lambda(self, node):
        top, self.top_level = self.top_level, False
        self.generic_visit(node)
        self.top_level = top


def uses(stmt, table):
    """The facts of one top-level statement."""
    reader = _Reader(table, top_level=True)
    try:
        reader.learn_types(stmt)
        reader.visit(stmt)
    except RecursionError:   # nested deeper than the grader follows: looked at by hand
        return [Use("deep", "", getattr(stmt, "lineno", 0))]
    return reader.uses


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
        obj = _object(module)
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
            return "profiler", _shown(key)
        if _under(key, THREADS):
            return "threads", _shown(key)
        if _under(key, EXECUTORS):
            return "exec", _shown(key.replace("builtins.", "").replace("IPython.shell", "get_ipython"))
        if _under(key, CODE):
            return "code", _shown(key)
        if _under(key, IMPORTS):
            return "import", _shown(key.replace("builtins.", ""))
        if _under(key, IPYTHON_MODULES) or key.startswith("IPython.shell.") and \
                key.split(".")[2] in IPYTHON_ATTRS:
            return "ipython", _shown(key.split(".")[2] if key.startswith("IPython.shell.") else key)
        if key.split(".")[-1] in CODE_ATTRS:
            return "code", f"`{key.split('.')[-1]}`"
    if k == "attr":
        if key in CODE_ATTRS or key.startswith("co_"):
            return "code", _shown(key)
        if key in IPYTHON_ATTRS - {"events"} or key == "events" and use.typ is None:
            return "ipython", _shown(key)
    if k == "patch" and _under(key, PATCHED) and not key.startswith("IPython.shell"):
        return "patch", _shown(key)
    if k == "name" and _under(key, MOCKS):
        return "patch", _shown(key)
    return None


def for_review(use):
    """(what, name) for a fact worth a look by hand wherever it is, or None."""
    k, key = use.kind, use.key
    if k == "magic":
        return "magic", key
    if k == "patch" and key.startswith("IPython.shell."):
        return "kernel", _shown(key.replace("IPython.shell", "get_ipython"))
    if k == "deep":
        return "unreadable", "nested deeper than the grader reads"
    if k == "computed":
        return "introspection", key
    if k == "lazy":
        return "introspection", f"a class that defines `{key}`"
    if k == "attr" and key in INTROSPECTION_ATTRS:
        return "introspection", _shown(key)
    if k == "name" and _under(key, PROCESSES):
        return "process", _shown(key)
    if k == "name" and (_under(key, INTROSPECTION) or key == "builtins"
                        or key.startswith("sys.") and not _under(key, HARMLESS_SYS)):
        return "introspection", _shown(key.replace("builtins.", ""))
    if k == "name" and _under(key, ("inspect",)):
        return "inspect", _shown(key)
    if k == "name" and _under(key, ("bplib", "bpcourse")) and _private(key):
        return "private", _shown(key)
    if k == "attr" and key in _private_attributes() and use.typ != "self":
        return "private", _shown(key)
    return None


def in_answer(use, ex):
    """(what, name) for a fact that speaks against the answer of exercise ``ex``, or None."""
    k, key = use.kind, use.key
    if k == "name":
        obj = _object(key)
        if obj is not _MISSING:
            hit = [ex.forbidden[c] for c in _code_of(obj) if c in ex.forbidden]
            if hit:
                return "delegated", hit[0]
        if _under(key, ex.also_modules) or key.split(".")[-1] in ex.also and _under(key, ("bplib",)):
            return "delegated", _shown(key)
        if ex.derivative and _under(key, AUTODIFF):
            return "autodiff", _shown(key)
        if ex.derivative and _under(key, COMPLEX):
            return "complex", _shown(key.replace("builtins.", "").replace("numpy.", "np."))
    if k == "attr" and isinstance(use.typ, type):
        member = getattr(use.typ, key, None)
        hit = [ex.forbidden[c] for c in _code_of(member) if c in ex.forbidden] if member else []
        if hit:
            return "delegated", hit[0]
        if key in ex.also and use.typ.__module__.startswith("bplib"):
            return "delegated", f"`.{key}`, a derivative bplib stores"
    elif k == "attr" and use.typ is None:
        if key in ex.methods:
            return ("maybe delegated", key) if key in ex.shared else ("delegated", ex.methods[key])
        if key in ex.also:
            return "delegated", f"`.{key}`, a derivative bplib stores"
        if ex.derivative and key in ("imag", "real") :
            return "complex", f"`.{key}`"
    if k == "call" and isinstance(use.typ, type):
        hit = [ex.forbidden[c] for c in _code_of(use.typ.__call__) if c in ex.forbidden] \
            if hasattr(use.typ, "__call__") else []
        forward = getattr(use.typ, "forward", None)
        hit += [ex.forbidden[c] for c in _code_of(forward) if c in ex.forbidden] if forward else []
        if hit:
            return "delegated", hit[0]
    if k == "strip" and ex.methodical:
        return "stripped", _shown(key)
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
    defines = {}
    for c, t in code:
        if cells.kind(c) == "answer" and t:
            for stmt in t.body:
                for name in bound(stmt):
                    defines.setdefault(name, set()).add(cells.grade_id(c))
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
                        obj = _object(q)
                        rules = obj if isinstance(obj, method.Rules) else rules
                if called & {"bpcourse.report.hold_to_method", "hold_to_method"}:
                    methodical = True
        found.append(_exercise(cells.grade_id(c), answers, rules or method.Rules(""), methodical))
    return found


def _exercise(test, answers, rules, methodical):
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
            if member is not None and not (_code_of(member) & set(forbidden)):
                shared.add(attr)
    also, also_modules = set(), ()
    for trigger, attrs, modules in ALSO:
        if method._code(trigger) in forbidden:
            also |= attrs
            also_modules += modules
    derivative = any(method._code(f) in forbidden for f in method.FINITE_DIFFERENCES.values())
    return Exercise(test, answers, rules, methodical, derivative, forbidden, methods, shared,
                    also, also_modules)


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
    reached = set()
    for ex in exercises(solution):
        where = [i for i in mine if cells.grade_id(nb.cells[i]) in ex.answers]
        for (i, k) in _reach(where, mine, stmts):
            reached.add((i, k))
            for use in facts[i, k]:
                if kernel_wide(use):
                    continue   # judged below, for every test after it
                judged = in_answer(use, ex) or for_review(use)
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
            elif said not in cell.message:
                cell.message = f"{cell.message} {said}"
            cell.score = 0.0
            if cell.status == "passed":   # a timeout, a crash or "not run" keeps its own word
                cell.status = "failed"
            cell.detail = (cell.detail + " " if cell.detail else "") + f"[{f.what}]"
    result.flags = sorted(set(result.flags))
    result.score = sum(c.score for c in result.cells)
