"""Observer data served by the fake: pool info, miners, payouts, found blocks.

The documents are encoded the way the P2Pool Observer writes them: one
compact JSON object and a newline for single objects, the streamed list form
("[\\n" rows "\\n]", exactly "[\\n\\n]" when empty) for lists, and an error
object without a trailing newline.
"""

import copy
import json
import os
import threading

FIXTURES_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "observer")
)

NOT_FOUND_BODY = b'{"error":"not_found"}'
ROUTE_NOT_FOUND_BODY = b"404 page not found\n"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

# Number of payouts /api/payouts returns when neither a limit nor a start is
# given, as the observer does.
PAYOUTS_DEFAULT_LIMIT = 10


def fixture_path(name):
    """Return the path of a file under tests/fixtures/observer."""
    return os.path.join(FIXTURES_DIR, name)


def load_fixture(name):
    """Parse a JSON fixture file (an object or a streamed list)."""
    with open(fixture_path(name), "rb") as f:
        return json.loads(f.read())


def read_fixture_bytes(name):
    """Return a fixture file's bytes unchanged."""
    with open(fixture_path(name), "rb") as f:
        return f.read()


def encode_object(obj):
    """Encode a single-object document: compact JSON and a newline."""
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def encode_list(rows):
    """Encode a list in the observer's streamed form."""
    parts = [json.dumps(r, separators=(",", ":")) + "\n" for r in rows]
    return ("[\n" + ",\n".join(parts) + "\n]").encode()


class Miner:
    """One miner known to the observer: its miner_info, PPLNS window rows and
    payouts (newest first)."""

    def __init__(self, miner_info, window, payouts):
        self.miner_info = miner_info
        self.window = window
        self.payouts = payouts


