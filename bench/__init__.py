"""Benchmarks and fault drills, run with `./tw bench [name ...]` (`python -m bench`); each prints ratios
against a baseline measured in the same run. Not installed: run from the repository root."""
