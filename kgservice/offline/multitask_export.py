"""The multitask scorer's ONNX export, published only once it matches torch on real rows under every head."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kgservice.errors import KgServiceError
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.offline.model_folder import tool_versions
from kgservice.offline.multitask_examples import ExampleSet
from kgservice.offline.multitask_network import SEED, torch_module
from kgservice.pipeline.multitask_scorer import DOMAINS, MANIFEST_FILE, MODEL_FILE, ONNX_INPUTS, ONNX_OUTPUTS

OPSET = 17
MAX_ABS_DIFF = 1e-4


def export_onnx(net: Any, sample: ExampleSet, out_dir: Path, manifest: dict[str, Any], rows: int = 2048,
                seed: int = SEED) -> Path:
    """Write ``model.onnx``, check it against torch on real rows under every head, then ``manifest.json``.

    Raises:
        KgServiceError: ONNX and torch disagree by more than :data:`MAX_ABS_DIFF`; nothing is published.
    """
    torch = torch_module()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST_FILE).unlink(missing_ok=True)  # no valid manifest until the check passes
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(sample), size=min(rows, len(sample)), replace=False)
    check = sample.rows(idx)
    domain = rng.integers(0, len(DOMAINS), size=len(idx))  # every head, whatever the row's own domain
    check = (*check[:4], domain.astype(np.int64))
    tensors = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in check)
    path = out_dir / MODEL_FILE
    tmp = out_dir / f".{MODEL_FILE}.tmp"
    dynamic = {name: {0: "n"} for name in (*ONNX_INPUTS, *ONNX_OUTPUTS)}
    net.eval()
    torch.onnx.export(net, tensors, str(tmp), input_names=list(ONNX_INPUTS), output_names=list(ONNX_OUTPUTS),
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    got = session.run(list(ONNX_OUTPUTS), dict(zip(ONNX_INPUTS, check, strict=True)))
    with torch.no_grad():
        want = [t.numpy() for t in net(*tensors)]
    diff = max(float(np.abs(g - w).max()) for g, w in zip(got, want, strict=True))
    if not diff <= MAX_ABS_DIFF:
        tmp.unlink(missing_ok=True)
        raise KgServiceError(f"ONNX export of the multitask scorer differs from torch by {diff:.2e} "
                             f"(> {MAX_ABS_DIFF}); nothing was published")
    tmp.replace(path)
    manifest = {**manifest, "opset": OPSET, "inputs": list(ONNX_INPUTS), "outputs": list(ONNX_OUTPUTS),
                "verification": {"rows": len(idx), "max_abs_diff": diff}, "sha256": sha256_file(path),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "versions": tool_versions(("torch", "onnx", "onnxruntime", "numpy"))}
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return out_dir
