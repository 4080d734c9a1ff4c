"""What the HTTP benchmarks share: a throwaway database, a gunicorn server
run with production settings, a keep-alive client, and a synthetic clinic.

A package, not a module, so that ``make bench`` (every ``bench/*.py``) does
not run it as a benchmark.
"""
