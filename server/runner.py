"""Drives whole interviews from Python: the async loop over the sans-I/O session."""
