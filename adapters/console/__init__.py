"""A local terminal chat that simulates one group, for trying Homegroup with no token."""

from adapters.console.console import Console, run_console

__all__ = ["Console", "run_console"]
