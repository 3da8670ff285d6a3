"""The Bot Framework edge: adapter, activity handler, cards, storage and proactive sender."""
