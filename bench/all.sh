#!/usr/bin/env bash
# The benchmarks docs/benchmarks.md reports, each written to bench/results/NAME.txt headed by its command,
# date, commit and machine.  `bash bench/all.sh` runs them all; `bash bench/all.sh quality speed` some.
# Needs what `make run` builds (Neo4j up, taxonomy loaded, index built); the sentence-level and peer rows
# also need ../shared/data and .venv-bench (bench/peers_setup.sh), and say so when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
declare -A CMD=(
  [quality]="bench/quality.py"
  [documents]="bench/documents.py --sweep"
  [implied]="bench/implied.py"
  [speed]="bench/speed.py"
  [expansion]="bench/expansion.py"
  [multilingual]="bench/multilingual.py"
  [same_as_audit]="bench/same_as_audit.py"
  [broader_audit]="bench/broader_audit.py"
)
ORDER=(quality documents implied speed expansion multilingual same_as_audit broader_audit)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${ORDER[@]}")
mkdir -p bench/results
for name in "${names[@]}"; do
  cmd=${CMD[$name]:-}
  if [ -z "$cmd" ]; then echo "unknown benchmark $name (known: ${ORDER[*]})" >&2; exit 2; fi
  script=${cmd%% *}
  if [ ! -f "$script" ]; then echo "skip $name: $script is not in this checkout"; continue; fi
  out=bench/results/$name.txt
  echo "== $name -> $out"
  {
    echo "command: python $cmd"
    echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/^Mem/{print $2}') GiB"
    echo
    # Progress bars and model-loading chatter go to stderr; the tables are on stdout.
    COLUMNS=${COLUMNS:-160} $PY $cmd 2>/dev/null
  } > "$out.part" && mv "$out.part" "$out"
  tail -n +6 "$out"
done
