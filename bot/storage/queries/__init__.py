"""The queries the flows need, one module per area, written once in portable SQL."""
