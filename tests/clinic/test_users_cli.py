"""``gaitway users add|list|disable``: argon2 hashes, passwords never in argv, audited.

Run on SQLite and PostgreSQL (the db_url fixture).
"""

from __future__ import annotations

import io

import pytest

from gaitway.cli import main as cli_main
from gaitway.clinic import audit, records
from gaitway.clinic.models import User
from gaitway.clinic.security import verify_password
from gaitway.clinic.store import ClinicStore


@pytest.fixture
def db_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI on the store under test (SQLite and PostgreSQL, see conftest)."""
    url = db_url
    monkeypatch.setenv("GAITWAY_DATABASE_URL", url)
    monkeypatch.setenv("GAITWAY_OPERATOR", "tester")
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("gaitway.cli.clinic_cmd",))
    return url


def run(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli_main.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _user(url: str, name: str) -> User:
    with ClinicStore(url) as store, store.reader() as db:
        return records.find_user(db, name)


def test_add_list_disable(db_env: str, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["users", "add", "ada", "--role", "admin"], capsys, monkeypatch,
                       "correct horse battery\n")
    assert (code, out.strip()) == (0, "ada (admin)")
    user = _user(db_env, "ada")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "correct horse battery")
    assert not verify_password(user.password_hash, "correct horse battery\n")

    assert run(["patients", "add", "--id", "P7"], capsys, monkeypatch)[0] == 0
    code, out, _ = run(["users", "add", "pat7", "--role", "patient", "--patient", "P7"], capsys,
                       monkeypatch, "another secret\n")
    assert code == 0
    code, out, _ = run(["users", "list"], capsys, monkeypatch)
    assert "ada" in out
    assert "admin" in out
    assert "pat7" in out
    assert "patient P7" in out
    assert "argon2" not in out
    assert "secret" not in out

    code, out, _ = run(["users", "disable", "pat7"], capsys, monkeypatch)
    assert (code, out.strip()) == (0, "pat7 disabled")
    assert _user(db_env, "pat7").active is False
    code, out, _ = run(["users", "list"], capsys, monkeypatch)
    assert "disabled" in out
    with ClinicStore(db_env) as store, store.reader() as db:
        actions = [(e.actor, e.action) for e in audit.entries(db, entity="user")]
        details = [e.details for e in audit.entries(db, entity="user")]
    assert actions == [("cli:tester", "user.add"), ("cli:tester", "user.add"),
                       ("cli:tester", "user.disable")]
    assert "secret" not in repr(details)
    assert "argon2" not in repr(details)


def test_password_is_prompted_twice_on_a_terminal(
    db_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter(["first password", "other password", "same password", "same password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", Tty(""))
    code = cli_main.main(["users", "add", "tom", "--role", "therapist"])
    assert code != 0
    assert "differ" in capsys.readouterr().err
    with ClinicStore(db_env) as store, store.reader() as db:
        assert records.list_users(db) == []
    assert cli_main.main(["users", "add", "tom", "--role", "therapist"]) == 0
    assert verify_password(_user(db_env, "tom").password_hash, "same password")


def test_no_password_argument(db_env: str, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        cli_main.main(["users", "add", "eve", "--role", "admin", "--password", "x" * 12])


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["users", "add", "bob", "--role", "admin"], "", "no password on standard input"),
    (["users", "add", "bob", "--role", "admin"], "short\n", "at least 8 characters"),
    (["users", "add", "bob", "--role", "patient"], "long enough\n", "linked to a patient"),
    (["users", "add", "bob", "--role", "patient", "--patient", "nobody"], "long enough\n",
     "no patient 'nobody'"),
    (["users", "add", "bob", "--role", "therapist", "--station", "nowhere"], "long enough\n",
     "no station 'nowhere'"),
    (["users", "add", "bob", "--role", "admin", "--station", "s1"], "long enough\n",
     "only therapist"),
    (["users", "add", "b", "--role", "admin"], "long enough\n", "3-64"),
    (["users", "add", "root", "--role", "admin"], "long enough\n", "already exists"),
    (["users", "disable", "ghost"], "", "no user 'ghost'"),
    (["users", "disable", "root"], "", "last active admin"),
])
def test_bad_input_is_one_line_and_writes_nothing(
    db_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    argv: list[str], stdin: str, message: str,
) -> None:
    assert run(["users", "add", "root", "--role", "admin"], capsys, monkeypatch,
               "root password\n")[0] == 0
    code, _out, err = run(argv, capsys, monkeypatch, stdin)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    with ClinicStore(db_env) as store, store.reader() as db:
        assert [u.username for u in records.list_users(db)] == ["root"]
        assert records.find_user(db, "root").active
        assert len(audit.entries(db, entity="user")) == 1


def test_care_team_assign_and_remove(db_env: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["patients", "add", "--id", "P9"], capsys, monkeypatch)[0] == 0
    assert run(["users", "add", "tina", "--role", "therapist"], capsys, monkeypatch,
               "a good password\n")[0] == 0
    code, out, _ = run(["users", "care-team", "tina", "P9"], capsys, monkeypatch)
    assert (code, out.strip()) == (0, "P9's care team: tina")
    code, _, err = run(["users", "care-team", "tina", "P9"], capsys, monkeypatch)
    assert code == 2
    assert "already on P9's care team" in err
    code, out, _ = run(["users", "care-team", "tina", "P9", "--remove"], capsys, monkeypatch)
    assert (code, out.strip()) == (0, "P9's care team: nobody")
    with ClinicStore(db_env) as store, store.reader() as db:
        actions = [e.action for e in audit.entries(db, entity="patient")]
    assert actions.count("care_team.assign") == 1
    assert actions.count("care_team.remove") == 1
