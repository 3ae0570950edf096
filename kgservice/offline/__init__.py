"""The offline floor: training, export, calibration and the building of every serving artifact.

Trie, catalog, neighbour snapshot, vector and occupation indexes (``kgservice index build``), ONNX
exports, distilled towers, fitted scorers and thresholds are made here and read by the serving
packages (``pipeline``, ``inference``, ``graph``, ``api``, ``nearline``, ``batch``), which never
import this package (tests/unit/test_import_direction.py). Modules here may import torch and
transformers (the ``train`` extra), lazily where the serving install runs them (``index build``).
"""
