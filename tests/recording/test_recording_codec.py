"""The sample codec: exact round trip at each channel's resolution, specials kept bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gaitway.recording import RecordingError
from gaitway.recording.codec import decode_block, encode_block, quantise

RES = np.array([1e-6, 1e-3, 1e-7, 1.0, 1e-4])


def _check(block: np.ndarray, res: np.ndarray) -> None:
    decoded = decode_block(encode_block(block, res), res).T
    expected = quantise(block, res)
    assert decoded.shape == block.shape
    # bit-for-bit, NaN payloads included
    assert np.array_equal(decoded.view(np.int64), expected.view(np.int64))
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(block) & (np.abs(block / res) <= 2**53)
    step = np.broadcast_to(res, block.shape)[finite]
    error = np.abs(decoded[finite] - block[finite])
    assert np.all(error <= step * 0.5 + 1e-9 * np.abs(block[finite]))


def test_round_trip_smooth_noise_steps_and_specials() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(500) * 0.001
    block = np.column_stack(
        [t, 300 * np.sin(6 * t), rng.normal(0, 1e-4, 500), (t > 0.2).astype(float), np.cos(t)]
    )
    block[10, 1] = np.nan
    block[11, 2] = np.inf
    block[12, 3] = -np.inf
    block[13, 4] = 1e300  # finite but too many steps to quantise
    block[14, 4] = -0.0
    _check(block, RES)
    decoded = decode_block(encode_block(block, RES), RES).T
    assert np.isnan(decoded[10, 1])
    assert decoded[11, 2] == np.inf
    assert decoded[12, 3] == -np.inf
    assert decoded[13, 4] == 1e300


def test_quantises_to_resolution_not_beyond() -> None:
    block = np.array([[0.0, 1.23456789, 0.0, 0.4, 0.0]])
    decoded = decode_block(encode_block(block, RES), RES).T
    assert decoded[0, 1] == pytest.approx(1.235, abs=1e-12)
    assert decoded[0, 3] == 0.0


def test_decodes_only_the_columns_asked_for() -> None:
    rng = np.random.default_rng(4)
    block = rng.normal(size=(300, 5))
    block[5, 3] = np.nan
    payload = encode_block(block, RES)
    cols = np.array([3, 0], dtype=np.intp)
    some = decode_block(payload, RES, cols)
    assert np.array_equal(some, quantise(block, RES).T[cols], equal_nan=True)


def test_smooth_signals_compress_far_below_raw_size() -> None:
    t = np.arange(500) * 0.001
    block = np.column_stack([t] + [np.sin(2 * np.pi * 0.9 * t + k) for k in range(4)])
    res = np.array([1e-6] * 5)
    raw = block.nbytes
    assert len(encode_block(block, res)) < raw / 8


def test_garbage_payload_is_a_recording_error_not_a_zstd_error() -> None:
    with pytest.raises(RecordingError, match=r"frame table|decompress"):
        decode_block(b"\x00" * 40 + b"garbage", RES)
    payload = bytearray(encode_block(np.ones((50, 5)), RES))
    payload[-3] ^= 0xFF
    with pytest.raises(RecordingError):
        decode_block(bytes(payload), RES)


def test_wrong_column_count_is_reported() -> None:
    payload = encode_block(np.ones((10, 5)), RES)
    with pytest.raises(RecordingError, match="columns"):
        decode_block(payload, RES[:4])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.just(5)),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_property_round_trip_any_floats(block: np.ndarray) -> None:
    _check(block, RES)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.just(5)),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    ),
    st.lists(st.integers(0, 4), min_size=1, max_size=5, unique=True),
)
def test_property_decoding_into_an_output_is_the_float64_result_stored(
    block: np.ndarray, asked: list[int]
) -> None:
    """A read's direct decode (time to a float64 array, the rest to float32) gives the
    float64 decode's values, the channels rounded once to float32, specials included."""
    payload = encode_block(block, RES)
    cols = np.array(asked, dtype=np.intp)
    full = decode_block(payload, RES, cols)
    first = np.empty(block.shape[0])
    rest = np.empty((cols.size - 1, block.shape[0]), dtype=np.float32)
    got = decode_block(payload, RES, cols, rest, first)
    assert got is rest
    assert np.array_equal(first.view(np.int64), full[0].view(np.int64))
    with np.errstate(over="ignore"):
        assert np.array_equal(rest, full[1:].astype(np.float32), equal_nan=True)
    into64 = np.empty(full.shape)
    decode_block(payload, RES, cols, into64)
    assert np.array_equal(into64.view(np.int64), full.view(np.int64))


def test_an_output_of_the_wrong_shape_is_a_recording_error() -> None:
    payload = encode_block(np.ones((10, 5)), RES)
    with pytest.raises(RecordingError, match="10 rows"):
        decode_block(payload, RES, None, np.empty((5, 9)))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n_rows=st.integers(1, 400),
    degrees=st.lists(st.integers(0, 3), min_size=5, max_size=5),
    magnitude=st.sampled_from([1e-3, 1.0, 1e3, 1e6, 1e12]),
    asked=st.permutations(range(5)).flatmap(
        lambda p: st.integers(1, 5).map(lambda k: list(p[:k]))),
    seed=st.integers(0, 2**16),
)
def test_property_mixed_delta_orders_decode_exactly(
    n_rows: int, degrees: list[int], magnitude: float, asked: list[int], seed: int
) -> None:
    """Channels whose blocks choose different delta orders (noise: 0, ramps: 1, curves: 2-3),
    at every integer width, asked in any order and subset: each decodes to its quantised
    values bit for bit (the decoder sorts columns by order for its prefix sums)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows, dtype=np.float64)
    block = np.column_stack([
        magnitude * ((t / 50.0) ** d if d else rng.normal(size=n_rows)) + rng.normal() * magnitude
        for d in degrees
    ])
    payload = encode_block(block, RES)
    cols = np.array(asked, dtype=np.intp)
    got = decode_block(payload, RES, cols)
    assert np.array_equal(got.view(np.int64), quantise(block, RES).T[cols].view(np.int64))
    first = np.empty(n_rows)
    rest = np.empty((cols.size - 1, n_rows), dtype=np.float32)
    decode_block(payload, RES, cols, rest, first)
    assert np.array_equal(first.view(np.int64), got[0].view(np.int64))
    with np.errstate(over="ignore"):
        assert np.array_equal(rest, got[1:].astype(np.float32))
