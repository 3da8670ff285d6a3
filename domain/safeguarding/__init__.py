"""Safeguarding concerns: raised by Partnership staff, alerted to the school's DSL at once,
acknowledged or escalated up the ladder (domain.md §3.3), never lost.

- `model.py`: the concern, its status and transitions, the ladder as data, chronology kinds (pure).
- `service.py`: what a person can do (raise, acknowledge, add a note, view, list open ones, see
  the status of one they raised), each one transaction that asks the policy and audits.
- `ladder.py`: reaching a rung (who is alerted, the notices, the next rung's one-off), shared by
  the service and the jobs.
- `jobs.py`: the escalation one-off (`concern:<id>:rung:<n>`) and the delivery follower that
  moves the ladder on when a rung's recipients cannot be reached.
- `notices.py`: the notice kinds and their payloads (ids and facts only).
- `erasure.py`: what erasing a pupil blanks in their concerns.
"""
