"""Pieces of the benchmark driver (benches/run.py): building the bench programs,
running the server, running rows, profiling, and writing the report."""
