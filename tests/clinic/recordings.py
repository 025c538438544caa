"""Session directories for tests: see gaitway.clinic.synthetic (SIMULATED signals)."""

from gaitway.clinic.synthetic import STANCE, STRIDE_S, drop_footer, write_session_dir

__all__ = ["STANCE", "STRIDE_S", "drop_footer", "write_session_dir"]
