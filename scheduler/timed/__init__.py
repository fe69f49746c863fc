"""The timed jobs: the daily nudges, the weekly summary, task reminders, followers told, retention.
They queue messages (storage.outbox); delivery sends them."""
