"""Nearline processing: document edits on a Redis Stream, applied to the graph by workers."""
