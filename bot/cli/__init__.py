"""The operator CLI, ``chibo …`` (Typer): ``app`` holds the commands and ``main``; db, quality and
committee_rules add their own commands to it."""
