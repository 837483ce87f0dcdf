r"""Holding an answer to the method its exercise asks for, and to the student's own work.

A check calls the student's function through :func:`run`, which

- watches what the function calls while it runs (``sys.setprofile``) and
  refuses an answer that calls something the exercise forbids: finite
  differences where a formula is asked for, bplib's own version of the
  exercise (``net(x)``, ``net.backward``, ``chain_rule``, ...), or a
  reference of the checks. What counts is the code that runs, not the name
  it is called by, so ``from bplib import jacobian as J`` is caught too, and
  a reference's body copied into new code (``exec(inspect.getsource(f))``)
  is known by its bytecode, numbers and global names;
  Switching the watch off (``sys.setprofile``, ``threading.setprofile``) is
  seen when it happens, and starting a thread or a process is refused, since
  what runs there is not watched;
- holds the answer to a list of what it may call of bplib (:data:`GIVEN`
  and the exercise's ``allow``): anything else of bplib, or of a library
  that differentiates (sympy, scipy, jax), that the answer calls itself is
  refused, however it is reached;
- counts calls to chosen functions (forward passes, activations) so a check
  can hold the answer to a cost ("two forward passes per parameter");
- compares the arguments before and after, and names an answer that changed
  its input in place;
- turns a numpy error inside the student's code (``matmul: Input operand 1
  has a mismatch ...``) into the shape rule in the lecture's words.

Inputs can count what the method forbids: :func:`watched` makes an array
that records indexing by sample (or entry), iteration, matrix products and
the scalars added to it, in a :class:`Log`.

The API, for a new exercise (say, dl/ds^(l) for one layer, by hand)::

    from bpcourse.method import (BACKPROP, FINITE_DIFFERENCES, Log, MethodError, Rules,
                                 reference, run, watched)

    RULES = Rules("dl/ds^(l) = sigma'(s^(l)) * dl/dx^(l), written yourself",
                  {**BACKPROP, **FINITE_DIFFERENCES})      # name -> function forbidden

    @reference                       # the check's own answer: forbidden to every answer
    def reference_dl_ds(s, dl_dx):
        ...

    def test_dl_ds(student_fn):      # raises AssertionError in the lecture's words
        log = Log()
        out = run(student_fn, watched(s, "s", log), dl_dx.copy(), rules=RULES,
                  hint="s^(l) and dl/dx^(l) have the same shape (d_l,)",
                  count={"sigma": Function.__call__})
        ...                          # compare out.value with the right and the wrong answers
        if log["s", "item"]:
            raise MethodError("the value is right, but ... without a loop over j")

and, in the notebook, ``check("dl/ds", nbXX.test_dl_ds, dl_ds)``. Its hidden
tests::

    with watch(nbXX.RULES, dl_ds):                  # a forbidden call: 0 points, flagged
        report("dl_ds", dl_ds(s, dl_dx))
    hold_to_method(nbXX.test_dl_ds, dl_ds)           # a MethodError: 0 points, flagged

``run`` raises :class:`Delegated` for a forbidden call, :class:`ShapeError`
for a numpy shape error (``numpy_error`` gives the words; a check can then run
the answer on square shapes, where the same mistake runs, to name it) and an
AssertionError for an input changed in place; :func:`as_array` and
:func:`pair` name a list where an array or a tuple is asked for. A widget can
hold an answer to the same rules by calling ``run`` and showing the error's
text.
"""
import dis
import gc
import inspect
import linecache
import os
import re
import sys
import sysconfig
import types
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bplib import calculus, gradcheck, losses
from bplib._check import is_whole
from bplib.mlp import MLP, Layers, PerLayer, Trace


class Delegated(AssertionError):
    """The answer called what its exercise forbids; ``names`` says what."""

    def __init__(self, message, names):
        super().__init__(message)
        self.names = tuple(names)


class MethodError(AssertionError):
    """The answer's numbers are right, but it used a method its exercise forbids."""


class ShapeError(AssertionError):
    """numpy refused a product or a sum of the answer's arrays; the message says why."""


