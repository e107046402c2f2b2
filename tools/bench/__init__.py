"""Benchmarks, reported as ratios against the reference in the same run (`make bench`)."""
