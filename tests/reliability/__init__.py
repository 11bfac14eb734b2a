"""Reliability tests: the guarantees of SPEC sections 2, 4 and 6 under faults, load and hostile input."""