class ObserverData:
    """The fake observer's database. Every accessor takes a lock, so tests can
    change data while the server handles requests."""

    def __init__(self, pool_info=None):
        self.lock = threading.Lock()
        self.pool_info = pool_info if pool_info is not None else {}
        self.miners = {}
        self.found_blocks = []

    @classmethod
    def from_fixtures(cls):
        """Build the default data set: pool_info.json, the wallet of
        miner_info.json (with a window and three payouts) and the wallet of
        miner_info_second.json (with a window and no payouts)."""
        data = cls(load_fixture("pool_info.json"))
        data.add_miner(
            load_fixture("miner_info.json"),
            load_fixture("side_blocks_in_window.json"),
            load_fixture("payouts.json"),
        )
        data.add_miner(
            load_fixture("miner_info_second.json"),
            load_fixture("side_blocks_in_window_second.json"),
            [],
        )
        return data

    def add_miner(self, miner_info, window=None, payouts=None):
        """Add or replace a miner, keyed by miner_info's address."""
        with self.lock:
            self.miners[miner_info["address"]] = Miner(
                copy.deepcopy(miner_info),
                copy.deepcopy(window or []),
                copy.deepcopy(payouts or []),
            )

    def remove_miner(self, address):
        """Forget a miner: its requests then get 404 not_found."""
        with self.lock:
            self.miners.pop(address, None)

    def addresses(self):
        """Return the addresses of the known miners, in insertion order."""
        with self.lock:
            return list(self.miners)

    def add_payout(self, address, payout):
        """Add a payout to a miner, keeping the list newest first."""
        with self.lock:
            miner = self.miners[address]
            miner.payouts.append(copy.deepcopy(payout))
            miner.payouts.sort(key=lambda p: p["main_height"], reverse=True)

    def payouts(self, address):
        """Return a copy of a miner's payouts, newest first."""
        with self.lock:
            return copy.deepcopy(self.miners[address].payouts)

    def window(self, address):
        """Return a copy of a miner's window rows."""
        with self.lock:
            return copy.deepcopy(self.miners[address].window)

    def miner_info(self, address):
        """Return a copy of a miner's miner_info object."""
        with self.lock:
            return copy.deepcopy(self.miners[address].miner_info)

    def set_window(self, address, rows):
        with self.lock:
            self.miners[address].window = copy.deepcopy(rows)

    def get_pool_info(self):
        with self.lock:
            return copy.deepcopy(self.pool_info)

    def set_pool_info(self, pool_info):
        with self.lock:
            self.pool_info = copy.deepcopy(pool_info)

    def shift_timestamps(self, seconds):
        """Move every timestamp forward by seconds (the demo makes the data
        look recent this way)."""

        def shift(obj):
            if isinstance(obj, dict):
                for key, value in obj.items():
                    if key in ("timestamp", "last_share_timestamp") and isinstance(value, int):
                        if value > 1_000_000_000:
                            obj[key] = value + seconds
                    else:
                        shift(value)
            elif isinstance(obj, list):
                for item in obj:
                    shift(item)

        with self.lock:
            shift(self.pool_info)
            for miner in self.miners.values():
                shift(miner.miner_info)
                shift(miner.window)
                shift(miner.payouts)
            shift(self.found_blocks)

    def newest_timestamp(self):
        """Return the largest timestamp in pool_info and the miners' data."""
        found = []

        def walk(obj):
            if isinstance(obj, dict):
                for key, value in obj.items():
                    if key in ("timestamp", "last_share_timestamp") and isinstance(value, int):
                        found.append(value)
                    else:
                        walk(value)
            elif isinstance(obj, list):
                for item in obj:
                    walk(item)

        with self.lock:
            walk(self.pool_info.get("sidechain", {}).get("last_block", {}))
            for miner in self.miners.values():
                walk(miner.miner_info)
                walk(miner.window)
        return max(found) if found else 0

    def respond(self, path, params):
        """Respond to a GET like the observer's API router.

        Returns (status, content_type, body bytes). params is the parsed query
        string, a dict of lists as urllib.parse.parse_qs returns it.
        """
        parts = path.split("/")
        if path == "/api/pool_info":
            with self.lock:
                return 200, JSON_CONTENT_TYPE, encode_object(self.pool_info)
        if path == "/api/found_blocks":
            limit = _int_param(params, "limit", 50) or 50
            with self.lock:
                return 200, JSON_CONTENT_TYPE, encode_list(self.found_blocks[: min(limit, 1000)])
        if len(parts) == 4 and parts[1] == "api" and parts[3]:
            endpoint, miner_key = parts[2], parts[3]
            if endpoint in ("miner_info", "side_blocks_in_window", "payouts"):
                return self._respond_miner(endpoint, miner_key, params)
        return 404, "text/plain; charset=utf-8", ROUTE_NOT_FOUND_BODY

    def _respond_miner(self, endpoint, miner_key, params):
        with self.lock:
            miner = self._find_miner(miner_key)
            if miner is None:
                return 404, JSON_CONTENT_TYPE, NOT_FOUND_BODY
            if endpoint == "miner_info":
                return 200, JSON_CONTENT_TYPE, encode_object(miner.miner_info)
            if endpoint == "side_blocks_in_window":
                return 200, JSON_CONTENT_TYPE, encode_list(miner.window)
            return 200, JSON_CONTENT_TYPE, encode_list(select_payouts(miner.payouts, params))

    def _find_miner(self, key):
        if key in self.miners:
            return self.miners[key]
        for miner in self.miners.values():
            if str(miner.miner_info.get("id")) == key:
                return miner
        return None


def _int_param(params, name, default):
    values = params.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        return default


def select_payouts(payouts, params):
    """Apply the observer's /api/payouts query parameters to a newest-first
    list: from_height, then from_timestamp, select every payout at or above
    that start; otherwise limit (or its alias search_limit) caps the count,
    and 0 means all."""
    from_height = _int_param(params, "from_height", 0)
    if from_height > 0:
        return [p for p in payouts if p["main_height"] >= from_height]
    from_timestamp = _int_param(params, "from_timestamp", 0)
    if from_timestamp > 0:
        return [p for p in payouts if p["timestamp"] >= from_timestamp]
    limit = _int_param(params, "limit", None)
    if limit is None:
        limit = _int_param(params, "search_limit", PAYOUTS_DEFAULT_LIMIT)
    if limit <= 0:
        return list(payouts)
    return list(payouts[:limit])
