"""Tables: directory (being written)."""
