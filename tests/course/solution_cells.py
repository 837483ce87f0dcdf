"""The exercise functions of the solution notebooks, defined from their solution cells."""
import functools
import json
import linecache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import bplib

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def namespace():
    """What the notebooks' setup cells import."""
    return {"np": np, "bplib": bplib, "SimpleNamespace": SimpleNamespace}


def define(source, name, ns=None):
    """Run ``source`` (one cell) and return the function it defines as ``name``.

    The cell's text goes into ``linecache`` under its name, as IPython keeps a cell's. It runs
    beside the solutions' other exercise functions, as in its notebook, where a later answer
    calls the earlier ones (08's backward pass calls layer_backward); or in ``ns``.
    """
    if ns is None:
        ns = {**namespace(), **{k: v for k, v in _solutions().items() if k != name}}
    filename = f"<cell defining {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)
    return ns[name]


def solution_functions():
    """{function name: function} for every exercise of solutions/, a notebook's in one namespace."""
    return dict(_solutions())


@functools.lru_cache(maxsize=None)
def _solutions():
    found = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        ns = namespace()
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("solution"):
                source = "".join(cell["source"])
                name = next(line.split()[1].split("(")[0].rstrip(":") for line in source.split("\n")
                            if line.startswith(("def ", "class ")))   # the first function or class
                filename = f"<cell defining {name}>"
                linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
                exec(compile(source, filename, "exec"), ns)
                found[name] = ns.get(name)
    return found
