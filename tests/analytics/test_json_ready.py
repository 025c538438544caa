"""The analysis's check that its result needs no NaN replacement (stride records checked
without encoding them) says what ``json.dumps(..., allow_nan=False)`` says, on drawn results
with NaN, infinities, numpy floats, integers, tuples and non-string keys in the records."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.analytics.analyze import _json_ready

_value = st.one_of(
    st.none(), st.floats(-1e6, 1e6), st.sampled_from([float("nan"), float("inf"), -0.0, 1.0]),
    st.integers(-5, 5), st.just(np.float64(1.5)), st.just(np.float32(2.0)), st.text(max_size=3),
    st.tuples(st.floats(0, 1)), st.just(True),
)
_key = st.one_of(st.sampled_from(["start_s", "end_s", "peak_force_n"]), st.just(3),
                 st.just(None))
_messy = st.dictionaries(_key, _value, max_size=5)
#: records as the analysis makes them (str keys, float or None), now and then a NaN or inf,
#: or a numpy float32 (which the encoder refuses)
_clean = st.dictionaries(st.sampled_from(["start_s", "end_s", "peak_force_n"]),
                         st.one_of(st.none(), st.floats(-1e6, 1e6),
                                   st.sampled_from([float("nan"), float("inf"), -0.0]),
                                   st.just(np.float32(2.0))),
                         max_size=5)
_record = st.one_of(_clean, _clean, _messy)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    strides=st.one_of(st.dictionaries(st.sampled_from(["left", "right"]),
                                      st.lists(_record, max_size=4), max_size=2),
                      st.just({"left": ({"a": 1.0},)}), st.just([])),
    emg=st.dictionaries(st.just("emg_x"), st.lists(_value, max_size=3), max_size=1),
)
def test_property_json_ready_is_the_encoders_verdict(strides: Any, emg: Any) -> None:
    clean = {"strides": strides, "rejected_strides": {}, "metrics": {}, "emg": emg}
    try:
        json.dumps(clean, allow_nan=False)
        want = True
    except (ValueError, TypeError):
        want = False
    assert _json_ready(clean) == want
