"""A published model folder: its files' checksums, its manifest, the tools that made it, and the
scratch-then-rename publishing that leaves an existing folder untouched when an export fails.

Every exporter (the encoders, the static tower, the multitask scorer, the mention detector) writes its
folder through these, so manifests look the same and a half-written folder is never served.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kgservice.inference.onnx_encoder import sha256_file

# The libraries whose versions a model's manifest records (the ones installed are listed).
EXPORT_TOOLS = ("torch", "transformers", "onnx", "onnxruntime", "tokenizers", "numpy")
DESCRIBING_FILES = ("manifest.json", "MODEL_CARD.md")


def tool_versions(dists: Iterable[str] = EXPORT_TOOLS) -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for dist in dists:
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:  # pragma: no cover - depends on the environment
            pass
    return out


def file_entries(directory: Path) -> dict[str, dict[str, Any]]:
    """Checksums and sizes of a model folder's files; the manifest and model card describe them and are
    not listed."""
    return {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in sorted(directory.iterdir())
            if p.is_file() and p.name not in DESCRIBING_FILES}


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


@contextmanager
def publishing(out_dir: Path) -> Iterator[Path]:
    """A scratch folder next to ``out_dir`` that replaces it in one rename when the block succeeds.

    On an error nothing is published and the scratch folder is removed, so a failed export leaves
    an existing ``out_dir`` untouched.
    """
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=_parent(out_dir)))
    try:
        yield work
        _publish(work, out_dir)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _publish(work: Path, out_dir: Path) -> None:
    work.chmod(0o755)  # mkdtemp makes it 0700
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{int(time.time())}")
        out_dir.rename(old)
        work.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(out_dir)




def _parent(out_dir: Path) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return out_dir.parent
