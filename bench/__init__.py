"""Benchmarks (not part of the test run); each script runs on its own: `.venv/bin/python bench/<name>.py`."""
