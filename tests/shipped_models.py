"""The checks every model committed under kgservice/models/ passes: its manifest's files, checksums and size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kgservice.inference.onnx_encoder import sha256_file
from kgservice.offline.distill import SHIPPED_FILES

# The budget for a committed model.
MAX_MODEL_BYTES = 30_000_000


def checked_manifest(folder: Path, model_id: str) -> dict[str, Any]:
    """``folder``'s manifest, after asserting it names ``model_id``, lists the shipped files and that
    each file matches its SHA-256 and the int8 model fits the budget."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model_id"] == model_id
    assert sorted(manifest["files"]) == sorted(SHIPPED_FILES)
    for name, entry in manifest["files"].items():
        assert sha256_file(folder / name) == entry["sha256"], name
    assert (folder / "model.int8.onnx").stat().st_size < MAX_MODEL_BYTES
    return manifest
