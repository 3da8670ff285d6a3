"""Tables: audit (being written)."""
