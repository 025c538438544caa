"""``gaitway validate report`` runs on a short setting and fills every section it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaitway.cli import main as cli

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def test_validate_report_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v"
    code = cli.main(["validate", "report", "--out", str(out), "--minutes", "0.1",
                     "--profiles", "healthy", "--guidance", "0", "--real-dir", str(REAL)])
    assert code == 0
    assert "report.md" in capsys.readouterr().out
    page = (out / "report.md").read_text()
    # Real annotated files: the detector, the old default and the marker method, per file.
    for name in ("treadmill_events.c3d", "overground_events.c3d"):
        assert f"| {name} | detector (default) |" in page
        assert f"| {name} | marker method (Zeni 2008) alone |" in page
    assert "| treadmill_events.c3d | detector (default) | annotated in the file | 11/11" in page
    # A third person (landmarks only): the marker method against its annotation.
    assert "| gaitkit_parkinson_markers.json (Parkinson disease patient" in page
    # The twin against its true contact, and the slots said as such.
    assert "| healthy, 0 % guidance | detector (force plates) | twin's true contact |" in page
    assert "## 3. Twin against normative gait" in page
    assert "## 4. EMG onsets" in page
    # each muscle's onsets against its true activation, ours and neurokit2's (item 3)
    for m in ("tibialis_anterior", "gastrocnemius_medialis", "vastus_lateralis",
              "biceps_femoris"):
        assert f"| healthy, 0 % guidance | emg_{m}_left | " in page
    for png in ("report_real_events.png", "report_twin_events.png"):
        assert (out / png).stat().st_size > 5000
        assert f"]({png})" in page


def test_validate_report_refuses_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["validate", "report", "--out", str(tmp_path), "--minutes", "0"])
    assert e.value.code == 2
    code = cli.main(["validate", "report", "--out", str(tmp_path), "--profiles", "nobody",
                     "--real-dir", str(REAL)])
    assert code == 2
