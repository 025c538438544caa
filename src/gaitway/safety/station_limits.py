"""A hardware station's device config as the supervisor's limits, refused if they disagree.

The drives' current limits set the torque they can give; the config's ``[limits]`` table
sets what the supervisor clips to and faults at. Both end up in one :class:`DeviceLimits`,
so the supervisor judges with the numbers the drives were configured with. Contradictions are
refused with one line saying which number to change: a torque limit the drives cannot give,
or one whose current would trip the over-current fault (a false stop on every strong step),
or an encoder too coarse for the stale-signal check (a joint moving at the check's speed
must change its counts several times within the check's ticks).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from gaitway.errors import UserError
from gaitway.safety.limits import DeviceLimits, PatientLimits, SafetyLimits, TimingLimits
from gaitway.station.canopen.config import StationLimits

#: rounding slack when comparing a configured torque with what the drives give
_SLACK: Final[float] = 1e-6
#: counts a joint moving at TimingLimits.stale_moving_rad_s must make within stale_ticks
STALE_MIN_COUNTS: Final[int] = 3


def check_encoders(lim: StationLimits, timing: TimingLimits) -> None:
    """Refuse an encoder too coarse for the stale-signal check on quantised joint angles: at
    rest its counts repeat, so the check needs a joint that moves to change them."""
    joint, rad = lim.coarsest_encoder
    most = timing.stale_moving_rad_s * timing.dt * timing.stale_ticks / STALE_MIN_COUNTS
    if rad > most:
        raise UserError(
            f"the {joint} encoder resolves {rad * 1e3:.3f} mrad per count at the joint, coarser "
            f"than the {most * 1e3:.3f} mrad the stale-signal check needs: raise "
            "encoder_counts_per_rev (or the gear ratio)")


def device_limits(lim: StationLimits, base: DeviceLimits | None = None) -> DeviceLimits:
    """The device limits of a configured station (UserError on a contradiction)."""
    base = base or DeviceLimits()
    check_encoders(lim, TimingLimits(dt=lim.dt_s))
    values: dict[str, object] = {}
    for joint, peak, soft, amps in (
            ("hip", lim.hip_peak_torque_nm, lim.hip_torque_soft_nm, lim.hip_amps_per_nm),
            ("knee", lim.knee_peak_torque_nm, lim.knee_torque_soft_nm, lim.knee_amps_per_nm)):
        soft = peak if soft is None else soft
        if soft > peak * (1.0 + _SLACK):
            raise UserError(
                f"[limits] {joint}_torque_soft_nm {soft:g} N*m is more than the {joint} drives "
                f"can give ({peak:.1f} N*m at their current limit): lower it or raise "
                "current_limit_a")
        current = lim.current_hard_a if lim.current_hard_a is not None else base.current_hard
        if soft * amps >= current:
            raise UserError(
                f"[limits] a {joint} torque at its limit ({soft:g} N*m) draws "
                f"{soft * amps:.1f} A, at or above the over-current fault ({current:g} A): "
                "every strong step would stop the session; lower the torque limit or raise "
                "current_hard_a")
        values[f"{joint}_peak_torque"] = max(peak, soft)
        values[f"{joint}_torque_soft"] = soft
    if lim.current_hard_a is not None:
        values["current_hard"] = lim.current_hard_a
    if lim.hip_stop_rad is not None:
        values["hip_stop"] = lim.hip_stop_rad
    if lim.knee_stop_rad is not None:
        values["knee_stop"] = lim.knee_stop_rad
    try:
        return replace(base, **values)  # type: ignore[arg-type]
    except UserError as exc:
        raise UserError(f"[limits]: {exc}") from None


def safety_limits(lim: StationLimits, body_mass_kg: float) -> SafetyLimits:
    """Everything the supervisor checks against, for this patient on this station."""
    dev = device_limits(lim)
    return SafetyLimits(patient=PatientLimits.from_measured_range(body_mass_kg=body_mass_kg,
                                                                  device=dev),
                        device=dev, timing=TimingLimits(dt=lim.dt_s))
