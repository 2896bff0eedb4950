"""Virtual controllers: how an agent's steer, gas and brake reach the game.

One protocol, :class:`Controls`, with one implementation per device: a virtual Xbox pad
through ViGEm (``vgamepad``) or a vJoy joystick (``pyvjoy``) on Windows, a uinput joystick
(``python-evdev``) on Linux / Proton, and the simulator's own (``actelemetry.sim.pad``,
``actelemetry.sim.agent``). Each library is imported only when its device is opened, so
none is needed to import this module. The game sees a joystick like a wheel: bind its axes
in the game's controls settings (steering X, gas and brake as below) once.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from actelemetry.errors import UsageError

#: steering centred, both pedals up
NEUTRAL: tuple[float, float, float] = (0.0, 0.0, 0.0)
#: the devices :func:`open_controls` knows
DEVICES = ("uinput", "vgamepad", "vjoy")


class ControlsUnavailable(UsageError):
    """The device cannot be opened here (missing library, driver, permission, platform)."""


class Controls(Protocol):
    """Hands and feet on the game: steer -1..1 (+ right), gas 0..1, brake 0..1.

    ``release`` puts everything neutral (it must never raise: it is what runs on an error);
    ``restart`` presses the game's restart-session binding, or raises
    :class:`ControlsUnavailable` when the device has none; ``close`` releases, then frees
    the device.
    """

    name: str

    def send(self, steer: float, gas: float, brake: float) -> None: ...

    def release(self) -> None: ...

    def restart(self) -> None: ...

    def close(self) -> None: ...


def _clip(steer: float, gas: float, brake: float) -> tuple[float, float, float]:
    return (min(max(steer, -1.0), 1.0), min(max(gas, 0.0), 1.0), min(max(brake, 0.0), 1.0))


class UinputControls:  # pragma: no cover - needs /dev/uinput
    """Linux: a uinput joystick (X = steering, Z = gas, RZ = brake); the restart binding is
    a button (``restart_button``: an evdev key code, BTN_SELECT by default)."""

    AXIS_MAX = 32767

    def __init__(self, restart_button: int | None = None) -> None:
        try:
            from evdev import AbsInfo, UInput, ecodes
        except ImportError:
            raise ControlsUnavailable("uinput controls need python-evdev: "
                                      "pip install evdev") from None
        self._ecodes = ecodes
        m = self.AXIS_MAX
        self._button = restart_button if restart_button is not None else ecodes.BTN_SELECT
        caps = {
            ecodes.EV_ABS: [(ecodes.ABS_X, AbsInfo(0, -m, m, 0, 0, 0)),
                            (ecodes.ABS_Z, AbsInfo(0, 0, m, 0, 0, 0)),
                            (ecodes.ABS_RZ, AbsInfo(0, 0, m, 0, 0, 0))],
            ecodes.EV_KEY: [ecodes.BTN_SOUTH, self._button],
        }
        try:
            self._ui = UInput(caps, name="actelemetry virtual wheel", version=0x3)
        except OSError as exc:
            raise ControlsUnavailable(f"cannot open /dev/uinput ({exc.strerror or exc}): load "
                                      "the uinput module and give this user write access "
                                      "to it") from None
        self.name = "uinput"

    def send(self, steer: float, gas: float, brake: float) -> None:
        steer, gas, brake = _clip(steer, gas, brake)
        e, m = self._ecodes, self.AXIS_MAX
        self._ui.write(e.EV_ABS, e.ABS_X, round(steer * m))
        self._ui.write(e.EV_ABS, e.ABS_Z, round(gas * m))
        self._ui.write(e.EV_ABS, e.ABS_RZ, round(brake * m))
        self._ui.syn()

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self.send(*NEUTRAL)

    def restart(self) -> None:
        import time

        e = self._ecodes
        self._ui.write(e.EV_KEY, self._button, 1)
        self._ui.syn()
        time.sleep(0.1)
        self._ui.write(e.EV_KEY, self._button, 0)
        self._ui.syn()

    def close(self) -> None:
        self.release()
        self._ui.close()


class VgamepadControls:  # pragma: no cover - needs Windows and the ViGEmBus driver
    """Windows: a virtual Xbox 360 pad through ViGEm (left stick X = steering, right
    trigger = gas, left trigger = brake); the restart binding is a button (BACK)."""

    def __init__(self, restart_button: str = "XUSB_GAMEPAD_BACK") -> None:
        try:
            import vgamepad
        except ImportError:
            raise ControlsUnavailable("vgamepad controls need vgamepad and the ViGEmBus "
                                      "driver: pip install vgamepad") from None
        except Exception as exc:  # vgamepad raises when the ViGEmBus driver is missing
            raise ControlsUnavailable(f"vgamepad cannot start: {exc}") from None
        self._vg = vgamepad
        self._pad: Any = vgamepad.VX360Gamepad()
        self._button = getattr(vgamepad.XUSB_BUTTON, restart_button)
        self.name = "vgamepad"

    def send(self, steer: float, gas: float, brake: float) -> None:
        steer, gas, brake = _clip(steer, gas, brake)
        self._pad.left_joystick_float(x_value_float=steer, y_value_float=0.0)
        self._pad.right_trigger_float(value_float=gas)
        self._pad.left_trigger_float(value_float=brake)
        self._pad.update()

    def release(self) -> None:
        with contextlib.suppress(Exception):  # releasing must never raise
            self._pad.reset()
            self._pad.update()

    def restart(self) -> None:
        import time

        self._pad.press_button(button=self._button)
        self._pad.update()
        time.sleep(0.1)
        self._pad.release_button(button=self._button)
        self._pad.update()

    def close(self) -> None:
        self.release()
        del self._pad


class VJoyControls:  # pragma: no cover - needs Windows and the vJoy driver
    """Windows: a vJoy joystick (X = steering, Z = gas, RZ = brake, range 1..0x8000); the
    restart binding is button ``restart_button``."""

    AXIS_MAX = 0x8000

    def __init__(self, device: int = 1, restart_button: int = 1) -> None:
        try:
            import pyvjoy
        except ImportError:
            raise ControlsUnavailable("vJoy controls need pyvjoy and the vJoy driver: "
                                      "pip install pyvjoy") from None
        except Exception as exc:
            raise ControlsUnavailable(f"vJoy cannot start: {exc}") from None
        self._v = pyvjoy
        try:
            self._joy: Any = pyvjoy.VJoyDevice(device)
        except Exception as exc:
            raise ControlsUnavailable(f"vJoy device {device} cannot be opened: {exc}") from None
        self._button = restart_button
        self.name = "vjoy"

    def _axis(self, value: float) -> int:
        return max(1, round(value * self.AXIS_MAX))

    def send(self, steer: float, gas: float, brake: float) -> None:
        steer, gas, brake = _clip(steer, gas, brake)
        v = self._v
        self._joy.set_axis(v.HID_USAGE_X, self._axis(0.5 + 0.5 * steer))
        self._joy.set_axis(v.HID_USAGE_Z, self._axis(gas))
        self._joy.set_axis(v.HID_USAGE_RZ, self._axis(brake))

    def release(self) -> None:
        with contextlib.suppress(Exception):  # releasing must never raise
            self.send(*NEUTRAL)

    def restart(self) -> None:
        import time

        self._joy.set_button(self._button, 1)
        time.sleep(0.1)
        self._joy.set_button(self._button, 0)

    def close(self) -> None:
        self.release()


def open_controls(device: str, **options: Any) -> Controls:
    """Open a virtual controller by name (``uinput``, ``vgamepad`` or ``vjoy``)."""
    if device == "uinput":
        return UinputControls(**options)
    if device == "vgamepad":
        return VgamepadControls(**options)
    if device == "vjoy":
        return VJoyControls(**options)
    raise UsageError(f"unknown controls {device!r}: use one of {', '.join(DEVICES)} "
                     "(or pass a Controls object)")
