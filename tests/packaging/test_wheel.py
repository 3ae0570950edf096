"""The wheel carries everything the service opens at run time (kgservice/package_data.py).

.ci/run also installs it into a clean venv from a copy of the repository and runs it against Neo4j.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from kgservice.package_data import data_path
from kgservice.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(PROJECT_ROOT)], check=True, timeout=600)
    [wheel] = out.glob("kgservice-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def shipped(folder: str, pattern: str) -> set[str]:
    root = data_path()
    return {p.relative_to(root.parent).as_posix() for p in data_path(folder).rglob(pattern) if p.is_file()}


def test_wheel_holds_cypher_schema_models_and_launcher(wheel_names: set[str]):
    expected = (shipped("cypher", "*.cypher") | shipped("schema", "*") | shipped("neo4j_launcher", "*")
                | shipped("loaders", "*.py"))
    assert expected and expected <= wheel_names, sorted(expected - wheel_names)
    models = {n for n in wheel_names if n.startswith("kgservice/models/")}
    for model in ("kgservice-skills-student-L3", "kgservice-skills-static", "kgservice-mentions"):
        assert f"kgservice/models/{model}/manifest.json" in models
        assert f"kgservice/models/{model}/tokenizer.json" in models
    assert "kgservice/models/kgservice-skills-student-L3/model.int8.onnx" in models


def test_wheel_has_no_top_level_package_but_kgservice(wheel_names: set[str]):
    tops = {n.split("/", 1)[0] for n in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"kgservice"}
