"""Numbered SQL migrations, one folder per backend, applied in order at start."""
