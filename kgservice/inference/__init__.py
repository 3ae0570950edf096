"""Serving-side model code: the ONNX sentence encoder and the HNSW skill index.

Nothing here imports torch or transformers; onnxruntime is imported lazily.
"""
