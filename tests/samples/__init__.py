"""Sample contexts for every template, one module per flow area (see tests/test_render.py)."""
