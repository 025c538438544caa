"""Whole-session runners on the twin: validation against published responses."""
