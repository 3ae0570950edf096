"""Importing kgservice before numpy keeps OpenBLAS to one thread (see kgservice/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import os
{first}
import numpy as np
a = np.ones((64, 20, 384), np.float32); b = np.ones((64, 384, 30), np.float32)
a @ b
print(len(os.listdir('/proc/self/task')))
"""


def _threads(first: str) -> int:
    # OpenBLAS also obeys GOTO_NUM_THREADS and OMP_NUM_THREADS: the probe must not inherit a limit.
    env = {k: v for k, v in os.environ.items() if k not in {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}}
    out = subprocess.run([sys.executable, "-c", PROBE.format(first=first)], env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    return int(out.stdout.strip())


def test_importing_kgservice_first_keeps_numpy_matmul_on_one_thread() -> None:
    assert _threads("import kgservice") == 1
    if (os.cpu_count() or 1) > 1 and sys.platform == "linux":
        # The probe can tell: without kgservice, OpenBLAS starts its worker threads for this product.
        assert _threads("") > 1
