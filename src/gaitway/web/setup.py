"""Who trains on a station and how its session starts: :class:`StationSetup`."""

from __future__ import annotations

from dataclasses import dataclass, field

from gaitway.session.settings import SessionSettings


@dataclass
class StationSetup:
    """Who trains on a station and how the session starts (from the prescription)."""

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
    simulated: bool = True

    def session_settings(self, index: int) -> SessionSettings:
        """The settings of this station's ``index``-th session (0 first): the same patient,
        one session further on, with its own seed. Validated."""
        return SessionSettings(
            profile=self.profile, minutes=self.minutes, seed=self.seed + index,
            session_index=index, guidance_pct=self.guidance_pct, bws_pct=self.bws_pct,
            speed_kmh=self.speed_kmh, controller=self.controller).validate()


__all__ = ["StationSetup"]
