"""station/sim."""
