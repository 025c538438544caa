"""Reports: PDF pages and HTML for sessions and progress, SIMULATED on every page."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from gaitway.clinic import records
from gaitway.clinic.reports import plots
from gaitway.clinic.reports.progress_report import progress_report
from gaitway.clinic.reports.render import write_html, write_pdf
from gaitway.clinic.reports.session_report import session_report
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError

from .helpers import course


@pytest.fixture
def sqlite_store(tmp_path: Path) -> ClinicStore:
    return ClinicStore(f"sqlite:///{tmp_path / 'c.sqlite'}")


def _pdf_pages_text(path: Path) -> list[str]:
    """Text drawn on each page of a matplotlib PDF (its content streams, inflated)."""
    raw = path.read_bytes()
    pages = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        if b"BT" in body:  # a page content stream with text
            pages.append(body.decode("latin-1"))
    return pages


def test_session_report_pdf_and_html(sqlite_store: ClinicStore, tmp_path: Path) -> None:
    ids = course(sqlite_store, n=3)
    with sqlite_store.reader() as db:
        content = session_report(db, records.find_session(db, ids[-1]))
        n = write_pdf(content, tmp_path / "s.pdf")
        write_html(content, tmp_path / "s.html")
    assert 1 <= n <= 3
    pages = _pdf_pages_text(tmp_path / "s.pdf")
    assert len(pages) == n
    html = (tmp_path / "s.html").read_text()
    assert html.count("data:image/png;base64,") == len(content.plots) == 5
    assert "[SIMULATED]" in html
    assert "SIMULATED - virtual patient" in html
    lines = dict(content.sections)["For the patient"]
    assert any("more steps than" in line or "fewer steps than" in line for line in lines)
    assert any("less guidance" in line for line in lines)


def test_every_pdf_page_of_a_virtual_patient_says_simulated(sqlite_store: ClinicStore,
                                                            tmp_path: Path) -> None:
    course(sqlite_store, n=4)
    with sqlite_store.reader() as db:
        content = progress_report(db, records.find_patient(db, "SIM-A"))
    n = write_pdf(content, tmp_path / "p.pdf")
    assert n >= 2
    header = content.header
    assert header.simulated
    from gaitway.clinic.reports import layout

    for i in range(1, n + 1):
        fig = layout.new_page(header, i, n)
        texts = [t.get_text() for t in fig.texts]
        assert layout.SIMULATED_TEXT in texts
        assert "SIMULATED" in texts


def test_real_patient_report_has_no_simulated_banner(sqlite_store: ClinicStore,
                                                     tmp_path: Path) -> None:
    with sqlite_store.transaction() as db:
        p = records.add_patient(db, actor="t", pseudonym="P9", affected_side="right")
        records.add_assessment(db, actor="t", patient=p, test="10mwt", value=0.5)
    with sqlite_store.reader() as db:
        content = progress_report(db, records.find_patient(db, "P9"))
    write_html(content, tmp_path / "p.html")
    assert "SIMULATED" not in (tmp_path / "p.html").read_text()
    assert not content.header.simulated


def test_report_into_missing_folder_is_a_user_error(sqlite_store: ClinicStore,
                                                    tmp_path: Path) -> None:
    course(sqlite_store, n=1)
    with sqlite_store.reader() as db:
        content = progress_report(db, records.find_patient(db, "SIM-A"))
    with pytest.raises(UserError, match="does not exist"):
        write_pdf(content, tmp_path / "nope" / "p.pdf")
    assert not list(tmp_path.glob("**/*.part"))


def test_normative_curve_comes_from_the_reference_gait() -> None:
    knee = plots.normative_curve("knee", 0.5, 1.75)
    assert knee is not None
    assert knee.shape == (101,)
    assert 45 < knee.max() < 70
    assert knee.argmax() in range(60, 85)


def test_cycle_curve_reads_the_analysis_layout() -> None:
    cycles = {"left": {"knee": {"mean": [1.0, 2.0], "sd": [0.1, 0.2]}}}
    got = plots.cycle_curve(cycles, "left", "knee")
    assert got is not None
    assert list(got[0]) == [1.0, 2.0]
    assert plots.cycle_curve(cycles, "right", "knee") is None
