"""Who trains on a station and how its session starts: :class:`StationSetup`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gaitway.session.replay import recorded_samples, replay_session, replay_settings
from gaitway.session.settings import SessionSettings


@dataclass
class StationSetup:
    """Who trains on a station and how the session starts: from the patient's active
    prescription as it stands when the session starts (``gaitway.web.assign``; its id in
    ``prescription_id``), else these defaults."""

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
    therapists: set[str] = field(default_factory=set)
    patient_id: int | None = None
    #: the active prescription the settings above come from (None: the defaults)
    prescription_id: int | None = None
    simulated: bool = True
    #: a recording this station plays back through its loop instead of training on the twin
    #: (the console, analytics and safety exercised with it); its sessions take the recorded
    #: session's settings
    replay: Path | None = None

    def session_settings(self, index: int) -> SessionSettings:
        """The settings of this station's ``index``-th session (0 first): the same patient,
        one session further on, with its own seed. Validated."""
        if self.replay is not None:
            return replay_session(self.replay)[0]
        return SessionSettings(
            profile=self.profile, minutes=self.minutes, seed=self.seed + index,
            session_index=index, guidance_pct=self.guidance_pct, bws_pct=self.bws_pct,
            speed_kmh=self.speed_kmh, controller=self.controller).validate()


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


__all__ = ["StationSetup", "replay_setup"]
