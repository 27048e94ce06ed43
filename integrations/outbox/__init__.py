"""The outbox: everything that pushes records made here to QBO, one way, once and in order.

- `registry.py`: the protocol a synced model speaks (`QboSyncAdapter`) and who speaks it;
- `signals.py`: the thin receivers that write a job when a synced record is saved or deleted;
- `jobs.py`: writing, enqueueing and retrying jobs, and the status page's summary;
- `runner.py`: the worker side, which claims a job, pushes it and records QBO's answer;
- `admin.py`: what every synced model's admin shows (a status column, a section, an action).
"""
