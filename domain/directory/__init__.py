"""The directory feature: schools, people (staff, with roles) and pupils.

- `model.py`: the records and how each is read from its row (no I/O);
- `rules.py`: the field rules (URN, UPN and its check letter, e-mail, roles, a person's and a
  pupil's fields together), each refusal a `DirectoryError` naming every problem;
- `queries.py`: reads, including who a Teams user is (`resolve_person`);
- `writes.py`: changes to people inside the caller's unit of work;
- `csv_files.py`: CSV files of schools, people and pupils, read all or nothing and written back;
- `service.py`: what a person (or the command line) can do, each one transaction that asks the
  access policy and writes the audit entry.
"""
