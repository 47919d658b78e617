"""Benchmarks: spacepack against the Dockerfiles people write by hand (`python -m benchmarks.run`)."""
