"""Platform-neutral use cases: one module per flow. Adapters (bot/) translate to and from chats."""
