"""Fault drills: real processes broken on purpose, every client's trades judged against the ledger.
`python -m bench.drills --help`; docs/reliability.md."""