def _code(fn):
    """The code object that runs when ``fn`` is called."""
    fn = getattr(fn, "__func__", fn)
    fn = getattr(fn, "fget", fn)
    return fn.__code__


_PACKAGES = {os.path.dirname(os.path.abspath(m.__file__)) for m in (calculus, sys.modules[__name__])}
_THIS_FILE = os.path.abspath(__file__)
_BPLIB = os.path.dirname(os.path.abspath(calculus.__file__)) + os.sep
_ELSEWHERE = tuple(os.path.abspath(p) + os.sep for p in {
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    os.path.dirname(os.path.dirname(np.__file__))})
# Libraries that differentiate for you: no exercise gives them.
_AUTODIFF = re.compile(r"[/\\](?:site|dist)-packages[/\\]"
                       r"(sympy|scipy|autograd|jax|torch|numdifftools|mpmath|findiff)[/\\]")
COPY_MIN_BYTES = 64   # a shorter body is a line a student may well write alike


_SAME_OP = {"LOAD_METHOD": "LOAD_ATTR"}   # `np.f(x)` compiles to either, by where np came from
_NO_OP = {"CACHE", "NOP", "RESUME", "PRECALL", "PUSH_NULL", "EXTENDED_ARG"}


def _fingerprint(code):
    """What a copy of ``code`` keeps: its operations, numbers and global names.

    ``exec(inspect.getsource(f))`` or ``f.__code__.replace(...)`` makes a new code
    object, unequal to ``f``'s (other line numbers, another name), with the same
    fingerprint; renamed local variables and edited strings keep it too.
    """
    ops = []
    for ins in dis.get_instructions(code):
        if ins.opname in _NO_OP:
            continue
        if isinstance(ins.argval, types.CodeType):
            arg = _fingerprint(ins.argval)
        elif ins.opcode in dis.hasjrel + dis.hasjabs or (
                ins.opname == "LOAD_CONST" and isinstance(ins.argval, str)):
            arg = None      # offsets move with the code around; strings are messages
        elif ins.opcode in dis.haslocal:
            arg = ins.arg   # the local's number, not its name
        else:
            arg = repr(ins.argval)
        ops.append((_SAME_OP.get(ins.opname, ins.opname), arg))
    return tuple(ops)


_KINDS = {}   # code -> who wrote it, see _kind


def _kind(code):
    """Who wrote ``code``: "watch" (this module), "bplib", "bpcourse", "autodiff" (a
    library that differentiates for you), "library" (numpy, Python's own, other
    packages) or "answer" (a notebook cell, or code made at run time).
    """
    kind = _KINDS.get(code)
    if kind is None:
        path = os.path.abspath(code.co_filename)
        if path == _THIS_FILE:
            kind = "watch"
        elif path.startswith(_BPLIB):
            kind = "bplib"
        elif any(path.startswith(p + os.sep) for p in _PACKAGES):
            kind = "bpcourse"
        elif _AUTODIFF.search(path):
            kind = "autodiff"
        elif path.startswith(_ELSEWHERE):
            kind = "library"
        else:
            kind = "answer"
        _KINDS[code] = kind
    return kind


def _dotted(code):
    """``bplib.activations.Softmax._jac``: the module and name of a library's code."""
    path = os.path.abspath(code.co_filename)
    found = _AUTODIFF.search(path)
    root = path[:found.start(1)] if found else next(
        os.path.dirname(p) for p in _PACKAGES if path.startswith(p + os.sep))
    module = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, ".")
    return f"{module.removesuffix('.__init__')}.{code.co_qualname}"


def answer_rng(fn):
    """A generator seeded by the answer's own code, for points it cannot know in advance.

    A check that tries only fixed points can be passed by an answer that returns what
    they need; points drawn from the answer's fingerprint change with every change of
    the answer, and stay the same when the same answer runs again.
    """
    seed = zlib.crc32(repr(_fingerprint(_code(fn))).encode())
    return np.random.default_rng(seed)


