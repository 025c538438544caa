"""Crash-safe session recordings: every sample, event and setting of a session in one file.

Write with :class:`RecordingWriter` (one ``append`` per tick, cheap; a background thread
compresses and writes), read with :func:`open_recording`. The file format is documented in
:mod:`gaitway.recording.format`, the sample codec in :mod:`gaitway.recording.codec`.
"""

from gaitway.recording.errors import RecordingError
from gaitway.recording.format import RECORDING_FILENAME
from gaitway.recording.reader import Loss, Recording, open_recording
from gaitway.recording.timeseries import Event, TimeSeries
from gaitway.recording.writer import RecordingWriter

__all__ = [
    "RECORDING_FILENAME",
    "Event",
    "Loss",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "TimeSeries",
    "open_recording",
]
