"""Tables: state (being written)."""
