"""LayerNormalization cost in the installed ONNX Runtime, against an elementwise Add of the same tensor.

Run: ``.venv/bin/python bench/layer_norm.py``. Why it exists: from ONNX Runtime 1.30 on, the CPU
LayerNormalization kernel (and the fused SkipLayerNormalization the student uses six times) runs about
5.5 times slower on this machine's x86 CPUs than in 1.29, which made the int8 student 1.6x slower per
posting; ``pyproject.toml`` keeps ``onnxruntime<1.30`` for that reason. Run this in an environment with
another ONNX Runtime version to check whether a newer release fixed it before lifting the pin.

Prints, for one ``[10, 13, 384]`` float tensor (ten 13-token pieces, the student's width), the time per
call of Add (baseline), Add + LayerNormalization and SkipLayerNormalization, as a ratio to Add; then the
student's int8 encoder time per posting on the speed benchmark's pieces when its model is present.
Pinned to one CPU, one ONNX Runtime thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.inference.onnx_encoder import onnxruntime_module  # noqa: E402

HIDDEN = 384
SHAPE = (10, 13, HIDDEN)


def _session(nodes: list, initializers: list) -> object:
    from onnx import TensorProto, helper

    ort = onnxruntime_module("bench/layer_norm.py")
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["B", "S", HIDDEN]) for n in ("x", "skip")]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", "S", HIDDEN])]
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializers)
    # IR 9 / opset 17: what the exported student uses, loadable by every ONNX Runtime since 1.15.
    model = helper.make_model(graph, ir_version=9, opset_imports=[helper.make_opsetid("", 17),
                                                                  helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def time_call(session: object, feeds: dict[str, np.ndarray], calls: int) -> float:
    for _ in range(50):
        session.run(None, feeds)  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(calls):
        session.run(None, feeds)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / calls


def encoder_ms_per_posting(n_postings: int) -> float | None:
    from postings import posting_pieces, postings

    from kgservice.inference import artifacts
    from kgservice.inference.onnx_encoder import INT8_FILE, OnnxEncoder
    from kgservice.settings import Settings

    model_dir = artifacts.model_dir(Settings())
    if not (model_dir / INT8_FILE).exists():
        return None
    pieces = list(dict.fromkeys(p for per_posting in posting_pieces(postings(n_postings)) for p in per_posting))
    encoder = OnnxEncoder.load(model_dir, quantized=True, threads=1)
    encoder.encode(pieces[:100])
    best = min(_timed(encoder.encode, pieces) for _ in range(3))
    return best * 1000 / n_postings


def _timed(fn: object, arg: object) -> float:
    started = time.perf_counter()
    fn(arg)  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    from onnx import helper, numpy_helper

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postings", type=int, default=60, help="postings whose pieces the encoder embeds")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    ort = onnxruntime_module("bench/layer_norm.py")
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal(SHAPE, dtype=np.float32), "skip": rng.standard_normal(SHAPE, dtype=np.float32)}
    weights = [numpy_helper.from_array(rng.random(HIDDEN, dtype=np.float32), "gamma"),
               numpy_helper.from_array(rng.random(HIDDEN, dtype=np.float32), "beta")]
    graphs = {
        "Add (baseline)": ([helper.make_node("Add", ["x", "skip"], ["y"])], []),
        "Add + LayerNormalization": ([helper.make_node("Add", ["x", "skip"], ["sum"]),
                                      helper.make_node("LayerNormalization", ["sum", "gamma", "beta"], ["y"],
                                                       axis=-1, epsilon=1e-12)], weights),
        "SkipLayerNormalization (fused)": ([helper.make_node("SkipLayerNormalization", ["x", "skip", "gamma", "beta"],
                                                             ["y"], domain="com.microsoft", epsilon=1e-12)], weights),
    }
    elements = int(np.prod(SHAPE))
    table = Table(title=f"ONNX Runtime {ort.__version__}: one {list(SHAPE)} float tensor, 1 thread")
    for col in ("graph", "us/call", "ns/element", "time / Add"):
        table.add_column(col, justify="left" if col == "graph" else "right")
    base = None
    for name, (nodes, inits) in graphs.items():
        seconds = time_call(_session(nodes, inits), feeds, args.calls)
        base = base or seconds
        table.add_row(name, f"{seconds * 1e6:.1f}", f"{seconds / elements * 1e9:.2f}", f"{seconds / base:.1f}")
    console = Console(width=120)
    console.print(table)
    per_posting = encoder_ms_per_posting(args.postings)
    if per_posting is None:
        console.print("student int8 model not found: encoder timing skipped")
    else:
        console.print(f"student int8 encoder: {per_posting:.2f} ms per posting "
                      f"({args.postings} postings' distinct pieces, 1 thread)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
