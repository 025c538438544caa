"""Gaitway: open software for robot-assisted gait training."""

__version__ = "0.1.0"
