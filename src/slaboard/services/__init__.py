"""Use cases: each combines store, domain and SLA engine in one transaction."""
