"""The analysis result is a typed contract: written to JSON and read back by the same code."""

from __future__ import annotations

import json

import pytest

from gaitway.analytics.analyze import analyze_data, analyze_result
from gaitway.analytics.gait_data import GaitData, GaitEvent
from gaitway.analytics.result import ANALYSIS_SCHEMA_VERSION, AnalysisResult, Metric
from gaitway.errors import UserError


def test_the_result_round_trips_through_its_json(
        synthetic: tuple[GaitData, list[GaitEvent]]) -> None:
    data, _events = synthetic
    result = analyze_result(data)
    text = json.dumps(result.to_dict(), allow_nan=True)
    back = AnalysisResult.from_dict(json.loads(text))
    assert back.to_dict() == result.to_dict()
    assert back.schema_version == ANALYSIS_SCHEMA_VERSION
    assert analyze_data(data) == result.to_dict()  # the CLI's JSON is the same result
    assert back.metric("steps") == result.metrics["steps"].value
    assert isinstance(back.metrics["steps"], Metric)
    assert back.n_strides == sum(len(v) for v in result.strides.values()) > 0


@pytest.mark.parametrize(("data", "message"), [
    ({"metrics": {"steps": 12}}, "needs a value and a unit"),
    ({"schema_version": 7}, "schema version 7"),
    ({"mystery": {}}, "unknown field"),
])
def test_a_result_that_does_not_fit_is_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message):
        AnalysisResult.from_dict(data)
