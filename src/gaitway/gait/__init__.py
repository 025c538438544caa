"""Normative gait, below both the robot and the virtual patient.

The reference gait is what the robot's controllers guide towards and what the twin's virtual
patient intends to walk; both build on it, so it lives beneath them (station and control)
rather than in either.
"""
