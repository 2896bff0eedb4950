"""Print live telemetry that `actelemetry stream --mqtt` publishes (any MQTT client would do).

    mosquitto -p 1883 &                                   # or the team's broker
    actelemetry stream --source sim --mqtt mqtt://127.0.0.1:1883 --rate 10
    python examples/mqtt_subscriber.py --groups inputs,timing

Topics (docs/scale.md): PREFIX/live and PREFIX/SESSION/meta (retained session_start),
PREFIX/SESSION/frames/GROUP (QoS 0), PREFIX/SESSION/events (QoS 1).
"""

from __future__ import annotations

import argparse

import paho.mqtt.client as mqtt

from actelemetry.bridge.mqtt import decode_payload


def show(msg: mqtt.MQTTMessage) -> None:
    body = decode_payload(msg.payload)
    level = msg.topic.split("/")
    if body.get("type") == "frame":
        values = "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                           for k, v in list(body["data"].items())[:6])
        print(f"{level[-1]:<8} #{body['seq']:<6} {values}")
    elif body.get("event") == "session_start":
        session = body["session"] or {}
        print(f"-- session {body['session_id']}: {session.get('car')} at "
              f"{session.get('track')}, protocol {body['protocol']}, groups "
              f"{', '.join(body['groups'])}" + ("  (retained)" if msg.retain else ""))
    else:
        print(f"-- {body.get('event')}: " + ", ".join(
            f"{k}={v}" for k, v in body.items() if k not in ("type", "event", "points")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--prefix", default="actelemetry/")
    ap.add_argument("--groups", help="comma-separated channel groups (default: all)")
    args = ap.parse_args()
    groups = args.groups.split(",") if args.groups else ["#"]
    topics = [f"{args.prefix}+/meta", f"{args.prefix}+/events"]
    topics += [f"{args.prefix}+/frames/{g}" for g in groups]

    def subscribe(client: mqtt.Client, *_: object) -> None:
        client.subscribe([(t, 1) for t in topics])

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = subscribe  # again after every reconnection
    client.on_message = lambda _c, _u, msg: show(msg)
    client.connect(args.host, args.port)
    try:
        client.loop_forever()
    except KeyboardInterrupt:
        client.disconnect()


if __name__ == "__main__":
    main()
