"""Delivery: the dispatcher sends the outbox through each platform's senders, at each platform's pace;
live messages refreshed before sending, long answers put together. It never imports the timed jobs."""
