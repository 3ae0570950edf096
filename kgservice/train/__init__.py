"""Offline jobs that produce serving artifacts: ONNX export, threshold calibration.

Modules here may import torch and transformers (the ``train`` extra); serving code never imports
this package.
"""
