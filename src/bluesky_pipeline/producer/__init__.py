"""`./bluesky`: our own producer of Bluesky events, one JSON line per created record on stdout.

Live from Jetstream, simulated (`--simulate`) or replayed from a recording (`--replay`); see cli.py.
"""
