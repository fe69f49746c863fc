"""The running process: runner (polling, webhooks, workers), intake, the HTTP server, health, logs, roles."""
