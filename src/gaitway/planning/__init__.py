"""Planning: recovery between sessions, progress prediction, next-session proposals."""
