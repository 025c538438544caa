from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np
import pytest

from gaitway.analytics import analyze_path
from gaitway.analytics.readers.c3d_reader import read_c3d
from gaitway.errors import UserError

from .conftest import C3D, REAL


@pytest.fixture(scope="module")
def real():  # type: ignore[no-untyped-def]
    return read_c3d(C3D)


def test_real_c3d_plates_to_belt_frame(real) -> None:  # type: ignore[no-untyped-def]
    f = real.forces
    assert real.source == "real"
    assert real.body_mass_kg == pytest.approx(55.3, abs=0.1)
    assert f.sampling_rate_hz == 1000.0
    for side in ("left", "right"):
        fz = f.channels[f"grf_z_{side}"]
        # Loaded is positive (the file stores Fz negative) and peaks near body weight.
        assert 0.9 * 55.3 * 9.81 < fz.max() < 1.3 * 55.3 * 9.81
    # Left belt's pressure is left of the right belt's (y is left in the belt frame).
    assert np.nanmedian(f.channels["cop_y_left"]) > np.nanmedian(f.channels["cop_y_right"])
    # Treadmill belt speed estimated from the heel markers during stance.
    assert 0.8 < (real.belt_speed_m_s or 0) < 1.4
    assert {"hip_angle_left", "knee_angle_right", "foot_x_left"} <= set(real.kinematics.channels)


def test_cop_agrees_with_ezc3d() -> None:
    """Our plate computation (lab frame) against ezc3d's own force-platform extraction."""
    from gaitway.analytics.readers.c3d_reader import _plates

    c = ezc3d.c3d(str(C3D), extract_forceplat_data=True)
    plates = _plates(c, c["data"]["analogs"][0], [])
    assert len(plates) == 2
    for k, ours in enumerate(plates):
        ref = c["data"]["platform"][k]
        loaded = ours["force"][2] > 200
        assert loaded.sum() > 3000
        assert np.allclose(
            ours["cop"][:2, loaded], ref["center_of_pressure"][:2, loaded] / 1000, atol=1e-6
        )
        # ezc3d reports the force as stored (on the subject, plate axes: z down).
        assert np.allclose(np.abs(ours["force"][2]), np.abs(ref["force"][2]), atol=1e-6)