def _written_in_a_cell(code):
    """Whether ``code`` was compiled from the source its file and first line say.

    A cell's function is (IPython keeps each cell's text in ``linecache``), so the
    canonical answer written there is the student's own even where it reads as a
    reference does. A body copied by ``exec`` of a string or ``code.replace`` is not.
    """
    if os.path.dirname(os.path.abspath(code.co_filename)) in _PACKAGES:
        return False
    lines = linecache.getlines(code.co_filename)   # a cell's text, or a file's
    for line in lines[code.co_firstlineno - 1:]:
        if not line.lstrip().startswith("@"):
            return re.match(rf"\s*(async\s+)?def\s+{re.escape(code.co_name)}\b", line) is not None
    return False


# What bplib offers that an exercise may forbid, by the name a student knows it by.
FINITE_DIFFERENCES = {
    "bplib.derivative (finite differences)": calculus.derivative,
    "bplib.gradient (finite differences)": calculus.gradient,
    "bplib.jacobian (finite differences)": calculus.jacobian,
    "bplib's numerical gradients (finite differences)": gradcheck.numerical_gradients,
    "bplib.gradient_check": gradcheck.gradient_check,
}
FORWARD = {"net(x) / net.forward(x), bplib's forward pass": MLP.forward}
BACKPROP = {
    "net.backward, bplib's backward pass": MLP.backward,
    "net.gradients, bplib's backpropagation": MLP.gradients,
    "bplib's backward pass": MLP._backward,
}
CHAIN = {
    "bplib.chain_rule": calculus.chain_rule,
    "bplib.jacobian_chain": calculus.jacobian_chain,
}
OWN_DERIVATIVES = {
    "f.derivative, a bplib Function's own derivative": calculus.Function.derivative,
    "f.jacobian, a bplib Function's own Jacobian": calculus.Function.jacobian,
}
BUILD_NETWORK = {"bplib.MLP, which builds W^(l) for you": MLP.__init__}
# What some exercises give besides GIVEN (their Rules' allow).
RUN_NETWORK = {"net(x), the forward pass": MLP.__call__, "net.forward(x)": MLP.forward}
GIVEN_DERIVATIVES = {"f.derivative(u), for a function you are given": calculus.Function.derivative}

# What every exercise gives: the network's numbers and the functions it is handed.
# Anything else of bplib, or of a library that differentiates, that an answer calls
# itself must be in its exercise's ``allow``.
GIVEN = {
    "net.W[l], net.b[l], trace.x[l], trace.s[l]": PerLayer.__getitem__,
    "net.W.L": PerLayer.L, "for l in net.W": PerLayer.__iter__, "len(net.W)": PerLayer.__len__,
    "l in net.W": PerLayer.__contains__, "net.W.keys()": PerLayer.keys,
    "net.W.items()": PerLayer.items, "net.W.values()": PerLayer.values,
    "net.W[l] = ...": Layers.__setitem__, "trace.x[l] = ...": PerLayer.__setitem__,
    "net.activation(l)": MLP.activation, "net.n_parameters": MLP.n_parameters,
    "trace.output": Trace.output,
    "f(x), for a function you are given": calculus.Function.__call__,
    "f.elementwise": calculus.Function.elementwise,
    "bplib.Function(...)": calculus.Function.__init__,
    "loss(x^(L), y), for a loss you are given": losses.Loss.__call__,
}
_ANY_OBJECT = {"__repr__", "__str__", "__format__", "__eq__", "__hash__", "__bool__"}

# What turns an input the check watches into a plain array or list, out of its sight.
_STRIP_METHODS = {"tolist", "view", "__array__", "tobytes"}


def _is_watched(a):
    """Whether ``a`` is an input a check watches (an array class of the course's)."""
    return isinstance(a, np.ndarray) and type(a).__module__.startswith("bpcourse")

REFERENCES = {}   # filled by reference(): the checks' own answers


def reference(fn):
    """Mark ``fn`` as a reference of the checks: no answer may call it."""
    REFERENCES[f"{fn.__module__}.{fn.__qualname__}, a reference of the checks"] = fn
    return fn


def _load_references():
    """Import every notebook's checks, so all their references are known."""
    import importlib
    import pkgutil

    import bpcourse

    for module in pkgutil.iter_modules(bpcourse.__path__):
        if re.fullmatch(r"nb\d+", module.name):
            importlib.import_module(f"bpcourse.{module.name}")


