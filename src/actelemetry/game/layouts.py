"""The games' shared-memory page layouts, declared once as ctypes structures.

Facts from the games' published layouts (AC 1.7, ACC v1.8.12; every size and offset held by
tests/game/data/layouts.json): 4-byte packing, little endian,
strings as UTF-16 code units (never ``c_wchar``, which is 4 bytes on Linux). Everything
else (NumPy dtypes, sizes, channel origins, docs) is derived from these classes.
"""

from __future__ import annotations

import ctypes
from ctypes import c_float, c_int32, c_uint16
from typing import cast

__all__ = [
    "LAYOUTS",
    "PAGES",
    "AcGraphics",
    "AcPhysics",
    "AcStatic",
    "AccGraphics",
    "AccPhysics",
    "AccStatic",
    "element_shape",
    "fields_of",
]


class _Page(ctypes.LittleEndianStructure):
    _pack_ = 4


#: fields AC and ACC share at the start of each page (ACC appends to AC's physics and
#: static pages; its graphics page diverges after ``normalizedCarPosition``)
_PHYSICS_COMMON: list[tuple[str, type]] = [
    ("packetId", c_int32),
    ("gas", c_float),
    ("brake", c_float),
    ("fuel", c_float),
    ("gear", c_int32),
    ("rpms", c_int32),
    ("steerAngle", c_float),
    ("speedKmh", c_float),
    ("velocity", c_float * 3),
    ("accG", c_float * 3),
    ("wheelSlip", c_float * 4),
    ("wheelLoad", c_float * 4),
    ("wheelsPressure", c_float * 4),
    ("wheelAngularSpeed", c_float * 4),
    ("tyreWear", c_float * 4),
    ("tyreDirtyLevel", c_float * 4),
    ("tyreCoreTemperature", c_float * 4),
    ("camberRAD", c_float * 4),
    ("suspensionTravel", c_float * 4),
    ("drs", c_float),
    ("tc", c_float),
    ("heading", c_float),
    ("pitch", c_float),
    ("roll", c_float),
    ("cgHeight", c_float),
    ("carDamage", c_float * 5),
    ("numberOfTyresOut", c_int32),
    ("pitLimiterOn", c_int32),
    ("abs", c_float),
    ("kersCharge", c_float),
    ("kersInput", c_float),
    ("autoShifterOn", c_int32),
    ("rideHeight", c_float * 2),
    ("turboBoost", c_float),
    ("ballast", c_float),
    ("airDensity", c_float),
    ("airTemp", c_float),
    ("roadTemp", c_float),
    ("localAngularVel", c_float * 3),
    ("finalFF", c_float),
    ("performanceMeter", c_float),
    ("engineBrake", c_int32),
    ("ersRecoveryLevel", c_int32),
    ("ersPowerLevel", c_int32),
    ("ersHeatCharging", c_int32),
    ("ersIsCharging", c_int32),
    ("kersCurrentKJ", c_float),
    ("drsAvailable", c_int32),
    ("drsEnabled", c_int32),
    ("brakeTemp", c_float * 4),
    ("clutch", c_float),
    ("tyreTempI", c_float * 4),
    ("tyreTempM", c_float * 4),
    ("tyreTempO", c_float * 4),
    ("isAIControlled", c_int32),
    ("tyreContactPoint", (c_float * 3) * 4),
    ("tyreContactNormal", (c_float * 3) * 4),
    ("tyreContactHeading", (c_float * 3) * 4),
    ("brakeBias", c_float),
    ("localVelocity", c_float * 3),
]
_GRAPHICS_COMMON: list[tuple[str, type]] = [
    ("packetId", c_int32),
    ("status", c_int32),
    ("session", c_int32),
    ("currentTime", c_uint16 * 15),
    ("lastTime", c_uint16 * 15),
    ("bestTime", c_uint16 * 15),
    ("split", c_uint16 * 15),
    ("completedLaps", c_int32),
    ("position", c_int32),
    ("iCurrentTime", c_int32),
    ("iLastTime", c_int32),
    ("iBestTime", c_int32),
    ("sessionTimeLeft", c_float),
    ("distanceTraveled", c_float),
    ("isInPit", c_int32),
    ("currentSectorIndex", c_int32),
    ("lastSectorTime", c_int32),
    ("numberOfLaps", c_int32),
    ("tyreCompound", c_uint16 * 33),
    ("replayTimeMultiplier", c_float),
    ("normalizedCarPosition", c_float),
]
_STATIC_COMMON: list[tuple[str, type]] = [
    ("smVersion", c_uint16 * 15),
    ("acVersion", c_uint16 * 15),
    ("numberOfSessions", c_int32),
    ("numCars", c_int32),
    ("carModel", c_uint16 * 33),
    ("track", c_uint16 * 33),
    ("playerName", c_uint16 * 33),
    ("playerSurname", c_uint16 * 33),
    ("playerNick", c_uint16 * 33),
    ("sectorCount", c_int32),
    ("maxTorque", c_float),
    ("maxPower", c_float),
    ("maxRpm", c_int32),
    ("maxFuel", c_float),
    ("suspensionMaxTravel", c_float * 4),
    ("tyreRadius", c_float * 4),
    ("maxTurboBoost", c_float),
    ("deprecated_1", c_float),
    ("deprecated_2", c_float),
    ("penaltiesEnabled", c_int32),
    ("aidFuelRate", c_float),
    ("aidTireRate", c_float),
    ("aidMechanicalDamage", c_float),
    ("aidAllowTyreBlankets", c_int32),
    ("aidStability", c_float),
    ("aidAutoClutch", c_int32),
    ("aidAutoBlip", c_int32),
    ("hasDRS", c_int32),
    ("hasERS", c_int32),
    ("hasKERS", c_int32),
    ("kersMaxJ", c_float),
    ("engineBrakeSettingsCount", c_int32),
    ("ersPowerControllerCount", c_int32),
    ("trackSPlineLength", c_float),
    ("trackConfiguration", c_uint16 * 33),
    ("ersMaxJ", c_float),
    ("isTimedRace", c_int32),
    ("hasExtraLap", c_int32),
    ("carSkin", c_uint16 * 33),
    ("reversedGridPositions", c_int32),
    ("PitWindowStart", c_int32),
    ("PitWindowEnd", c_int32),
]


