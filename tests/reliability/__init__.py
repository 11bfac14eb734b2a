"""Reliability tests: the guarantees of docs/guarantees.md under faults, load and hostile input (docs/input.md)."""
