"""Run: ./run, the whole pipeline in one command (producer | landing, and the refresh loop).

Starts the three executables as its own children and stops them in order, so nothing read is lost.
"""
