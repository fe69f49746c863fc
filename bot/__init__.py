"""chibo: the platform adapters, configuration and the operator CLI."""
