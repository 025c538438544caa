"""Scale the twin to a patient: segment lengths, masses and inertias from height and mass.

Fractions are Winter's anthropometric table (D. A. Winter, *Biomechanics and Motor Control of
Human Movement*, 4th ed., 2009, Table 4.1, after Dempster 1955): segment mass as a fraction of
body mass, centre of mass and radius of gyration as fractions of segment length, and segment
lengths as fractions of body height. The model file in ``assets/`` is edited with MjSpec before
compiling, so one file serves every patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final

import mujoco

from gaitway.errors import UserError
from gaitway.station.channels import SIDES

MODEL_FILE: Final[str] = "lokomat.xml"


@dataclass(frozen=True, slots=True)
class SegmentFractions:
    mass: float  # of body mass
    com: float  # from the proximal joint, of segment length
    gyration: float  # radius of gyration about the centre of mass, of segment length
    length: float  # of body height


# Winter 2009, Table 4.1.
THIGH: Final = SegmentFractions(mass=0.100, com=0.433, gyration=0.323, length=0.245)
SHANK: Final = SegmentFractions(mass=0.0465, com=0.433, gyration=0.302, length=0.246)
FOOT: Final = SegmentFractions(mass=0.0145, com=0.50, gyration=0.475, length=0.152)
HAT_MASS: Final[float] = 0.678  # head, arms and trunk (with pelvis), of body mass
#: N*s/m per kg of body mass: viscous damping of the pelvis's vertical motion. The model lumps
#: head, arms, trunk and pelvis into one rigid block held in the frame with no forward motion;
#: what damps a person's vertical motion at each heel strike (trunk and arms, the spine and
#: soft tissue, the frame's vertical guide) is not in it. Without this the body rebounded on
#: the landing leg and lifted the foot off the belt for ~80 ms at every heel strike. A
#: modelling choice (5.3 N*s/m/kg, 400 N*s/m at 75 kg), not a measured value.
PELVIS_VERTICAL_DAMPING: Final[float] = 5.3
ANKLE_HEIGHT: Final[float] = 0.039  # of body height
HIP_HALF_WIDTH: Final[float] = 0.050  # hip joint centre from the midline, of body height
FOOT_RADIUS: Final[float] = 0.025  # m, sole contact capsule

HEIGHT_RANGE_M: Final[tuple[float, float]] = (1.20, 2.10)
MASS_RANGE_KG: Final[tuple[float, float]] = (30.0, 150.0)


@dataclass(frozen=True, slots=True)
class Body:
    """Derived dimensions of one patient, in metres and kilograms."""

    height_m: float
    mass_kg: float

    def __post_init__(self) -> None:
        lo, hi = HEIGHT_RANGE_M
        if not lo <= self.height_m <= hi:
            raise UserError(
                f"patient height {self.height_m} m is outside what the station fits ({lo}-{hi} m)"
            )
        lo, hi = MASS_RANGE_KG
        if not lo <= self.mass_kg <= hi:
            raise UserError(
                f"patient mass {self.mass_kg} kg is outside what the station carries ({lo}-{hi} kg)"
            )

    @property
    def thigh_length(self) -> float:
        return THIGH.length * self.height_m

    @property
    def shank_length(self) -> float:
        return SHANK.length * self.height_m

    @property
    def foot_length(self) -> float:
        return FOOT.length * self.height_m

    @property
    def ankle_height(self) -> float:
        return ANKLE_HEIGHT * self.height_m

    @property
    def leg_length(self) -> float:
        """Hip joint centre to the sole, standing straight."""
        return self.thigh_length + self.shank_length + self.ankle_height

    @property
    def hip_half_width(self) -> float:
        return HIP_HALF_WIDTH * self.height_m


def _set_segment(body: mujoco.MjsBody, frac: SegmentFractions, b: Body, axis: str) -> None:
    length = frac.length * b.height_m
    mass = frac.mass * b.mass_kg
    i_trans = mass * (frac.gyration * length) ** 2
    i_long = 0.1 * i_trans
    body.explicitinertial = True
    body.mass = mass
    if axis == "z":  # thigh, shank: long axis down the segment
        body.ipos = [0.0, 0.0, -frac.com * length]
        body.inertia = [i_trans, i_trans, i_long]
    else:  # foot: long axis forward from the heel
        heel = -0.22 * length
        body.ipos = [heel + frac.com * length, 0.0, -b.ankle_height * 0.6]
        body.inertia = [i_long, i_trans, i_trans]


def build_spec(body: Body, *, lateral_pelvis: bool = False) -> mujoco.MjSpec:
    """The twin's MjSpec, scaled to ``body``. Call ``.compile()`` for the model."""
    xml = resources.files("gaitway.station.sim").joinpath("assets", MODEL_FILE).read_text()
    spec = mujoco.MjSpec.from_string(xml)
    lt, ls, lf, ha = body.thigh_length, body.shank_length, body.foot_length, body.ankle_height
    pelvis = spec.body("pelvis")
    pelvis.pos = [0.0, 0.0, body.leg_length]
    pelvis_geom = spec.geom("pelvis")
    pelvis_geom.mass = HAT_MASS * body.mass_kg
    pelvis_geom.size = [0.06 * body.height_m, 0.09 * body.height_m, 0.05 * body.height_m]
    pelvis_geom.pos = [0.0, 0.0, 0.06 * body.height_m]
    z_joint = spec.joint("pelvis_z")
    z_joint.range = [-0.45 * body.leg_length, 0.10]
    z_joint.damping = [PELVIS_VERTICAL_DAMPING * body.mass_kg, 0.0, 0.0]
    if not lateral_pelvis:
        spec.delete(spec.joint("pelvis_y"))
        spec.delete(spec.sensor("pelvis_y"))
    for side in SIDES:
        sign = 1.0 if side == "left" else -1.0
        spec.body(f"exo_thigh_{side}").pos = [0.0, sign * body.hip_half_width, 0.0]
        spec.geom(f"exo_thigh_{side}").fromto = [0, sign * 0.06, 0, 0, sign * 0.06, -lt]
        spec.geom(f"thigh_{side}").fromto = [0, 0, 0, 0, 0, -lt]
        spec.geom(f"thigh_{side}").size = [0.035 * body.height_m, 0, 0]
        _set_segment(spec.body(f"thigh_{side}"), THIGH, body, "z")
        spec.body(f"exo_shank_{side}").pos = [0.0, 0.0, -lt]
        spec.geom(f"exo_shank_{side}").fromto = [0, sign * 0.06, 0, 0, sign * 0.06, -ls]
        spec.geom(f"shank_{side}").fromto = [0, 0, 0, 0, 0, -ls]
        spec.geom(f"shank_{side}").size = [0.026 * body.height_m, 0, 0]
        _set_segment(spec.body(f"shank_{side}"), SHANK, body, "z")
        spec.body(f"foot_{side}").pos = [0.0, 0.0, -ls]
        z = -ha + FOOT_RADIUS
        spec.geom(f"foot_{side}").fromto = [-0.22 * lf, 0, z, 0.70 * lf - FOOT_RADIUS, 0, z]
        _set_segment(spec.body(f"foot_{side}"), FOOT, body, "x")
        site = spec.body(f"foot_{side}").add_site()
        site.name = f"sole_{side}"
        site.type = mujoco.mjtGeom.mjGEOM_BOX
        # the whole sole, heel and toe caps included, with room for the contact's depth: a
        # contact under the heel's cap fell outside a shorter box, and the true contact
        # flickered off for 1-3 ms while the heel carried a few hundred newtons
        heel, toe = -0.22 * lf - FOOT_RADIUS, 0.70 * lf
        site.pos = [0.5 * (heel + toe), 0.0, z]
        site.size = [0.5 * (toe - heel) + 0.01, 0.05, FOOT_RADIUS + 0.02]
        touch = spec.add_sensor()
        touch.name = f"touch_{side}"
        touch.type = mujoco.mjtSensor.mjSENS_TOUCH
        touch.objtype = mujoco.mjtObj.mjOBJ_SITE
        touch.objname = f"sole_{side}"
    return spec


def build_model(body: Body, *, lateral_pelvis: bool = False) -> mujoco.MjModel:
    model: mujoco.MjModel = build_spec(body, lateral_pelvis=lateral_pelvis).compile()
    return model
