"""The trial end to end: a local Dask cluster through the CLI, a real `dask scheduler` with two
`dask worker` processes, resume, a worker killed mid-trial. Short: 2 patients x 2 arms x 2
sessions of 3 simulated s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gaitway.cli import main as cli_main
from gaitway.trials.course import TrialDesign, cohort, run_course, run_courses
from gaitway.trials.plans import load_plans
from gaitway.trials.runner import ARMS_DIR, TrialRun, run_trial

EXAMPLES = Path(__file__).parents[2] / "examples" / "plans"
PLANS = f"{EXAMPLES / 'fixed-guidance.toml'},{EXAMPLES / 'aan-decreasing.toml'}"
DESIGN = TrialDesign(seed=5, cohort=2, weeks=2, sessions_per_week=1, minutes=0.05)
ARGS = ["--cohort", "2", "--weeks", "2", "--sessions-per-week", "1", "--minutes", "0.05",
        "--seed", "5"]


def check_results(out: Path) -> None:
    df = pq.read_table(out / "sessions.parquet").to_pandas()
    assert len(df) == 2 * 2 * 2  # patients x arms x sessions, each once
    assert not df.duplicated(["patient", "plan", "session"]).any()
    assert set(df["plan"]) == {"fixed-guidance", "aan-decreasing"}
    assert (df["label"] == "SIMULATED").all()
    aan = df[df["plan"] == "aan-decreasing"].set_index(["patient", "week"])
    assert set(aan["aan_max_pct"].groupby("week").first()) == {100.0, 80.0}  # the schedule
    assert (df["steps"] > 0).all()
    assert (df["ended_by"] == "completed").all()
    summary = json.loads((out / "summary.json").read_text())
    assert "SIMULATED" in summary["label"]
    assert summary["arms"]["fixed-guidance"]["sessions"] == 4
    effects = {(e["outcome"], e["plan"]) for e in summary["effects"]}
    assert effects == {("gait_speed_mps", "aan-decreasing"),
                       ("strength_paretic_frac", "aan-decreasing")}
    report = (out / "report.html").read_text()
    assert "SIMULATED" in report
    assert report.count("data:image/png;base64,") == 1  # the recovery curves
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"SIMULATED" in pdf  # the document's subject; every page has the banner
    for e in summary["effects"]:
        if e["difference"] is not None:
            assert e["ci95_low"] <= e["difference"] <= e["ci95_high"]


def test_arms_share_the_patient_and_its_randomness() -> None:
    """Common random numbers: same patient, same session seeds in every arm; the same course
    twice is the same course."""
    plans = load_plans(PLANS.split(","))
    design = TrialDesign(seed=5, cohort=1, weeks=1, sessions_per_week=1, minutes=0.05)
    patient = cohort(design)[0]
    a, b = (run_course(design, patient, p) for p in plans)
    assert a.rows[0].seed == b.rows[0].seed
    assert a.rows[0].patient == b.rows[0].patient
    assert a.rows[0].controller == "guidance"
    assert b.rows[0].controller == "aan"
    assert run_course(design, patient, plans[0]).rows == a.rows


def test_courses_batched_equal_courses_one_by_one() -> None:
    """A cohort batch of courses (both arms of a patient, and another patient) gives each
    course exactly what it gives alone, and reports every session under its course."""
    plans = load_plans(PLANS.split(","))
    design = TrialDesign(seed=7, cohort=2, weeks=1, sessions_per_week=2, minutes=0.02)
    members = [(p, plan) for p in cohort(design) for plan in plans][:3]
    heard: list[tuple[int, int]] = []
    outcomes = run_courses(design, members, threads=2,
                           on_session=lambda k, row: heard.append((k, row.session)))
    for (patient, plan), out in zip(members, outcomes, strict=True):
        assert out.ok, out.error
        assert out.value().rows == run_course(design, patient, plan).rows
    assert sorted(heard) == [(k, n) for k in range(3) for n in (1, 2)]


def test_cli_on_a_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trial"
    code = cli_main.main(["trial", "--plans", PLANS, *ARGS, "--out", str(out),
                          "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "courses run 4, already done 0" in captured.out
    assert "sessions 8/8" in captured.err  # the progress line
    check_results(out)
    # the same --out again without --resume: refused, nothing lost
    code = cli_main.main(["trial", "--plans", PLANS, *ARGS, "--out", str(out)])
    assert code == 2
    assert "--resume" in capsys.readouterr().err
    check_results(out)


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main.main(["trial", "--plans", str(EXAMPLES / "fixed-guidance.toml"),
                          "--out", str(tmp_path / "t")])
    assert code == 2
    assert "at least two plans" in capsys.readouterr().err
    code = cli_main.main(["trial", "--plans", f"{PLANS},{tmp_path / 'nope.toml'}",
                          "--out", str(tmp_path / "t")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()
    code = cli_main.main(["trial", "--plans", PLANS, "--out", str(tmp_path / "t"),
                          "--batch", "65"])
    assert code == 2
    assert "--batch must be within 1-64, got 65" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `dask scheduler` and two `dask worker` processes (the CLI of distributed), shared
    by the tests of this module (the killed-worker test, last, leaves one). No nanny: a killed
    worker stays dead, as a lost machine would."""
    dask = Path(sys.executable).with_name("dask")
    sched_file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(dask), "scheduler", "--scheduler-file", str(sched_file),
                               "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.2)
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(dask), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
                 "--no-nanny", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(sched_file.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def test_on_a_real_scheduler_and_resume(tmp_path: Path, dask_cluster: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trial"
    code = cli_main.main(["trial", "--plans", PLANS, *ARGS, "--out", str(out),
                          "--scheduler", dask_cluster])
    assert code == 0, capsys.readouterr().err
    check_results(out)
    first = pq.read_table(out / "sessions.parquet").to_pandas()
    # as after a Ctrl-C: one course never finished
    lost = out / ARMS_DIR / "aan-decreasing" / f"{cohort(DESIGN)[1].id}.parquet"
    lost.unlink()
    (out / "sessions.parquet").unlink()
    run = run_trial(load_plans(PLANS.split(",")), DESIGN, out, scheduler=dask_cluster,
                    resume=True, progress=False)
    assert len(run.ran) == 1
    assert len(run.skipped) == 3
    assert run.ran[0].endswith(f"aan-decreasing-{cohort(DESIGN)[1].id}")
    check_results(out)
    again = pq.read_table(out / "sessions.parquet").to_pandas()
    assert again.equals(first)  # deterministic: the rerun course is the same course
    # the whole trial again as cohort batches of 3 courses per task: the same results
    batched = tmp_path / "batched"
    code = cli_main.main(["trial", "--plans", PLANS, *ARGS, "--out", str(batched),
                          "--scheduler", dask_cluster, "--batch", "3"])
    assert code == 0, capsys.readouterr().err
    assert "courses run 4, already done 0" in capsys.readouterr().out
    check_results(batched)
    assert pq.read_table(batched / "sessions.parquet").to_pandas().equals(first)


def test_a_killed_worker_loses_nothing_and_counts_nothing_twice(tmp_path: Path,
                                                                dask_cluster: str) -> None:
    from distributed import Client

    design = TrialDesign(seed=6, cohort=2, weeks=2, sessions_per_week=1, minutes=0.05)
    out = tmp_path / "trial"
    result: dict[str, object] = {}

    def trial() -> None:
        try:
            result["run"] = run_trial(load_plans(PLANS.split(",")), design, out,
                                      scheduler=dask_cluster, progress=False)
        except BaseException as exc:  # reported below
            result["error"] = exc

    thread = threading.Thread(target=trial)
    with Client(dask_cluster, timeout="30s") as client:
        thread.start()
        deadline = time.monotonic() + 120
        busy: list[str] = []
        while not busy:
            assert time.monotonic() < deadline, "no worker started a course"
            busy = [w for w, tasks in client.processing().items() if tasks]
            time.sleep(0.05)
        victim = busy[0]
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)  # mid-course: its tasks must run again elsewhere
        thread.join(timeout=300)
        assert len(client.scheduler_info()["workers"]) == 1  # the worker is really gone
    assert "error" not in result, result.get("error")
    run = result["run"]
    assert isinstance(run, TrialRun)
    assert len(run.ran) == 4
    df = pq.read_table(out / "sessions.parquet").to_pandas()
    assert len(df) == 8  # every session once: none lost, none twice
    assert not df.duplicated(["patient", "plan", "session"]).any()
