"""The exercise functions of the solution notebooks, defined from their solution cells."""
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


def define(source, name):
    """Run ``source`` (one cell) and return the function it defines as ``name``.

    The cell's text goes into ``linecache`` under its name, as IPython keeps a cell's.
    """
    ns, filename = namespace(), f"<cell defining {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)
    return ns[name]


def solution_functions():
    """{function name: function} for every exercise of solutions/."""
    found = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("solution"):
                source = "".join(cell["source"])
                name = source.split("def ", 1)[1].split("(", 1)[0]
                found[name] = define(source, name)
    return found
