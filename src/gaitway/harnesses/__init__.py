"""Harnesses: whole-session runners above ``session`` (envelope validation, fault matrix,
demo data, trials). Nothing below this layer imports them."""
