"""Benchmarks that print their figures and the baseline measured in the same run."""
