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


def load(settings=None, **options):  # noqa: ANN001, ANN003, ANN201 - typed in kgservice.skill_extractor.load
    """The extraction pipeline as a callable: ``nlp = kgservice.load(); nlp(text, domain="job").skills``.

    Against the configured Neo4j, or from the built artifacts alone when none answers
    (:func:`kgservice.skill_extractor.load` has the options; docs/python-api.md). Imported on first
    use, so ``import kgservice`` stays light.
    """
    from kgservice.skill_extractor import load as load_extractor

    return load_extractor(settings, **options)
