"""Tables: proactive (being written)."""
