"""What every use case and adapter shares, and nothing platform- or flow-specific: the settings,
the text catalog and formatting, the clock, the neutral request/reply types, date and time
parsing, text splitting and signed file links. Imports only ``rules`` and ``storage`` below it."""
