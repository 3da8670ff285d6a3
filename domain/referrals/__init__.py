"""The referral feature: from a school's draft to the Core Group's decision and its follow-up.

- `model.py`: kinds, statuses and the one transitions table, outcomes, places (no I/O);
- `validators.py` and `fields.py`: the form as a field table, one validator per field (no I/O);
- `rules.py`: the offer's submission rules, each breach with its reason and a way forward (no I/O);
- `store.py`: rows in the caller's unit of work (references, places, erasure's reach);
- `service.py`: what school staff do (draft, submit, view), each one audited transaction;
- `casework.py`: what the Partnership does (receive, ask, list, decide, follow up);
- `queries.py`: my referrals, the queue, capacity, drafts, pupils by typed name;
- `notices.py`: the notices it queues (ids and facts); `demo.py`: demo referrals in every state.
"""
