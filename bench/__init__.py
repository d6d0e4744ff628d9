"""Benchmarks: how fast commands and the milestone run are, printed as figures, never asserted."""
