"""The end-to-end benchmark: trader events through each design (gateway, dashboard, baselines) to many
clients in other processes. `python -m bench.e2e --help`; docs/performance.md."""
