"""The environments install: pyproject.toml, environment.yml (conda and Binder), the rooms."""
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The rooms, each importing only those after it: tools -> course -> library.
ROOMS = ["bpinstructor", "bpcourse", "bplib"]


def _name(requirement):
    """'numpy>=1.24' -> 'numpy' (conda and PyPI spell these the same)."""
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _environment():
    import yaml  # PyYAML comes with the test extra (jupyter-events, nbgrader)

    return yaml.safe_load((ROOT / "environment.yml").read_text())


def student_requirements():
    """What the student's environment needs: the library and the `lab` extra."""
    deps = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["lab"]
    return {_name(d): d.replace(" ", "") for d in deps}


def conda_requirements():
    names = {_name(d): d.replace(" ", "") for d in _environment()["dependencies"]
             if isinstance(d, str)}
    names.pop("python")
    names.pop("pip")
    return names


def pip_section():
    (section,) = [d["pip"] for d in _environment()["dependencies"] if isinstance(d, dict)]
    return section


def test_environment_is_the_students():
    assert conda_requirements() == student_requirements()


def test_students_environment_has_nothing_of_the_instructors_or_the_tests():
    extras = PROJECT["optional-dependencies"]
    others = {_name(d) for e in ("instructor", "test") for d in extras[e]} - {"bplib", "ipykernel"}
    assert not others & set(student_requirements())


def test_pip_section_installs_this_project(tmp_path):
    """pip's own parser reads the section as conda hands it over: a requirements file."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(pip_section()) + "\n")
    (parsed,) = parse_requirements(str(requirements), session=PipSession())
    assert parsed.is_editable and parsed.requirement == "."


def test_binder_builds_the_environment_after_copying_the_repository(monkeypatch):
    """repo2docker's own rules: a local pip requirement defers the environment to after the copy."""
    from repo2docker.buildpacks.conda import CondaBuildPack

    monkeypatch.chdir(ROOT)
    pack = CondaBuildPack("buildpack-deps:jammy")
    assert pack.detect()
    assert pack._should_preassemble_env is False
    assert pack.python_version == _environment()["dependencies"][0].split("=")[1]


def test_python_floor_is_the_one_ci_runs():
    floor = PROJECT["requires-python"].removeprefix(">=")
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == floor


def _imports(path):
    """The top-level package names a module imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("room, tests", list(zip(ROOMS, ["instructor", "course", "library"])))
def test_imports_run_one_way(room, tests):
    """A room, and the tests of that room, import only that room and the rooms after it."""
    later_rooms_only = set(ROOMS[:ROOMS.index(room)])
    for path in sorted((ROOT / room).rglob("*.py")) + sorted((ROOT / "tests" / tests).rglob("*.py")):
        wrong = _imports(path) & later_rooms_only
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def _project_imports(name, path, modules):
    """The project's modules that module ``name`` imports, anywhere in it (late imports too).

    An import of a package that contains the module (its own ``__init__``) is left
    out: walking one's own package is not a circle of ideas.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
    return {m for m in found if m in modules and not name.startswith(m + ".") and m != name}


def test_no_import_circle():
    """No module imports, through others or directly, a module that imports it."""
    modules = {}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: _project_imports(name, path, modules) for name, path in modules.items()}

    def reaches(start, goal, seen):
        return any(m == goal or (m not in seen and not seen.add(m) and reaches(m, goal, seen))
                   for m in graph[start])

    circles = sorted(name for name in graph if reaches(name, name, set()))
    assert not circles, f"modules in an import circle: {circles}"


def test_import_is_light():
    """No notebook machinery, and no drawing or widgets until they are used."""
    code = ("import sys, bplib, bpcourse\n"
            "heavy = {'matplotlib', 'ipywidgets', 'nbformat', 'nbclient', 'jupyter_client'}\n"
            "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
            "assert callable(bplib.plots.draw_network) and 'matplotlib' in sys.modules\n"
            "assert bplib.widgets.Playground and 'ipywidgets' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_command_line(tmp_path):
    def bplib(*args):
        return subprocess.run([sys.executable, "-m", "bplib", *args], capture_output=True,
                              text=True, cwd=tmp_path, timeout=60)

    import bplib as library

    assert bplib("--version").stdout.strip() == f"bplib {library.__version__}"
    top = bplib("--help")
    assert top.returncode == 0 and "student" in top.stdout and "example" in top.stdout
    for command in ("student", "grade"):
        sub = bplib(command, "--help")
        assert sub.returncode == 0 and "example:" in sub.stdout, sub.stderr
    missing = bplib("student", "no-such-dir", "out")
    assert missing.returncode == 2 and "no-such-dir" in missing.stderr
    assert not (tmp_path / "out").exists()
    (tmp_path / "empty").mkdir()
    empty = bplib("student", "empty", "out", "--check")
    assert empty.returncode == 2 and "no notebooks" in empty.stderr
    no_students = bplib("grade", "empty", "--solutions", str(ROOT / "solutions"))
    assert no_students.returncode == 2 and "no student folders in empty" in no_students.stderr
    assert not (tmp_path / "grades.sqlite").exists()
