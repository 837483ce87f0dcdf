"""What a cell's source says, read with Python's ``ast`` in the grader's process, never run.

IPython's syntax is first made Python as IPython does it (the code of
``%%time``-like magics read as the cell's own). Names are resolved through
the aliases every cell makes (``import bpcourse.report as r``, ``from bplib
import x as y``, ``a = bplib.mlp``) and through names spelled out in strings
(``getattr(net, "backward")``, ``importlib.import_module("...")``,
``sys.modules["..."]``), to dotted names such as ``bpcourse.report.watch``.
Each top-level statement gives a list of :class:`Use` facts: the dotted
names it reads, the attributes it reads on objects it cannot name (with
their type when the course's notation tells it: ``net`` is the MLP), what it
assigns to, the names it binds again, complex literals, magics, inputs
turned into plain arrays. What the facts cost is :mod:`.evidence`'s to say.
"""
import ast
import builtins
import importlib
import re
import types
from dataclasses import dataclass
from functools import lru_cache

from IPython.core.inputtransformer2 import TransformerManager

from bpcourse import method
from bplib import activations, calculus, mlp

# -- what is noted besides names -------------------------------------------------------------
# Classes that compute when read (a lazy object can call what is forbidden after the test's
# watch has ended), and what turns a watched input into a plain array.
LAZY = {"__getattr__", "__getattribute__", "__del__", "__set_name__", "__init_subclass__",
        "__class_getitem__", "__instancecheck__"}
STRIPPERS = {"numpy.asarray", "numpy.array", "numpy.copy", "numpy.ascontiguousarray",
             "numpy.asfortranarray", "numpy.asfarray", "numpy.fromiter", "numpy.frombuffer",
             "builtins.list", "builtins.tuple", "builtins.memoryview"}
STRIP_ATTRS = {"tolist", "view", "base", "data", "tobytes", "ctypes", "__array__", "item", "flat"}
# Magics that run no code of their own, and those whose code is the cell's own Python.
SAFE_MAGICS = {"matplotlib", "pinfo", "pinfo2", "pdef", "pdoc", "who", "whos", "who_ls",
               "precision", "page", "pwd", "history", "lsmagic", "magic", "quickref"}
CODE_MAGICS = {"time", "timeit", "capture", "prun"}


# -- reading a cell ------------------------------------------------------------------------

SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,60}")


def shown(name):
    """A name from the source as a code span, only when it is a plain dotted identifier."""
    return f"`{name}`" if SAFE_NAME.fullmatch(name or "") else "a name the grader does not show"


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


MAX_NESTING = 100   # honest code nests far less; the grader's own reading recurses per level


def too_deep(node):
    """Whether ``node`` nests more than MAX_NESTING levels (found without recursion)."""
    todo = [(node, 0)]
    while todo:
        node, level = todo.pop()
        if level > MAX_NESTING:
            return True
        todo.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return False


def statements(tree, depth=0):
    """The cell's top-level statements, with the code of ``%%time``-like magics spliced in.

    Statements nested deeper than MAX_NESTING are left out (see :func:`too_deep`).
    """
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
        if not too_deep(stmt):
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
    obj = resolve(module)
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


MISSING = object()


@lru_cache(maxsize=4096)
def resolve(dotted):
    """The object of bplib or bpcourse a dotted name names, or MISSING (nothing else is imported)."""
    parts = dotted.split(".")
    if parts[0] not in ("bplib", "bpcourse") or not all(p.isidentifier() for p in parts):
        return MISSING
    obj, i = None, len(parts)
    while i > 0:
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
        except Exception:   # a module of the course that fails to import says nothing
            return MISSING
    for p in parts[i:]:
        obj = getattr(obj, p, MISSING)
        if obj is MISSING:
            return MISSING
    return obj


def code_of(obj):
    """The code objects that run when ``obj`` is called (a class: its __init__ and __call__)."""
    if isinstance(obj, type):
        return {c for c in (code_of(getattr(obj, "__init__", None)) |
                            code_of(getattr(obj, "__call__", None)))}
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
            obj = resolve(q)
            if isinstance(obj, calculus.Function) or (
                    obj is not MISSING and not callable(obj) and not isinstance(obj, types.ModuleType)):
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
                self.use("magic", f"magic %{name}" if SAFE_NAME.fullmatch(name) else "a magic", node)
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