class AcPhysics(_Page):
    """AC physics page `SPageFilePhysics`, 580 bytes."""

    _fields_ = _PHYSICS_COMMON


class AcGraphics(_Page):
    """AC graphics page `SPageFileGraphic`, 296 bytes."""

    _fields_ = [
        *_GRAPHICS_COMMON,
        ("carCoordinates", c_float * 3),
        ("penaltyTime", c_float),
        ("flag", c_int32),
        ("idealLineOn", c_int32),
        ("isInPitLane", c_int32),
        ("surfaceGrip", c_float),
        ("mandatoryPitDone", c_int32),
        ("windSpeed", c_float),
        ("windDirection", c_float),
    ]


class AcStatic(_Page):
    """AC static page `SPageFileStatic`, 684 bytes."""

    _fields_ = _STATIC_COMMON


class AccPhysics(_Page):
    """ACC physics page `SPageFilePhysics`, 800 bytes."""

    _fields_ = [
        *_PHYSICS_COMMON,
        ("P2PActivations", c_int32),
        ("P2PStatus", c_int32),
        ("currentMaxRpm", c_int32),
        ("mz", c_float * 4),
        ("fx", c_float * 4),
        ("fy", c_float * 4),
        ("slipRatio", c_float * 4),
        ("slipAngle", c_float * 4),
        ("tcinAction", c_int32),
        ("absInAction", c_int32),
        ("suspensionDamage", c_float * 4),
        ("tyreTemp", c_float * 4),
        ("waterTemp", c_float),
        ("brakePressure", c_float * 4),
        ("frontBrakeCompound", c_int32),
        ("rearBrakeCompound", c_int32),
        ("padLife", c_float * 4),
        ("discLife", c_float * 4),
        ("ignitionOn", c_int32),
        ("starterEngineOn", c_int32),
        ("isEngineRunning", c_int32),
        ("kerbVibration", c_float),
        ("slipVibrations", c_float),
        ("gVibrations", c_float),
        ("absVibrations", c_float),
    ]


