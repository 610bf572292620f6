"""Where messages go: one module per kind of destination, each an `Outlet` (base.py)."""
