"""pyproject.toml and environment.yml name the same dependencies; importing bplib is light."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    """'numpy>=1.24' -> 'numpy' (conda and PyPI spell these the same)."""
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_name(d): d for d in deps}


def conda_requirements():
    names = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+.*)$", line)  # top-level entries only, not pip:
        if m and not m.group(1).startswith("pip:"):
            names[_name(m.group(1))] = m.group(1).replace(" ", "")
    names.pop("python", None)
    names.pop("pip", None)
    return names


def test_same_dependencies():
    assert set(pyproject_requirements()) == set(conda_requirements())


def test_same_lower_bounds():
    conda = conda_requirements()
    for name, req in pyproject_requirements().items():
        assert req.replace(" ", "") == conda[name], f"{name}: {req} vs {conda[name]}"


def test_environment_installs_the_package():
    assert "-e ." in (ROOT / "environment.yml").read_text()


def test_import_leaves_matplotlib_and_ipywidgets_until_they_are_used():
    code = ("import sys, bplib\n"
            "assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules\n"
            "assert callable(bplib.plots.draw_network) and 'matplotlib' in sys.modules\n"
            "assert bplib.widgets.Playground and 'ipywidgets' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
