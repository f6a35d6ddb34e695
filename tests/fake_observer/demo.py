"""Demo mode: the fixture data made recent, and events replayed in a loop.

Each round of the replay sends the events of events_demo.jsonl one by one.
Every round rewrites block ids, heights and timestamps, so the plugin sees
new blocks rather than repeats. A found block that pays a known wallet also
adds that payout to the REST data, as the real observer would list it.
"""

import copy
import hashlib
import json
import threading
import time

from .data import fixture_path

# Sidechain heights and Monero heights one replay round advances by.
SIDE_HEIGHT_STEP = 10
MAIN_HEIGHT_STEP = 1
ID_KEYS = ("main_id", "template_id", "parent_template_id", "root_hash", "uncle_of",
           "id", "coinbase_id", "side_template_id", "pow_hash", "coinbase_private_key")


def load_demo_events():
    """Return the events of tests/fixtures/observer/events_demo.jsonl."""
    with open(fixture_path("events_demo.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _new_id(old, round_number):
    if round_number == 0:
        return old
    return hashlib.sha256(("%s/%d" % (old, round_number)).encode()).hexdigest()


def rewrite_event(event, round_number, now):
    """Return a copy of event for a replay round: ids hashed with the round
    number, heights moved on, block timestamps set near now."""
    event = copy.deepcopy(event)

    def walk(obj):
        if isinstance(obj, dict):
            for key, value in list(obj.items()):
                if key in ID_KEYS and isinstance(value, str) and len(value) == 64:
                    obj[key] = _new_id(value, round_number)
                elif key in ("side_height", "effective_height") and isinstance(value, int):
                    obj[key] = value + round_number * SIDE_HEIGHT_STEP
                elif key in ("main_height", "height") and isinstance(value, int):
                    obj[key] = value + round_number * MAIN_HEIGHT_STEP
                elif key == "timestamp" and isinstance(value, int):
                    obj[key] = now
                else:
                    walk(value)
        elif isinstance(obj, list):
            for item in obj:
                walk(item)

    walk(event)
    return event


def payouts_from_found_block(event, known_addresses):
    """Return (address, payout row) for each coinbase output of a found_block
    event that pays a known wallet."""
    if event.get("type") != "found_block":
        return []
    block = event["found_block"]
    main = block["main_block"]
    rows = []
    for output in event.get("main_coinbase_outputs") or []:
        address = output.get("miner_address")
        if address not in known_addresses:
            continue
        rows.append((address, {
            "miner": output["miner"], "template_id": main.get("side_template_id", ""),
            "side_height": block["side_height"], "main_id": main["id"],
            "main_height": main["height"], "timestamp": main["timestamp"],
            "coinbase_id": main["coinbase_id"], "coinbase_reward": output["value"],
            "coinbase_private_key": main.get("coinbase_private_key", ""),
            "coinbase_output_index": output["index"],
            "global_output_index": output["global_output_index"],
            "including_height": block["side_height"] - 2159,
        }))
    return rows


class DemoReplay:
    """Sends the demo events to every client of a FakeEventStream, one every
    interval seconds, in a loop, and keeps the REST data in step."""

    def __init__(self, stream, data, interval=5.0, events=None):
        self.stream = stream
        self.data = data
        self.interval = interval
        self.events = events if events is not None else load_demo_events()
        self._stop = threading.Event()
        self._thread = None
        self.sent = 0

    def start(self):
        self._thread = threading.Thread(target=self._run, name="demo-replay", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self):
        round_number = 0
        while not self._stop.is_set():
            for event in self.events:
                if self._stop.wait(self.interval):
                    return
                self._send(rewrite_event(event, round_number, int(time.time())))
            round_number += 1

    def _send(self, event):
        known = set(self.data.addresses())
        for address, payout in payouts_from_found_block(event, known):
            self.data.add_payout(address, payout)
        if self.stream is not None:
            self.stream.send_text(json.dumps(event, separators=(",", ":")))
        self.sent += 1
