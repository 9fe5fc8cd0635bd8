"""Benchmarks: print figures and write JSON to benchmarks/results/."""