@dataclass
class Rules:
    """What an exercise asks for and what it forbids.

    Parameters
    ----------
    ask : str
        The method, in the lecture's words, e.g. "the Jacobian by central
        differences, written yourself".
    forbid : dict {name: function}
        What the answer may not call; the references of the checks are
        always added.
    allow : dict {name: function}
        What of bplib the answer may call itself, beyond :data:`GIVEN`;
        anything else of bplib, or of a library that differentiates (sympy,
        scipy, jax, ...), is refused.
    """

    ask: str
    forbid: dict = field(default_factory=dict)
    allow: dict = field(default_factory=dict)

    def codes(self):
        """{code object: name} of everything forbidden."""
        _load_references()
        named = {**self.forbid, **REFERENCES}
        return {_code(fn): name for name, fn in named.items()}

    def allowed(self):
        """The code objects of what the answer may call of bplib."""
        return {_code(fn) for fn in {**GIVEN, **self.allow}.values()}

    def refuse(self, names, who="your function"):
        """The Delegated error for an answer that called ``names``."""
        names = list(dict.fromkeys(names))
        return Delegated(
            f"{who} calls {', '.join(names)}. This exercise asks for {self.ask}; an answer "
            "that hands the work to bplib's own version (or to the checks' own answer) is not "
            "yours, so it does not count (in grading it scores 0)", names)


def _switches():
    """What turns a profiler off or starts code it does not watch: {function or code: name}.

    ``sys.setprofile`` is seen as it is called (a ``c_call`` event), so an
    answer that switches the watch off and back on is still seen; a thread
    runs without this thread's profiler, so starting one is refused too.
    """
    import _thread
    import multiprocessing.process
    import threading

    off = "sys.setprofile, which turns off the check's watch"
    thread = "a thread or process, which the check's watch does not follow"
    return {sys.setprofile: off, sys.settrace: off,
            _code(threading.setprofile): off, _code(threading.settrace): off,
            _thread.start_new_thread: thread, _code(threading.Thread.start): thread,
            _code(multiprocessing.process.BaseProcess.start): thread}


