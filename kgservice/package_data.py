"""Files that ship inside the package: named Cypher, schema statements, the models, the Neo4j launcher.

They are package data (pyproject.toml, ``[tool.setuptools.package-data]``), so a wheel installed into
any environment carries them, and they are found through :mod:`importlib.resources` rather than
relative to a source checkout. Consumers need real paths (``mvn -f``, ``java Launcher.java``, ONNX
Runtime opens model files by name), so a package imported from a zip is refused with the reason.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from kgservice.errors import KgServiceError


def package_dir() -> Path:
    """The installed ``kgservice`` package as a directory on disk."""
    root = importlib.resources.files("kgservice")
    if not isinstance(root, Path):
        raise KgServiceError(f"kgservice is imported from {root!r}, not a directory: install the wheel "
                             "unpacked (pip install) so its Cypher files, schema and models can be opened")
    return root


def data_path(*parts: str) -> Path:
    """A file or folder shipped in the package, e.g. ``data_path("cypher", "merge_skills.cypher")``."""
    return package_dir().joinpath(*parts)


def checkout_root() -> Path | None:
    """The source checkout the package runs from (a pyproject.toml beside the package), else None."""
    parent = package_dir().parent
    if (parent / "pyproject.toml").is_file() and (parent / "kgservice" / "__init__.py").is_file():
        return parent
    return None
