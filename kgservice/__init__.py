"""kgservice: find skills in text, link them to a skills taxonomy held in Neo4j, write scored edges."""

import os

# numpy's OpenBLAS starts a thread per core for a matrix product above a small size and lets them
# spin after it. The serving paths multiply small matrices (the tagger's window re-ranking: tens of
# rows by 30 candidates), where extra threads gain nothing and their spinning took CPU from Neo4j
# and the nearline worker's writer thread: on the 2-core box, sustained 200 edits/s went from p99
# 107 ms to 174-366 ms (bench/nearline.py). Takes effect when kgservice is imported before numpy
# (every `kgservice` command is); set OPENBLAS_NUM_THREADS to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
