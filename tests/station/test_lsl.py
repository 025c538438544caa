"""Lab Streaming Layer, across processes: the station's outlets read by another process,
and an EMG amplifier in another process feeding the station's inlet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import uuid

import numpy as np
import pytest

from gaitway.station.channels import N_SAMPLE_CHANNELS, SAMPLE_INDEX
from gaitway.station.interface import Command, Sample
from gaitway.station.lsl import InletSpec, LslInlets, LslInputStation, LslOutlets, lsl_now
from gaitway.station.replay import RecordedSamples, ReplayStation

READER = textwrap.dedent("""
    import json, sys, pylsl
    src = sys.argv[1]
    # the outlet's process may still be loading on a busy machine: resolve returns as
    # soon as the stream is seen
    found = pylsl.resolve_byprop("source_id", src, timeout=60)
    if not found:
        sys.exit(f"no stream with source id {src} within 60 s")
    inlet = pylsl.StreamInlet(found[0])
    info = inlet.info(timeout=10)
    ch = info.desc().child("channels").child("channel")
    meta = []
    for _ in range(info.channel_count()):
        meta.append([ch.child_value("label"), ch.child_value("unit"), ch.child_value("type")])
        ch = ch.next_sibling()
    marks = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", src + "-markers", timeout=10)[0])
    marks.open_stream(timeout=10)
    inlet.open_stream(timeout=10)
    print("ready", flush=True)
    rows, texts = [], []
    while len(rows) < 20 or not texts:
        s, t = inlet.pull_sample(timeout=10)
        if s is None:
            break
        rows.append(s)
        m, _ = marks.pull_sample(timeout=0.0)
        if m:
            texts.append(m[0])
    print(json.dumps({"meta": meta, "rows": rows, "markers": texts,
                      "rate": info.nominal_srate(),
                      "simulated": info.desc().child_value("simulated")}), flush=True)
""")

EMG_AMP = textwrap.dedent("""
    import sys, time, pylsl
    name = sys.argv[1]
    info = pylsl.StreamInfo(name, "EMG", 2, 1000.0, pylsl.cf_float32, name)
    chs = info.desc().append_child("channels")
    for label in ("emg_tibialis_anterior_left", "emg_vastus_lateralis_right"):
        c = chs.append_child("channel")
        c.append_child_value("label", label)
        c.append_child_value("unit", "V")
    out = pylsl.StreamOutlet(info)
    print("streaming", flush=True)
    k = 0
    end = time.time() + 20
    while time.time() < end:
        out.push_sample([1e-4 * (k % 100), -2e-4])
        k += 1
        time.sleep(0.001)
""")


@pytest.mark.timeout(60)
def test_outlets_are_read_with_channel_metadata_from_another_process() -> None:
    src = f"gaitway-test-{uuid.uuid4().hex[:8]}"
    out = LslOutlets(source_id=src, rate_hz=100.0,
                     channels=["hip_angle_left", "grf_z_right", "emg_tibialis_anterior_left"])
    proc = subprocess.Popen([sys.executable, "-c", READER, src], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        v = np.zeros(N_SAMPLE_CHANNELS)
        for k in range(2000):  # 2 s of 1 kHz loop -> 100 Hz on LSL
            v[SAMPLE_INDEX["hip_angle_left"]] = k * 1e-3
            v[SAMPLE_INDEX["grf_z_right"]] = 700.0
            out.push(Sample(v.copy()))
            if k == 500:
                out.marker("stride_left")
            time.sleep(0.0005)
        got = json.loads(proc.communicate(timeout=30)[0].strip().splitlines()[-1])
    finally:
        proc.kill()
        out.close()
    assert got["meta"] == [["hip_angle_left", "rad", "Angle"], ["grf_z_right", "N", "Force"],
                           ["emg_tibialis_anterior_left", "V", "EMG"]]
    assert got["rate"] == pytest.approx(100.0)
    assert got["simulated"] == "true"
    assert len(got["rows"]) >= 20
    hip = [r[0] for r in got["rows"]]
    assert hip == sorted(hip)
    assert np.allclose(np.diff(hip), 0.01)  # every 10th loop sample, none lost
    assert all(r[1] == 700.0 for r in got["rows"])
    assert got["markers"] == ["stride_left"]


@pytest.mark.timeout(60)
def test_an_emg_amplifier_in_another_process_feeds_the_sample() -> None:
    name = f"gaitway-emg-{uuid.uuid4().hex[:8]}"
    amp = subprocess.Popen([sys.executable, "-c", EMG_AMP, name], stdout=subprocess.PIPE,
                           text=True)
    try:
        assert amp.stdout is not None
        assert amp.stdout.readline().strip() == "streaming"
        inlets = LslInlets([InletSpec("EMG", name=name, timeout_s=10.0)])
        t = np.arange(3000) * 0.001
        base = ReplayStation(RecordedSamples(time_s=t, channel_names=("hip_angle_left",),
                                             values=np.zeros((3000, 1)), body_mass_kg=70.0,
                                             simulated=True), speed=1.0)
        station = LslInputStation(base, inlets)
        with station:
            s = station.last_sample
            for _ in range(1000):
                s = station.step(Command())
            assert inlets.samples_read > 100
            assert s.emg("vastus_lateralis", "right") == pytest.approx(-2e-4, rel=1e-6)
            assert 0.0 <= s.emg("tibialis_anterior", "left") < 1e-2
            assert s.emg("gastrocnemius_medialis", "left") == 0.0  # not streamed: untouched
            offset = inlets.clock_offsets_s[name]
            assert abs(offset) < 0.05  # one computer: the corrected clocks agree closely
            latest = inlets.latest_time_s[name]
            assert abs(lsl_now() - latest) < 0.5
    finally:
        amp.kill()
