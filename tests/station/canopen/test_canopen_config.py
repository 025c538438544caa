from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaitway.errors import UserError
from gaitway.safety.station_limits import device_limits, safety_limits
from gaitway.station.canopen.config import frame_bits, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "exo4_canopen.toml"


def raw() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text())


def test_the_example_loads_and_feeds_the_supervisor_limits() -> None:
    cfg = load_config(EXAMPLE)
    assert [d.joint for d in cfg.drives] == ["hip_left", "knee_left", "hip_right", "knee_right"]
    assert cfg.bus_load("left") == pytest.approx(0.785)
    lim = safety_limits(cfg.limits(), body_mass_kg=75.0)
    assert lim.device.hip_peak_torque == pytest.approx(90.0)
    assert lim.device.knee_peak_torque == pytest.approx(70.2)
    assert lim.device.knee_torque_soft == pytest.approx(70.0)
    assert lim.device.current_hard == pytest.approx(11.0)
    assert lim.timing.dt == pytest.approx(0.001)


def test_frame_lengths_match_the_can_frame_format() -> None:
    assert frame_bits(0) == 55  # SYNC, worst-case stuffing
    assert frame_bits(8) == 135


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    r = copy.deepcopy(raw())
    obj: Any = r
    for p in path[:-1]:
        obj = obj[p]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return r


_DELETE = object()


@pytest.mark.parametrize(("path", "value", "message"), [
    (["drive", 1, "node_id"], 1, "two drives share a node id"),
    (["drive", 3, "joint"], "knee_left", "exactly one [[drive]] for knee_left"),
    (["drive", 0, "bus"], "front", "bus 'front' is not a [[bus]] name"),
    (["drive", 0, "gear_ratio"], 0.0, "gear_ratio must be a number"),
    (["drive", 0, "direction"], 0, "direction must be 1 or -1"),
    (["drive", 0, "current_limit_a"], 20.0, "more than 3x the rated"),
    (["drive", 0, "eds"], "missing.eds", "EDS file"),
    (["drive", 0, "gearratio"], 3, "unknown key 'gearratio'"),
    (["station", "heartbeat_consumer_ms"], 150, "at least twice heartbeat_producer_ms"),
    (["bus", 0, "bitrate"], 300000, "not a CANopen bit rate"),
    (["drive", 2, "bus"], "left", "need 152% of 1000000 bit/s"),
    (["limits", "knee_stop_rad"], [1.0, 0.5], "knee_stop_rad must be [low, high]"),
    (["station"], _DELETE, "station is missing"),
])
def test_a_contradictory_config_is_refused_with_what_to_change(path: list[Any], value: Any,
                                                               message: str) -> None:
    r = _mutate(path, value)
    if path == ["drive", 2, "bus"]:  # all four drives on one bus
        r["drive"][3]["bus"] = "left"
        r["drive"][2]["node_id"], r["drive"][3]["node_id"] = 3, 4
    with pytest.raises(UserError, match=None) as exc:
        parse_config(r)
    assert message in str(exc.value)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("hip_torque_soft_nm", 120.0, "more than the hip drives can give"),
    ("current_hard_a", 9.0, "at or above the over-current fault"),
    ("knee_stop_rad", [-0.1, 3.5], None),
])
def test_limits_that_contradict_the_drives_are_refused(key: str, value: Any,
                                                        message: str | None) -> None:
    cfg = parse_config(_mutate(["limits", key], value))
    if message is None:
        device_limits(cfg.limits())  # wide end stops alone are no contradiction
        return
    with pytest.raises(UserError) as exc:
        device_limits(cfg.limits())
    assert message in str(exc.value)


def test_a_missing_file_and_bad_toml_say_so(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read device config"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[station\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(bad)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(gear=st.floats(1.0, 1000.0), counts=st.integers(16, 1 << 24),
       direction=st.sampled_from([1, -1]), angle=st.floats(-3.0, 3.0))
def test_counts_and_radians_round_trip_within_one_count(gear: float, counts: int,
                                                        direction: int, angle: float) -> None:
    r = raw()
    r["drive"][0].update(gear_ratio=gear, encoder_counts_per_rev=counts, direction=direction)
    d = parse_config(r).drives[0]
    n = round(angle / d.rad_per_count)
    assert abs(n * d.rad_per_count - angle) <= abs(d.rad_per_count) / 2 + 1e-12
    assert math.copysign(1.0, d.rad_per_count) == direction


@pytest.mark.parametrize(("counts", "gear", "refused"), [
    (16384, 100.0, False),  # the example: 3.8 urad per count at the hip
    (1024, 80.0, False),  # 77 urad: a joint at 0.05 rad/s still moves 6 counts in 10 ms
    (256, 20.0, True),  # 1.2 mrad: a moving joint could hold its count for 10 ticks
])
def test_an_encoder_too_coarse_for_the_stale_check_is_refused(counts: int, gear: float,
                                                              refused: bool) -> None:
    r = raw()
    r["drive"][1]["encoder_counts_per_rev"] = counts
    r["drive"][1]["gear_ratio"] = gear
    cfg = parse_config(r)
    if not refused:
        device_limits(cfg.limits())
        return
    with pytest.raises(UserError, match=r"knee_left encoder .* raise encoder_counts_per_rev"):
        device_limits(cfg.limits())
