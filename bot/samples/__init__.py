"""Sample contexts for every template, one module per flow area.

They ship with the package: `homegroup run` renders every deployment override against its
bundled template's samples before it starts, and tests/test_render.py renders every template.
"""
