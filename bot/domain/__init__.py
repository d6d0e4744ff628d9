"""The pure rules of the core: no I/O, plain data in and out."""
