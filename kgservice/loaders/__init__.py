"""Taxonomy and document loaders. They import kgservice; kgservice never imports them at module level."""
