"""The browser tests' Chromium fixture: without Chromium a browser test FAILS in CI (CI=1) and
skips only on a developer's machine; with it, the fixture finds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import require_chromium

from gaitway.web.background import chromium_path


def _no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GAITWAY_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing named chromium on it either
    assert chromium_path() is None


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_chromium(monkeypatch, tmp_path)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="Chromium is missing"):
        require_chromium()


def test_missing_chromium_skips_outside_ci(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    _no_chromium(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is missing"):
        require_chromium()


def test_an_installed_chromium_is_found(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("GAITWAY_CHROMIUM", str(fake))
    assert chromium_path() == str(fake)
    require_chromium()  # neither fails nor skips