def _rewrite(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    c = ezc3d.c3d(str(C3D))
    edit(c)
    out = tmp_path / "edited.c3d"
    c.write(str(out))
    return out


def test_type4_plate_with_calibration_matrix(tmp_path: Path, real) -> None:  # type: ignore[no-untyped-def]
    def to_type4(c) -> None:  # type: ignore[no-untyped-def]
        c["parameters"]["FORCE_PLATFORM"]["TYPE"]["value"] = np.array([4, 4])
        cal = np.zeros((6, 6, 2))
        for k in range(2):
            cal[:, :, k] = np.diag([2.0] * 6)
        c.add_parameter("FORCE_PLATFORM", "CAL_MATRIX", cal)
        c["data"]["analogs"][0, :12, :] /= 2.0  # raw channels; the matrix restores them

    d = read_c3d(_rewrite(tmp_path, to_type4))
    for side in ("left", "right"):
        a = d.forces.channels[f"grf_z_{side}"]
        b = real.forces.channels[f"grf_z_{side}"]
        assert np.allclose(a, b, atol=1e-2)


def test_analog_scale_is_applied_by_ezc3d(tmp_path: Path) -> None:
    """Physical values survive a rewrite with another ANALOG:SCALE (ezc3d scales on read)."""
    c0 = ezc3d.c3d(str(C3D))

    def rescale(c) -> None:  # type: ignore[no-untyped-def]
        c["parameters"]["ANALOG"]["SCALE"]["value"] = np.full(24, 0.5)

    c1 = ezc3d.c3d(str(_rewrite(tmp_path, rescale)))
    assert np.allclose(c0["data"]["analogs"], c1["data"]["analogs"], atol=1e-3)


def test_events_in_file_are_kept_and_compared(tmp_path: Path) -> None:
    base = analyze_path(C3D)
    hs = [e for e in base["events"] if e["kind"] == "heel_strike"][:6]

    def add_events(c) -> None:  # type: ignore[no-untyped-def]
        t0 = c["header"]["points"]["first_frame"] / 100.0
        times = np.array([[0.0] * len(hs), [e["time_s"] + t0 + 0.01 for e in hs]])
        c.add_parameter("EVENT", "USED", len(hs))
        c.add_parameter("EVENT", "TIMES", times)
        c.add_parameter("EVENT", "LABELS", ["Foot Strike"] * len(hs))
        c.add_parameter("EVENT", "CONTEXTS", [e["side"].capitalize() for e in hs])

    r = analyze_path(_rewrite(tmp_path, add_events))
    assert r["parameters"]["event_source"] == "file"
    assert len(r["events"]) == 6
    assert abs(r["events"][0]["time_s"] - hs[0]["time_s"] - 0.01) < 1e-3
    cmp = r["detected_vs_file_events"]
    strikes = [a for a in cmp["agreement"] if a["kind"] == "heel_strike"]
    assert sum(a["n_reference"] for a in strikes) == 6
    assert sum(a["within_tolerance"] for a in strikes) == 6
    for a in strikes:  # the file's events were put 10 ms after the detector's
        assert a["mean_error_ms"] == pytest.approx(-10.0, abs=1.0)
        assert a["max_abs_error_ms"] == pytest.approx(10.0, abs=1.0)
    assert len(cmp["detected_events"]) == len(base["events"])


def test_truncated_and_garbage_files(tmp_path: Path) -> None:
    blob = C3D.read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(UserError, match="truncated"):
        read_c3d(cut)
    tiny = tmp_path / "tiny.c3d"
    tiny.write_bytes(blob[:3000])
    with pytest.raises(UserError):
        read_c3d(tiny)
    junk = tmp_path / "junk.c3d"
    junk.write_bytes(b"not a c3d file at all" * 100)
    with pytest.raises(UserError, match="not a C3D"):
        read_c3d(junk)


def test_unsupported_plate_type(tmp_path: Path) -> None:
    def to_type5(c) -> None:  # type: ignore[no-untyped-def]
        c["parameters"]["FORCE_PLATFORM"]["TYPE"]["value"] = np.array([5, 5])

    with pytest.raises(UserError, match="type 5"):
        read_c3d(_rewrite(tmp_path, to_type5))


def _kistler_channels(fz: np.ndarray, x0: np.ndarray, y0: np.ndarray, a: float, b: float,
                      fx: np.ndarray) -> np.ndarray:
    """Eight type 3 channels of a vertical load fz at (x0, y0) (plate axes, m) plus a shear
    fx, split over four sensors at (+a, +b), (-a, +b), (-a, -b), (+a, -b) by statics."""
    w = 4 * a * b
    fz1 = fz * (a + x0) * (b + y0) / w
    fz2 = fz * (a - x0) * (b + y0) / w
    fz3 = fz * (a - x0) * (b - y0) / w
    fz4 = fz * (a + x0) * (b - y0) / w
    zero = np.zeros_like(fz)
    return np.vstack([fx / 2, fx / 2, zero, zero, fz1, fz2, fz3, fz4])


def test_type3_kistler_plate_puts_the_load_where_it_is() -> None:
    """A load walking across a type 3 plate: its centre of pressure follows it."""
    from gaitway.analytics.readers.c3d_reader import _plates

    n = 200
    x0 = np.linspace(-0.15, 0.15, n)
    y0 = np.linspace(0.10, -0.05, n)
    fz = np.full(n, 700.0)
    ch = _kistler_channels(fz, x0, y0, a=0.12, b=0.20, fx=np.zeros(n))
    corners = np.array([[0.25, 0.3, 0], [-0.25, 0.3, 0], [-0.25, -0.3, 0], [0.25, -0.3, 0]]) * 1e3
    c = {"parameters": {
        "FORCE_PLATFORM": {
            "USED": {"value": [1]}, "TYPE": {"value": [3]},
            "CHANNEL": {"value": np.arange(1, 9).reshape(8, 1)},
            "CORNERS": {"value": (corners.T + np.array([[1000.0], [500.0], [0.0]]))[:, :, None]},
            "ORIGIN": {"value": np.array([[120.0], [-200.0], [-45.0]])},  # signs vary by lab
        },
        "ANALOG": {"UNITS": {"value": ["N"] * 8}},
        "POINT": {"UNITS": {"value": ["mm"]}},
    }}
    (plate,) = _plates(c, ch, [])
    assert np.allclose(plate["force"][2], 700.0)
    assert np.allclose(plate["cop"][0], 1.0 + x0, atol=1e-9)
    assert np.allclose(plate["cop"][1], 0.5 + y0, atol=1e-9)


def test_type3_file_reads_like_its_type2_original(tmp_path: Path) -> None:
    """The real overground trial rewritten with Kistler channels: same forces and COP."""
    src = REAL / "overground_events.c3d"
    a_mm, b_mm, z_mm = 120.0, 200.0, 22.0

    def to_type3(c) -> None:  # type: ignore[no-untyped-def]
        an = c["data"]["analogs"][0]
        new = an.copy()
        for k in range(2):
            Fx, Fy, Fz, Mx, My, Mz = an[6 * k: 6 * k + 6]
            A = np.array([[1, 1, 1, 1], [1, 1, -1, -1], [-1, 1, 1, -1], [1, -1, 1, -1]], float)
            fz = np.linalg.solve(A, np.vstack([Fz, Mx / b_mm, My / a_mm, np.zeros_like(Fz)]))
            new[8 * k: 8 * k + 8] = np.vstack(
                [(Fx - Mz / b_mm) / 2, (Fx + Mz / b_mm) / 2, Fy / 2, Fy / 2, fz])
        c["data"]["analogs"][0] = new
        fp = c["parameters"]["FORCE_PLATFORM"]
        fp["TYPE"]["value"] = np.array([3, 3])
        fp["CHANNEL"]["value"] = np.arange(1, 17).reshape(2, 8).T.copy()
        fp["ORIGIN"]["value"] = np.array([[a_mm, b_mm, z_mm]] * 2).T.copy()
        units = list(c["parameters"]["ANALOG"]["UNITS"]["value"])
        c["parameters"]["ANALOG"]["UNITS"]["value"] = ["N"] * 16 + units[16:]

    c = ezc3d.c3d(str(src))
    to_type3(c)
    out = tmp_path / "type3.c3d"
    c.write(str(out))
    d2, d3 = read_c3d(src), read_c3d(out)
    for side in ("left", "right"):
        f2, f3 = d2.forces.channels[f"grf_z_{side}"], d3.forces.channels[f"grf_z_{side}"]
        assert np.allclose(f2, f3, atol=1e-3)
        c2, c3 = d2.forces.channels[f"cop_x_{side}"], d3.forces.channels[f"cop_x_{side}"]
        ok = np.isfinite(c2) & (f2 > 100)
        assert ok.sum() > 500
        assert np.allclose(c2[ok], c3[ok], atol=1e-6)


def test_marker_labels_as_labs_write_them(tmp_path: Path) -> None:
    """Vicon's subject prefix ("Anna:LHEE"), other spellings ("L.ASIS") and a sacral marker
    instead of the two PSIS: the same trial, the same events."""
    src = REAL / "overground_events.c3d"

    def relabel(c) -> None:  # type: ignore[no-untyped-def]
        labels = [str(x).strip() for x in c["parameters"]["POINT"]["LABELS"]["value"]]
        new = []
        for lab in labels:
            if lab == "LASI":
                lab = "L.ASIS"
            elif lab == "LPSI":
                lab = "SACR"  # the right PSIS alone stands in for the sacrum's place
            elif lab == "RPSI":
                lab = "R_PSI_unused"
            new.append(f"Anna:{lab}")
        c["parameters"]["POINT"]["LABELS"]["value"] = new

    c = ezc3d.c3d(str(src))
    relabel(c)
    out = tmp_path / "relabelled.c3d"
    c.write(str(out))
    a, b = read_c3d(src), read_c3d(out)
    assert b.walking_speed_m_s is not None
    assert b.walking_speed_m_s == pytest.approx(a.walking_speed_m_s or 0, abs=0.05)
    assert b.kinematics is not None
    assert {"foot_x_left", "heel_x_right", "toe_x_left"} <= set(b.kinematics.channels)
    ra, rb = analyze_path(src), analyze_path(out)
    ta = [(e["side"], e["kind"]) for e in ra["detected_vs_file_events"]["detected_events"]]
    tb = [(e["side"], e["kind"]) for e in rb["detected_vs_file_events"]["detected_events"]]
    assert ta == tb
