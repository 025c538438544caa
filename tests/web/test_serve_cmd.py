"""`gaitway serve`: arguments, the first admin account, and the demo set-up it prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gaitway.cli.main import main
from gaitway.clinic.models import User
from gaitway.clinic.store import open_store


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GAITWAY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GAITWAY_DATABASE_URL", raising=False)
    return tmp_path


def test_bad_port_is_one_clear_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--port" in err


def test_create_admin_hashes_the_password(data_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAITWAY_NEW_PASSWORD", "a-long-enough-password")
    assert main(["serve", "--create-admin", "boss"]) == 0
    with open_store() as store, store.reader() as db:
        user = db.scalar(select(User).where(User.username == "boss"))
    assert user is not None
    assert user.role == "admin"
    assert user.password_hash.startswith("$argon2id$")


def test_demo_prints_url_and_accounts_and_serves_three_stations(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, **options: Any) -> None:
        seen.update(app=app, host=host, port=port, options=options)

    monkeypatch.setattr("uvicorn.run", fake_run)
    try:
        assert main(["serve", "--demo", "--no-history", "--port", "8123"]) == 0
    finally:  # uvicorn never ran the app's lifespan: its station workers end here
        if "app" in seen:
            seen["app"].state.ctx.live.shutdown()
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in out
    for account in ("admin", "therapist", "patient1"):
        assert account in out
    assert "SIMULATED" in out
    assert len(seen["app"].state.ctx.live.stations) == 3
    assert seen["app"].state.ctx.settings.cookie_secure is False  # plain HTTP on loopback
    assert seen["options"]["proxy_headers"] is False  # X-Forwarded-For only if configured


def test_without_demo_there_are_no_demo_accounts(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: None)
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    out = capsys.readouterr().out
    assert "Demo accounts" not in out
    with open_store() as store, store.reader() as db:
        assert list(db.scalars(select(User))) == []
