"""Numbers of a meeting and of a committee's week, computed once and rendered as text, XLSX, PNG."""
