"""Offline reprocessing of every document with Spark, through the shared document writer."""
