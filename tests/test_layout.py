"""The package's architecture and the notebooks' shape, checked so they stay as documented.

Layers (lowest first): settings and paths, then data, occupations, extraction, regional,
recommender, then the outputs (publish, service) and the Spark engine (scale), benchmarks and the CLI. A module may import
from its own subpackage and from lower layers only.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "skills_engine"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: Layer of every top-level module and subpackage; the longest matching prefix decides.
LAYERS = {
    "config": 0,
    "paths": 1,
    "atomic": 1,
    "disclosure": 1,
    "intervals": 1,
    "data.sourcing": 2,
    "getters": 3,
    "runner": 3,
    "data": 4,
    "occupations": 5,
    "extraction": 6,
    "regional": 7,
    "recommender": 8,
    "scale": 9,
    "publish": 9,
    "service": 9,
    "bench": 10,
    "cli": 11,
}
#: Largest module (lines): past this a module holds more than one job.
MAX_MODULE_LINES = 500
#: Most modules at the package's top level: everything else lives in a subpackage of the story.
#: The top level holds settings, paths, atomic writes, the getters, the runner, the CLI and the
#: two rules every published figure follows whatever its chapter (``disclosure``, ``intervals``).
MAX_TOP_LEVEL_MODULES = 9


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(name: str) -> tuple[str, int]:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    raise AssertionError(f"skills_engine.{name} has no layer in LAYERS: add it")


def _imports(path: Path) -> set[str]:
    """Every skills_engine module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "skills_engine":
            base = node.module.removeprefix("skills_engine").lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}".lstrip(".")
                found.add(
                    candidate
                    if (PACKAGE / candidate.replace(".", "/")).with_suffix(".py").exists()
                    or (PACKAGE / candidate.replace(".", "/")).is_dir()
                    else base
                )
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("skills_engine.") for a in node.names if a.name.startswith("skills_engine.")}
    return {name for name in found if name}


def test_no_module_imports_upwards_or_sideways():
    wrong = []
    for path in _modules():
        importer = _name(path)
        if not importer:
            continue
        group, layer = _layer(importer)
        for imported in _imports(path):
            other_group, other_layer = _layer(imported)
            if other_group != group and other_layer >= layer:
                wrong.append(
                    f"skills_engine.{importer} (layer {layer}) imports skills_engine.{imported} (layer {other_layer})"
                )
    assert not wrong, "imports must run downwards:\n" + "\n".join(wrong)


def test_layer_check_catches_an_upward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from skills_engine.cli import app\nfrom skills_engine.data import adverts\n")
    assert _imports(module) == {"cli", "data.adverts"}
    assert _layer("data.adverts")[1] < _layer("cli")[1]


def test_top_level_is_small_and_modules_are_short():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    long = {
        str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_every_subpackage_says_what_it_owns_and_imports_nothing(package):
    init = PACKAGE / package / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    assert len(doc) > 120, f"{package}/__init__.py needs a docstring saying what it owns and what it may import"
    assert "import" in doc, f"{package}/__init__.py should say what it may import"
    eager = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom) and n.module != "__future__"]
    assert not eager, f"{package}/__init__.py imports at import time (nothing heavy runs at import)"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("notebook", _notebooks(), ids=lambda p: p.name)
def test_notebook_opens_with_title_then_parameters_and_is_clean(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    first, second = cells[0], cells[1]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# "), "first cell: a # title"
    assert len("".join(first["source"]).split("\n\n", 1)[-1]) > 100, "the title cell needs a one-paragraph summary"
    assert second["cell_type"] == "code" and "parameters" in second.get("metadata", {}).get("tags", []), (
        "second cell: the code cell tagged `parameters`"
    )
    for cell in second["source"]:
        value = cell.split("#", 1)[0].strip()
        if value:
            assert "=" in value and "(" not in value.split("=", 1)[1], f"parameters are plain values: {cell!r}"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not any(c.get("outputs") or c.get("execution_count") for c in code), "committed outputs: strip them"
    for cell in code:
        tree = ast.parse(
            "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
        )
        defined = [
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        ]
        assert not defined, f"notebooks define no functions (move {defined} into src/skills_engine)"
