"""What opening a store can fail with, whichever backend: the command line says it in one line."""


class DatabaseUnreachable(Exception):
    """The database server did not answer, or refused the connection."""