class AccGraphics(_Page):
    """ACC graphics page `SPageFileGraphic`, 1588 bytes."""

    _fields_ = [
        *_GRAPHICS_COMMON,
        ("activeCars", c_int32),
        ("carCoordinates", (c_float * 3) * 60),
        ("carID", c_int32 * 60),
        ("playerCarID", c_int32),
        ("penaltyTime", c_float),
        ("flag", c_int32),
        ("penalty", c_int32),
        ("idealLineOn", c_int32),
        ("isInPitLane", c_int32),
        ("surfaceGrip", c_float),
        ("mandatoryPitDone", c_int32),
        ("windSpeed", c_float),
        ("windDirection", c_float),
        ("isSetupMenuVisible", c_int32),
        ("mainDisplayIndex", c_int32),
        ("secondaryDisplayIndex", c_int32),
        ("TC", c_int32),
        ("TCCut", c_int32),
        ("EngineMap", c_int32),
        ("ABS", c_int32),
        ("fuelXLap", c_float),
        ("rainLights", c_int32),
        ("flashingLights", c_int32),
        ("lightsStage", c_int32),
        ("exhaustTemperature", c_float),
        ("wiperLV", c_int32),
        ("driverStintTotalTimeLeft", c_int32),
        ("driverStintTimeLeft", c_int32),
        ("rainTyres", c_int32),
        ("sessionIndex", c_int32),
        ("usedFuel", c_float),
        ("deltaLapTime", c_uint16 * 15),
        ("iDeltaLapTime", c_int32),
        ("estimatedLapTime", c_uint16 * 15),
        ("iEstimatedLapTime", c_int32),
        ("isDeltaPositive", c_int32),
        ("iSplit", c_int32),
        ("isValidLap", c_int32),
        ("fuelEstimatedLaps", c_float),
        ("trackStatus", c_uint16 * 33),
        ("missingMandatoryPits", c_int32),
        ("Clock", c_float),
        ("directionLightsLeft", c_int32),
        ("directionLightsRight", c_int32),
        ("GlobalYellow", c_int32),
        ("GlobalYellow1", c_int32),
        ("GlobalYellow2", c_int32),
        ("GlobalYellow3", c_int32),
        ("GlobalWhite", c_int32),
        ("GlobalGreen", c_int32),
        ("GlobalChequered", c_int32),
        ("GlobalRed", c_int32),
        ("mfdTyreSet", c_int32),
        ("mfdFuelToAdd", c_float),
        ("mfdTyrePressureLF", c_float),
        ("mfdTyrePressureRF", c_float),
        ("mfdTyrePressureLR", c_float),
        ("mfdTyrePressureRR", c_float),
        ("trackGripStatus", c_int32),
        ("rainIntensity", c_int32),
        ("rainIntensityIn10min", c_int32),
        ("rainIntensityIn30min", c_int32),
        ("currentTyreSet", c_int32),
        ("strategyTyreSet", c_int32),
        ("gapAhead", c_int32),
        ("gapBehind", c_int32),
    ]


class AccStatic(_Page):
    """ACC static page `SPageFileStatic`, 820 bytes."""

    _fields_ = [
        *_STATIC_COMMON,
        ("isOnline", c_int32),
        ("dryTyresName", c_uint16 * 33),
        ("wetTyresName", c_uint16 * 33),
    ]


#: (game, page) -> structure class
LAYOUTS: dict[tuple[str, str], type[_Page]] = {
    ("ac", "physics"): AcPhysics,
    ("ac", "graphics"): AcGraphics,
    ("ac", "static"): AcStatic,
    ("acc", "physics"): AccPhysics,
    ("acc", "graphics"): AccGraphics,
    ("acc", "static"): AccStatic,
}

#: the three pages in the order they are read and stored
PAGES: tuple[str, str, str] = ("physics", "graphics", "static")


def fields_of(layout: type[ctypes.Structure]) -> list[tuple[str, type]]:
    """(name, ctypes type) of each field of ``layout``, in order."""
    return [(f[0], f[1]) for f in layout._fields_]


def element_shape(ctype: type) -> tuple[type, tuple[int, ...]]:
    """The scalar ctypes type of a field and its shape (nested arrays flattened; ``()`` for
    a scalar)."""
    shape: list[int] = []
    while issubclass(ctype, ctypes.Array):
        # typeshed declares ``_length_`` and ``_type_`` as instance properties; on an array
        # type they are the class attributes holding the length and the element type
        shape.append(cast(int, ctype._length_))
        ctype = cast(type, ctype._type_)
    return ctype, tuple(shape)
