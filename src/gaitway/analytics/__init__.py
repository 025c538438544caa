"""Gait analytics: events, strides, clinical metrics and EMG, on recordings and lab files.

Public entries: :func:`analyze_path` (the JSON of ``gaitway analyze``) and
:class:`LiveStrideAnalyzer` (per-stride metrics while a session runs).
"""

from gaitway.analytics.analyze import analyze_data, analyze_path
from gaitway.analytics.live import LiveStrideAnalyzer

__all__ = ["LiveStrideAnalyzer", "analyze_data", "analyze_path"]
