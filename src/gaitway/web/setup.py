"""Who trains on a station and how its session starts: :class:`StationSetup`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaitway.session.replay import recorded_samples, replay_session, replay_settings
from gaitway.session.settings import SessionSettings


@dataclass(frozen=True)
class TrainingDefaults:
    """What a station's sessions use when its patient has no active prescription: the
    station's own settings as it was set up (never a previous patient's prescription)."""

    minutes: float
    guidance_pct: float
    bws_pct: float
    speed_kmh: float
    controller: str
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0


def patient_session_seed(patient_id: int, session_index: int) -> int:
    """The seed of a patient's ``session_index``-th session (0 first) on a SIMULATED station:
    derived from the patient and the session's number in their course, so the same patient's
    sessions differ from each other and from every other patient's, whichever station they
    train on, and the same session of the same patient is the same simulated session."""
    state = np.random.SeedSequence([patient_id, session_index, 0x57A7]).generate_state(1)
    return int(state[0]) & 0x7FFFFFFF


@dataclass
class StationSetup:
    """Who trains on a station and how the session starts: from the patient's active
    prescription as it stands when the session starts (``gaitway.web.assign``; its id in
    ``prescription_id``), else the station's defaults (``defaults``, taken from the values
    given when the setup is made).

    Seeds: a patient with a clinic record (``patient_id``) trains sessions seeded from the
    patient and the session's number in their course (``first_session_index``, the sessions
    stored for them when the station last read their record, plus the sessions started
    since): a station's counter never carries from one patient to the next. A station
    without a patient record counts from its own ``seed``."""

    station_id: str
    name: str
    profile: str
    patient: str
    seed: int
    minutes: float = 30.0
    guidance_pct: float = 80.0
    bws_pct: float = 30.0
    speed_kmh: float = 1.8
    controller: str = "guidance"
    #: range of motion (scales of the recorded excursion), as the prescription sets it
    hip_rom_scale: float = 1.0
    knee_rom_scale: float = 1.0
    therapists: set[str] = field(default_factory=set)
    patient_id: int | None = None
    #: the active prescription the settings above come from (None: the defaults)
    prescription_id: int | None = None
    simulated: bool = True
    #: a recording this station plays back through its loop instead of training on the twin
    #: (the console, analytics and safety exercised with it); its sessions take the recorded
    #: session's settings
    replay: Path | None = None
    #: the patient's sessions in the clinic store when this setup was read from it
    first_session_index: int = 0
    #: what the sessions use without an active prescription (None: the values above)
    defaults: TrainingDefaults | None = None
    #: the patient's height and body mass from their record (None: the profile's)
    height_m: float | None = None
    body_mass_kg: float | None = None

    def __post_init__(self) -> None:
        if self.defaults is None:
            self.defaults = TrainingDefaults(self.minutes, self.guidance_pct, self.bws_pct,
                                             self.speed_kmh, self.controller,
                                             self.hip_rom_scale, self.knee_rom_scale)

    def session_settings(self, index: int) -> SessionSettings:
        """The settings of the ``index``-th session (0 first) since this setup was made: the
        same patient, one session further on, with its own seed. Validated."""
        if self.replay is not None:
            return replay_session(self.replay)[0]
        n = self.first_session_index + index
        seed = (self.seed + n if self.patient_id is None
                else patient_session_seed(self.patient_id, n))
        return SessionSettings(
            profile=self.profile, minutes=self.minutes, seed=seed, session_index=n,
            guidance_pct=self.guidance_pct, bws_pct=self.bws_pct, speed_kmh=self.speed_kmh,
            controller=self.controller, hip_rom_scale=self.hip_rom_scale,
            knee_rom_scale=self.knee_rom_scale, prescription_id=self.prescription_id,
            height_m=self.height_m, body_mass_kg=self.body_mass_kg).validate()


def replay_setup(path: Path, station_id: str, *,
                 therapists: set[str] | None = None) -> StationSetup:
    """A console station that replays the recording at ``path`` (what the tile shows comes
    from the recorded session's settings; simulated when the recording was)."""
    samples, meta = recorded_samples(path)
    s = replay_settings(path, samples, meta)
    patient = meta.get("patient", {}).get("pseudonym") or f"REPLAY {path.name}"
    return StationSetup(
        station_id=station_id, name=f"Replay {path.name}",
        profile=s.profile, patient=str(patient), seed=s.seed, minutes=s.minutes,
        guidance_pct=s.guidance_pct, bws_pct=s.bws_pct, speed_kmh=s.speed_kmh,
        controller=s.controller, therapists=set(therapists or ()),
        simulated=samples.simulated, replay=path)


__all__ = ["StationSetup", "TrainingDefaults", "patient_session_seed", "replay_setup"]