class Tracer:
    """Record calls into chosen code objects while active (a context manager).

    Parameters
    ----------
    forbidden : dict {code: name}
    counted : dict {code: name}
    inside : code object, optional
        Only calls with this code on the stack are recorded (the student's
        function, when the block also runs test code).
    allowed : set of code objects, optional
        What the answer may call of bplib (:meth:`Rules.allowed`); None
        allows everything not forbidden.
    """

    def __init__(self, forbidden=(), counted=(), inside=None, allowed=None):
        self.forbidden, self.counted = dict(forbidden), dict(counted)
        self.allowed = None if allowed is None else set(allowed)
        self.copies = {_fingerprint(code): f"a copy of {name}" for code, name in
                       self.forbidden.items() if len(code.co_code) >= COPY_MIN_BYTES}
        self._seen = {}   # id(code) -> (code, name or None): one fingerprint per code object
        self.inside = inside
        self.called, self.counts = [], Counter()
        self._old = None
        self._switches, self._closing = _switches(), False
        self.stripped = []   # how the answer turned a watched input into a plain one

    def _within(self, frame):
        if self.inside is None:
            return True
        while frame is not None:
            if frame.f_code is self.inside:
                return True
            frame = frame.f_back
        return False

    def _forbidden(self, code):
        """The name of what ``code`` runs if it is forbidden, or a copy of it; else None."""
        name = self.forbidden.get(code)
        if name is None and self.copies and len(code.co_code) >= COPY_MIN_BYTES:
            seen = self._seen.get(id(code))
            if seen is None or seen[0] is not code:
                copied = self.copies.get(_fingerprint(code))
                if copied and _written_in_a_cell(code):
                    copied = None
                seen = self._seen[id(code)] = (code, copied)
            name = seen[1]
        return name

    def _nested(self, frame):
        """Whether a forbidden call is already running: name only the outermost one."""
        frame = frame.f_back
        while frame is not None:
            if self._forbidden(frame.f_code):
                return True
            frame = frame.f_back
        return False

    def _unlisted(self, frame):
        """The name of the bplib (or autodiff) function ``frame`` runs, if the answer called
        it itself and its exercise does not list it; else None.

        What bplib runs inside a listed call is its own business; the checks' own
        answers (bpcourse's references) are forbidden by name instead.
        """
        code = frame.f_code
        if self.allowed is None or code in self.allowed or code.co_name in _ANY_OBJECT \
                or _kind(code) not in ("bplib", "autodiff"):
            return None
        caller = frame.f_back
        while caller is not None and _kind(caller.f_code) == "library":   # numpy, functools, ...
            caller = caller.f_back
        if caller is not None and _kind(caller.f_code) != "answer" \
                and caller.f_code is not _RUN_CODE:
            return None   # the library's own work, inside something the answer may call
        return f"{_dotted(code)}, which this exercise does not give you"

    def _strips(self, frame, arg):
        """How a C call made by the answer hides a watched input from the check, or None."""
        if _kind(frame.f_code) != "answer":
            return None
        owner = getattr(arg, "__self__", None)
        if _is_watched(owner) and getattr(arg, "__name__", None) in _STRIP_METHODS:
            return f".{arg.__name__}()"
        return None   # np.asarray(W) cannot be told from here: grading flags it from the source

    def _profile(self, frame, event, arg):
        if event == "c_call":
            if not self._closing and arg in self._switches and self._within(frame):
                self.called.append(self._switches[arg])
            elif not self._closing and self._within(frame):
                how = self._strips(frame, arg)
                if how:
                    self.stripped.append(how)
            return
        if event != "call":
            return
        code = frame.f_code
        if code in self._switches and self._within(frame.f_back):
            self.called.append(self._switches[code])
        name = self._forbidden(code)
        if name and self._within(frame) and not self._nested(frame):
            self.called.append(name)
        elif not name and self._within(frame):
            name = self._unlisted(frame)
            if name:
                self.called.append(name)
        if code in self.counted and self._within(frame):
            self.counts[self.counted[code]] += 1

    def __enter__(self):
        # No cyclic garbage collection while the answer runs: a collection starts when the
        # allocations of every thread (the kernel's own included) reach a count, at a moment
        # that depends on timing, and the finalizers it runs would be watched as if the answer
        # had called them. What the watch sees is then the answer's alone, on every run.
        self._collecting = gc.isenabled()
        gc.disable()
        self._old, self._hook = sys.getprofile(), self._profile   # one bound method, to compare
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        # An answer that turned the watch off (sys.setprofile) is refused, not trusted.
        self.tampered = sys.getprofile() is not self._hook
        if self.tampered:
            self.called.append("sys.setprofile, which turns off the check's watch")
        self._closing = True   # the watch's own sys.setprofile below is not the answer's
        sys.setprofile(self._old)
        if self._collecting:
            gc.enable()
        return False


# --- inputs that count what the method forbids ------------------------------------

class Log(Counter):
    """What was done to watched arrays: ``log[name, event]`` counts.

    Events: ``"item"`` (indexed by one sample or entry, ``a[n]``, ``a[n, k]``),
    ``"iter"`` (iterated over), ``"matmul"`` (a matrix product with a 2-D
    operand on the other side), ``"vecmat"`` (with a 1-D one), ``"grouped"``
    (handed to ``np.linalg.multi_dot``, which picks the order itself),
    ``"nudge"`` (a small number added or subtracted, as finite differences do).
    """


def _is_item(key):
    first = key[0] if isinstance(key, tuple) and key else key
    return is_whole(first)


