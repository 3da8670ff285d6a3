"""The register and the daily attendance digest (domain.md §2).

- `model.py`: sessions, marks, reasons, actions, the suggested code, figures and flags (pure);
- `queries.py`: reads (placed pupils, marks, actions, chases, providers, who is unmarked);
- `writes.py`: a mark added or corrected (history kept), actions added;
- `service.py`: take the register, mark an absence chased, see a school's digest;
- `providers.py`: providers, placements, API keys (hashed); `provider_files.py`: their CSV files;
- `welfare.py`: a pupil's CP plan, CIN plan and looked-after status, behind the policy;
- `digest.py`: a school's digest as plain data; `jobs.py`: the daily digest job;
- `alerts.py`: the immediate alerts; `notices.py`: the notice kinds and their payloads.
"""
