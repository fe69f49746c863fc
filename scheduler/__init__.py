"""The planner (what is due when) and the dispatcher (sending due outbox rows), woken by APScheduler."""