class Watched(np.ndarray):
    """An array that writes what is done to it into a :class:`Log`."""

    def __array_finalize__(self, obj):
        self.log = getattr(obj, "log", None)
        self.name = getattr(obj, "name", None)

    def _note(self, event):
        if self.log is not None:
            self.log[self.name, event] += 1

    def __getitem__(self, key):
        if _is_item(key):
            self._note("item")
        return super().__getitem__(key)

    def __iter__(self):
        self._note("iter")
        return super().__iter__()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(v) if isinstance(v, Watched) else v for v in inputs]
        for v in inputs:
            if isinstance(v, Watched):
                others = [np.ndim(u) for u in inputs if u is not v]
                if ufunc is np.matmul:
                    v._note("matmul" if 2 in others and v.ndim == 2 else "vecmat")
                if ufunc in (np.add, np.subtract) and any(
                        np.ndim(u) == 0 and 0 < abs(float(u)) < 1e-2
                        for u in inputs if u is not v and isinstance(u, (int, float, np.number))):
                    v._note("nudge")
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Watched) else o
                                  for o in kwargs["out"])
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.dot, np.inner, np.linalg.multi_dot, np.einsum, np.tensordot, np.matmul):
            operands = args[0] if func is np.linalg.multi_dot else args
            arrays = [a for a in operands if isinstance(a, np.ndarray)]
            if func is np.linalg.multi_dot:   # numpy chooses the grouping, not the answer
                for a in arrays:
                    if isinstance(a, Watched):
                        a._note("grouped")
            elif sum(np.ndim(a) == 2 for a in arrays) >= 2:
                for a in arrays:
                    if isinstance(a, Watched):
                        a._note("matmul")
            else:
                for a in arrays:
                    if isinstance(a, Watched):
                        a._note("vecmat")
        return super().__array_function__(func, (np.ndarray,) * len(types), args, kwargs)


def watched(a, name, log):
    """A copy of ``a`` that records into ``log`` under ``name``."""
    w = np.array(a, dtype=float).view(Watched)
    w.log, w.name = log, name
    return w


# --- calling the student's function -----------------------------------------------

@dataclass
class Outcome:
    """What :func:`run` saw: the result and the counted calls."""
    value: object
    counts: Counter


def _snapshot(value):
    """Copies of the arrays inside an argument, to see later whether they changed."""
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, MLP):
        return {"W": [np.array(value.W[l]) for l in value.W],
                "b": [np.array(value.b[l]) for l in value.b]}
    if isinstance(value, Trace):
        return {"x": {l: np.array(v) for l, v in value.x.items()},
                "s": {l: np.array(v) for l, v in value.s.items()}}
    if isinstance(value, (list, tuple)) and all(isinstance(v, np.ndarray) for v in value):
        return [np.array(v) for v in value]
    return None


def _same(a, b):
    # Rounding is not a change: w + h - 2h + h need not be w to the last bit.
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-12, atol=1e-15, equal_nan=True))


def _changed(before, value):
    if before is None:
        return False
    if isinstance(value, np.ndarray):
        return not _same(before, value)
    if isinstance(value, MLP):
        return not all(_same(a, value.W[l]) for l, a in zip(value.W, before["W"])) or \
            not all(_same(a, value.b[l]) for l, a in zip(value.b, before["b"]))
    if isinstance(value, Trace):
        return any(l not in getattr(value, k) or not _same(before[k][l], getattr(value, k)[l])
                   for k in ("x", "s") for l in before[k])
    return len(value) != len(before) or not all(_same(a, b) for a, b in zip(before, value))


def _parameter_names(fn, n):
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n)]


SHAPE_RULE = ("a matrix product P @ Q needs as many columns in P as rows in Q: (a, b) @ (b, c) "
              "gives (a, c)")


def numpy_error(error, hint=""):
    """The lecture's words for a numpy shape error, or None when it is not one.

    Parameters
    ----------
    error : Exception
    hint : str
        What the exercise's shapes are, e.g. "W^(l) has shape (d_l, d_{l-1})".
    """
    text = str(error)
    sizes = re.search(r"size (\d+) is different from (\d+)", text)
    aligned = re.search(r"shapes (\([\d, ]*\)) and (\([\d, ]*\)) not aligned", text)
    broadcast = re.search(r"could not be broadcast together with shapes (.*)", text)
    if "matmul" in text and sizes:
        said = (f"stopped at a matrix product whose sides have {sizes.group(2)} and "
                f"{sizes.group(1)} where they must meet: {SHAPE_RULE}")
    elif aligned:
        said = (f"stopped at a product of shapes {aligned.group(1)} and {aligned.group(2)}: "
                f"{SHAPE_RULE}")
    elif broadcast:
        said = (f"stopped combining arrays of shapes {broadcast.group(1).strip()} entry by "
                "entry: element-wise operations need the same shape (or a row added to every "
                "row, as b^(l) in S = X W^T + b)")
    elif re.search(r"index -?\d+ is out of bounds for axis \d+ with size \d+", text):
        size = re.search(r"with size (\d+)", text).group(1)
        said = (f"stopped at an index past the end of an axis of size {size}, whose indices "
                f"are 0..{int(size) - 1}: neurons j, k are numbered from 0, as in numpy")
    else:
        return None
    return f"{said}. {hint}".strip()


