"""HTTP routers, one per resource; auth is attached per route through dependencies."""
