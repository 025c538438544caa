"""Clinic store benchmarks: importing a 30-minute session, and a progress report over 40.

Rows compare against baselines measured in the same run:
- import: the store's share of an import (session row, ~2,800 stride rows, events, audit, in
  one transaction on SQLite) against a bare ``sqlite3`` executemany of the same stride tuples;
- full import of a 30-minute recording (1 kHz, written by the real recorder from synthetic
  SIMULATED signals): open, analyse with gaitway.analytics, store; against reading the same
  channels from the recording alone (the decoding floor the import cannot go below), as wall
  time and as CPU time of the process (all threads; steadier than wall time on a loaded
  machine);
- progress report: analysis + PDF + HTML over 40 sessions against the same renderers drawing
  the same number of one-line plots (matplotlib's fixed cost).
Data are synthetic and SIMULATED (gaitway.clinic.synthetic).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

from gaitway.clinic import records
from gaitway.clinic.importer import import_data, import_session, stride_rows
from gaitway.clinic.reports.progress_report import progress_report
from gaitway.clinic.reports.render import write_html, write_pdf
from gaitway.clinic.store import ClinicStore
from gaitway.clinic.synthetic import synthetic_session, write_session_dir

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def _baseline_insert(rows: list[dict[str, object]], path: Path) -> float:
    con = sqlite3.connect(path)
    cols = [c for c in rows[0] if c != "extra"]
    quoted = ", ".join(f'"{c}"' for c in cols)
    con.execute(f"CREATE TABLE s ({quoted})")
    t = time.perf_counter()
    with con:
        con.executemany(f"INSERT INTO s VALUES ({', '.join('?' * len(cols))})",
                        [tuple(r[c] for c in cols) for r in rows])
    dt_s = time.perf_counter() - t
    con.close()
    return dt_s


def _read_floor(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds to open the recording and read the channels the import analyses."""
    from gaitway.analytics.readers.recording_reader import FORCE_CHANNELS, KIN_CHANNELS
    from gaitway.recording import open_recording  # type: ignore[attr-defined,unused-ignore]

    t, c = time.perf_counter(), time.process_time()
    rec = open_recording(path)
    names = [n for n in FORCE_CHANNELS + KIN_CHANNELS if n in rec.channel_names]
    series = rec.read(channels=names)
    took = time.perf_counter() - t, time.process_time() - c
    del series
    return took


def _trivial_report(n_plots: int, tmp: Path) -> float:
    """The same renderers with the same number of plots, each one straight line: the fixed
    cost of matplotlib, against which the progress report's own work shows."""
    from gaitway.clinic.reports.layout import Header
    from gaitway.clinic.reports.render import Plot, ReportContent

    content = ReportContent(Header("baseline", "", True, ""), plots=[
        Plot(str(i), lambda ax: ax.plot([0, 1], [0, 1])) for i in range(n_plots)])
    t = time.perf_counter()
    write_pdf(content, tmp / "base.pdf")
    write_html(content, tmp / "base.html")
    return time.perf_counter() - t


def run(quick: bool = False) -> list[dict[str, object]]:
    minutes = 5.0 if quick else 30.0
    n_sessions = 10 if quick else 40
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        store = ClinicStore(f"sqlite:///{tmp / 'bench.sqlite'}")
        data = synthetic_session(seed=1, started_at=T0, minutes=minutes)
        n_strides = data.analysis.n_strides
        base = _baseline_insert(stride_rows(data.session_id, data.analysis), tmp / "b.sqlite")
        t = time.perf_counter()
        import_data(store, data, actor="bench")
        took = time.perf_counter() - t
        rows.append({"name": f"import {minutes:.0f}-min session ({n_strides} strides), SQLite",
                     "value": round(took, 3), "unit": "s", "baseline": round(base, 4),
                     "ratio": round(took / base, 1), "goal": "<= 5 s for 30 min"})
        t = time.perf_counter()
        import_data(store, synthetic_session(seed=1, started_at=T0, minutes=minutes),
                    actor="bench")
        rows.append({"name": "re-import of the same session (idempotent no-op)",
                     "value": round(time.perf_counter() - t, 4), "unit": "s",
                     "baseline": round(took, 3),
                     "ratio": round((time.perf_counter() - t) / took, 3), "goal": "no change"})

        # the whole import: open the recording, analyse it (gaitway.analytics), store it
        write_session_dir(tmp / "rec", seconds=minutes * 60)
        import gaitway.analytics.analyze  # noqa: F401 - module import (scipy) is not per session
        base_wall, base_cpu = _read_floor(tmp / "rec" / "recording.gwrec")
        t, c = time.perf_counter(), time.process_time()
        result = import_session(store, tmp / "rec", actor="bench")
        took_full, cpu_full = time.perf_counter() - t, time.process_time() - c
        name = f"import {minutes:.0f}-min recording incl. analysis ({result.strides} strides)"
        rows.append({"name": f"{name}, SQLite, wall", "value": round(took_full, 2), "unit": "s",
                     "baseline": round(base_wall, 3), "ratio": round(took_full / base_wall, 2),
                     "goal": "<= 5 s for 30 min"})
        rows.append({"name": f"{name}, SQLite, CPU (all threads)", "value": round(cpu_full, 2),
                     "unit": "s", "baseline": round(base_cpu, 3),
                     "ratio": round(cpu_full / base_cpu, 2), "goal": "<= 5 s for 30 min"})

        with store.transaction() as db:
            records.add_patient(db, actor="bench", pseudonym="SIM-BENCH", simulated=True,
                                affected_side="left")
        for i in range(n_sessions):
            s = synthetic_session(seed=100 + i, started_at=T0 + dt.timedelta(days=2 * i),
                                  minutes=30.0, guidance_pct=90 - i, bws_pct=50 - i * 0.5,
                                  asymmetry=0.2 - 0.004 * i)
            import_data(store, s, actor="bench", patient_ref="SIM-BENCH")
        t = time.perf_counter()
        with store.reader() as db:
            content = progress_report(db, records.find_patient(db, "SIM-BENCH"))
            pages = write_pdf(content, tmp / "p.pdf")
            write_html(content, tmp / "p.html")
        took = time.perf_counter() - t
        base = _trivial_report(len(content.plots), tmp)
        rows.append({"name": f"progress report over {n_sessions} sessions (PDF {pages} p. + HTML)",
                     "value": round(took, 2), "unit": "s", "baseline": round(base, 3),
                     "ratio": round(took / base, 1), "goal": "<= 10 s for 40 sessions"})
        store.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
