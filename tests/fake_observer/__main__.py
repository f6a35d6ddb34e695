"""Command-line fake observer: python3 -m fake_observer [--demo] ...

Serves the fixture data on 127.0.0.1 until SIGINT or SIGTERM. Prints one JSON
line with the REST base URL, the events URL and the wallet addresses it serves, and
writes the same line to --ready-file once both servers listen.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

from . import FakeObserver
from .demo import DemoReplay

# The demo rebases the fixture data so that the newest share is this old.
DEMO_NEWEST_AGE_SECONDS = 20


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="fake_observer",
        description="Serve a fake P2Pool Observer (REST API and /api/events) "
                    "from the test fixtures.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="REST port (default: 0, the OS picks one)")
    parser.add_argument("--ws-port", type=int, default=0,
                        help="websocket port (default: 0, the OS picks one)")
    parser.add_argument("--no-events", action="store_true",
                        help="do not serve /api/events")
    parser.add_argument("--demo", action="store_true",
                        help="make the data recent and replay events in a loop")
    parser.add_argument("--event-interval", type=float, default=5.0,
                        help="seconds between replayed events in --demo mode (default: 5)")
    parser.add_argument("--ready-file",
                        help="write the JSON line with the URLs to this file once listening")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fake = FakeObserver(host=args.host, events=not args.no_events)
    fake.http.port = args.port
    if fake.events is not None:
        fake.events.port = args.ws_port

    if args.demo:
        newest = fake.data.newest_timestamp()
        fake.data.shift_timestamps(int(time.time()) - DEMO_NEWEST_AGE_SECONDS - newest)

    fake.start()
    replay = None
    if args.demo:
        replay = DemoReplay(fake.events, fake.data, interval=args.event_interval).start()

    info = {"url": fake.url, "events_url": fake.events_url, "wallets": fake.data.addresses()}
    line = json.dumps(info)
    print(line, flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(line + "\n")
        os.replace(tmp, args.ready_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass

    if replay is not None:
        replay.stop()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