def run(fn, *args, rules=None, count=None, hint="", changed=None, who=None):
    """Call the student's ``fn(*args)`` the way a check does.

    Parameters
    ----------
    fn : callable
    rules : Rules, optional
        Forbidden calls raise :class:`Delegated`.
    count : dict {name: function}, optional
        Calls to count while fn runs; in ``Outcome.counts[name]``.
    hint : str
        The exercise's shapes in the lecture's words, added to a numpy shape error.
    changed : dict {argument index: message}, optional
        The message for an argument changed in place (default: a general one).
    who : str, optional
        How to call fn in messages, default "your <name>".

    Returns
    -------
    Outcome

    Raises
    ------
    AssertionError
        Delegated, a shape error in the lecture's words, or an input changed in place.
    """
    who = who or f"your {getattr(fn, '__name__', 'function')}"
    forbidden = rules.codes() if rules else {}
    counted = {_code(f): name for name, f in (count or {}).items()}
    before = [_snapshot(a) for a in args]
    tracer = Tracer(forbidden, counted, allowed=rules.allowed() if rules else None)
    try:
        with tracer:
            value = fn(*args)
    except (ValueError, IndexError, TypeError) as e:
        if tracer.called:
            raise rules.refuse(tracer.called, who) from None
        said = numpy_error(e, hint)
        if said is None:
            raise
        raise ShapeError(f"{who} {said}") from None
    if tracer.called:
        raise rules.refuse(tracer.called, who)
    if tracer.stripped:
        raise MethodError(
            f"{who} turns an input into a plain copy ({', '.join(dict.fromkeys(tracer.stripped))}), "
            "out of the check's sight: the check follows how the arrays it passes are used, to "
            "see the method the exercise asks for. They are numpy arrays already: use them as "
            "they are, and run the check again")
    names = _parameter_names(fn, len(args))
    for i, (b, a) in enumerate(zip(before, args)):
        if _changed(b, a):
            raise AssertionError((changed or {}).get(i) or (
                f"{who} changed its input `{names[i]}` in place (+=, *= or an assignment into "
                "it); the caller's arrays must stay as they were: compute new arrays instead"))
    return Outcome(value, tracer.counts)


_RUN_CODE = run.__code__   # whatever run calls is the answer itself


def as_array(value, what, shape=None, rule=""):
    """``value`` as a float array, naming a list or a wrong kind of answer.

    With ``shape``, a wrong shape is named by the student's own shape and the
    lecture's ``rule``, never by the shape it should have.
    """
    if isinstance(value, list):
        raise AssertionError(f"{what} is a Python list; return a numpy array "
                             "(np.array(...) or np.stack(...))")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a numpy array of numbers, got "
                             f"{type(value).__name__}") from None
    if shape is not None and a.shape != tuple(shape):
        yours = what if what.startswith("your") else f"your {what}"
        raise AssertionError(f"{yours} has shape {a.shape}: {rule}")
    return a


def pair(value, what, example):
    """Check a returned pair, naming a list."""
    if isinstance(value, list) and len(value) == 2:
        raise AssertionError(f"{what}: you returned a list [.., ..]; return the pair as a tuple, "
                             f"`return {example}`")
    if not (isinstance(value, tuple) and len(value) == 2):
        raise AssertionError(f"{what}: return the pair, `return {example}`, "
                             f"got {type(value).__name__}")
    return value
