"""chibo's benchmark suite: ``python -m benchmarks [--quick] [--json FILE]``.

Four measures, each taken side by side in one run (see ``benchmarks/README.md``):

* ``checkin``: check-ins through the real bot against the fake Bot API, next to a bare
  python-telegram-bot application, on SQLite and PostgreSQL;
* ``fanout``: a burst of reminders delivered by the dispatcher under Telegram's flood limits;
* ``summary``: the committees' weekly summary on a 10,000-cell database;
* ``idle``: the resident memory of a ``chibo run`` process once it has started.
"""
