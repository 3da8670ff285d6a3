"""Cross-cutting plain-Python infrastructure: settings, logging, clock.

Nothing here imports the Bot Framework.
"""
