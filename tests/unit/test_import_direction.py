"""Which package may import which, read from the source with ``ast`` (imports inside functions count).

The offline floor (``kgservice/offline``: training, export, artifact building) may import the serving
packages; nothing that serves imports it back, so the serving install never reaches torch or a
builder. ``kgservice/inference`` (encoder, index, artifact paths) sits below the pipeline and never
imports it. The CLI is the one module that dispatches to both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kgservice"
# The command modules that dispatch to offline work (`kgservice index build`, `kgservice models ...`, `kgservice graph related`),
# each importing it inside its handler.
ENTRY_POINTS = {"cli/index.py", "cli/models.py", "cli/graph.py"}


def imported_modules(source: str) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names, with ``from a import b`` as both a and a.b."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def imports_of(paths: list[Path], forbidden: str) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(m for m in imported_modules(path.read_text(encoding="utf-8"))
                     if m == forbidden or m.startswith(f"{forbidden}."))
        if bad:
            found[path.name if PACKAGE not in path.parents else path.relative_to(PACKAGE.parent).as_posix()] = bad
    return found


def serving_files() -> list[Path]:
    offline = PACKAGE / "offline"
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if offline not in p.parents and p.relative_to(PACKAGE).as_posix() not in ENTRY_POINTS]


@pytest.mark.parametrize(("source", "expected"), [
    ("import kgservice.offline.calibrate", True),
    ("from kgservice.offline import calibrate", True),
    ("from kgservice import offline", True),
    ("def f():\n    from kgservice.offline.index_builder import build_indexes\n", True),
    ("from kgservice.offline_notes import x", False),
    ("from kgservice.inference import artifacts", False),
])
def test_import_direction_parser_sees_every_form(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert bool(imports_of([path], "kgservice.offline")) is expected


def test_import_direction_serving_never_imports_offline():
    files = serving_files()
    for package in ("pipeline", "inference", "graph", "api", "nearline", "batch"):
        assert any(PACKAGE / package in p.parents for p in files), f"no files found in kgservice/{package}"
    assert imports_of(files, "kgservice.offline") == {}


def test_import_direction_inference_never_imports_pipeline():
    files = sorted((PACKAGE / "inference").rglob("*.py"))
    assert files
    assert imports_of(files, "kgservice.pipeline") == {}
