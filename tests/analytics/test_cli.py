from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaitway.cli import main as cli

from .conftest import C3D, GRF_CSV


@pytest.fixture(autouse=True)
def _only_analytics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("gaitway.cli.analyze_cmd",))


def test_analyze_writes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_j, out_h = tmp_path / "a.json", tmp_path / "r" / "a.html"
    code = cli.main(
        ["analyze", str(C3D), "--json", str(out_j), "--html", str(out_h), "--body-mass", "60"]
    )
    assert code == 0
    r = json.loads(out_j.read_text())
    assert r["parameters"]["body_mass_kg"] == 60.0
    page = out_h.read_text()
    assert page.count("<img") == 3
    assert "Symmetry" in page
    assert "valid strides" in capsys.readouterr().out


def test_bad_inputs_give_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(C3D.read_bytes()[:100_000])
    assert cli.main(["analyze", str(cut)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gaitway: error:")
    assert "truncated" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as ex:
        cli.main(["analyze", str(GRF_CSV), "--body-mass", "heavy"])
    assert ex.value.code == 2
