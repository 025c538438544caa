"""Exports from stored rows: per-stride CSV/Parquet and FHIR R4 (validated)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B.bundle import Bundle

from gaitway.clinic import records
from gaitway.clinic.exports import export_session, fhir_bundle, validate_bundle
from gaitway.clinic.store import ClinicStore
from gaitway.errors import UserError

from .helpers import course


def test_stride_csv_and_parquet_match_the_store(store: ClinicStore, tmp_path: Path) -> None:
    (sid,) = course(store, n=1)
    with store.reader() as db:
        s = records.find_session(db, sid)
        n = len(s.strides)
        csv_files = export_session(db, s, "csv", tmp_path / "csv")
        export_session(db, s, "parquet", tmp_path / "pq")
        first_time = s.strides[0].stride_time_s
    assert {p.name for p in csv_files} == {"strides.csv", "metadata.json"}
    t = pacsv.read_csv(tmp_path / "csv" / "strides.csv")
    assert t.num_rows == n
    assert t.column("simulated").to_pylist() == [True] * n
    assert t.column("stride_time_s")[0].as_py() == pytest.approx(first_time)
    p = pq.read_table(tmp_path / "pq" / "strides.parquet")
    assert p.num_rows == n
    assert "cadence_steps_per_min" in p.column_names
    meta = json.loads(p.schema.metadata[b"gaitway"])
    assert meta["simulated"] is True
    assert "SIMULATED" in meta["notice"]
    assert meta["raw"].startswith("not exported: no recording")
    assert not list(tmp_path.glob("*.part"))


def test_fhir_bundle_validates_and_uses_loinc(store: ClinicStore, tmp_path: Path) -> None:
    (sid,) = course(store, n=1)
    with store.transaction() as db:
        p = records.find_patient(db, "SIM-A")
        records.add_assessment(db, actor="t", patient=p, test="6mwt", value=180)
        records.add_assessment(db, actor="t", patient=p, test="bbs", value=40)
    with store.reader() as db:
        s = records.find_session(db, sid)
        (out,) = export_session(db, s, "fhir", tmp_path / "b.json")
    data = json.loads(out.read_text())
    bundle = Bundle.model_validate(data)
    assert bundle.type == "collection"
    resources = [e["resource"] for e in data["entry"]]
    assert resources[0]["resourceType"] == "Patient"
    assert resources[0]["meta"]["security"][0]["code"] == "HTEST"
    codes = {(r["code"]["coding"][0]["system"], r["code"]["coding"][0]["code"])
             for r in resources[1:]}
    assert ("http://loinc.org", "55423-8") in codes  # steps
    assert ("http://loinc.org", "64098-7") in codes  # 6MWT walking distance
    assert all("SIMULATED" in r["text"]["div"] for r in resources)
    steps = next(r for r in resources[1:] if r["code"]["coding"][0]["code"] == "55423-8")
    assert steps["valueQuantity"]["value"] == s.steps
    assert steps["subject"]["reference"] == "Patient/SIM-A"


def test_validate_bundle_rejects_a_broken_observation(store: ClinicStore) -> None:
    (sid,) = course(store, n=1)
    with store.reader() as db:
        bundle = fhir_bundle(db, records.find_session(db, sid))
    del bundle["entry"][1]["resource"]["code"]  # required by R4's Observation
    with pytest.raises(ValueError, match="code"):
        validate_bundle(bundle)


def test_export_errors_are_user_errors(store: ClinicStore, tmp_path: Path) -> None:
    (sid,) = course(store, n=1)
    with store.reader() as db:
        s = records.find_session(db, sid)
        with pytest.raises(UserError, match="unknown export format"):
            export_session(db, s, "xlsx", tmp_path / "x")
        with pytest.raises(UserError, match="recording"):
            export_session(db, s, "c3d", tmp_path / "x.c3d")
        with pytest.raises(UserError, match="does not exist"):
            export_session(db, s, "fhir", tmp_path / "no" / "b.json")
