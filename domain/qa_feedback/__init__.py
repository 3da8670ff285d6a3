"""The Q&A's feedback (FAQ Plus's two missing features): ratings of answers, questions the bot
could not answer, and questions sent on to the Partnership's staff, whose answer goes back to the
asker. `model.py` (plain records), `service.py` (each thing a person can do, as one transaction),
`queries.py` (the staff's list, most frequent first), `notices.py` (what the notifier sends)."""
