"""Invented observer documents and event messages for the benchmark.

Every value is made up by a seeded generator. The shapes follow the P2Pool
Observer's REST API and /api/events stream: field names, nesting, number
formats and the streamed list layout "[\\n row \\n,\\n row \\n\\n]". Sizes
follow a main-sidechain miner with a handful of shares in the PPLNS window.
"""

import json
import os
import random

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ADDRESS_CHARS = 95

SIDE_HEIGHT = 11_205_400
MAIN_HEIGHT = 3_512_870
NOW = 1_777_700_000
SIDE_DIFFICULTY = 1_390_000_000
MAIN_DIFFICULTY = 598_000_000_000
SOFTWARE_VERSION = 266752


def wallet_address(index):
    """Return a unique 95-character standard address for wallet index."""
    digits = ""
    value = index
    while True:
        digits = BASE58[value % 58] + digits
        value //= 58
        if value == 0:
            break
    prefix = "4Bench" + digits.rjust(6, "1")
    return prefix + "z" * (ADDRESS_CHARS - len(prefix))


def other_address(index):
    """Return the address of a miner the benchmark does not watch."""
    prefix = "4Other" + str(index).rjust(6, "1").replace("0", "o")
    return prefix + "q" * (ADDRESS_CHARS - len(prefix))


class Generator:
    def __init__(self, seed):
        self.random = random.Random(seed)

    def hash(self):
        return "%064x" % self.random.getrandbits(256)

    def pow_hash(self):
        return "%056x00000000" % self.random.getrandbits(224)

    def side_block(self, side_height, miner_id, address, uncle_of=None,
                   uncles=(), with_main_difficulty=True):
        row = {
            "main_id": self.hash(),
            "main_height": MAIN_HEIGHT - (SIDE_HEIGHT - side_height) // 12,
            "template_id": self.hash(),
            "root_hash": self.hash(),
            "side_height": side_height,
            "parent_template_id": self.hash(),
            "miner": miner_id,
        }
        if uncle_of is not None:
            row["uncle_of"] = uncle_of
        row.update({
            "effective_height": side_height + (1 if uncle_of else 0),
            "nonce": self.random.getrandbits(32),
            "extra_nonce": self.random.getrandbits(32),
            "timestamp": NOW - (SIDE_HEIGHT - side_height) * 10,
            "software_id": 0,
            "software_version": SOFTWARE_VERSION,
            "window_depth": 812,
            "window_outputs": 61,
            "transaction_count": self.random.randint(0, 60),
            "difficulty": SIDE_DIFFICULTY + self.random.randint(-900000, 900000),
            "cumulative_difficulty": 17_300_000_000_000_000 + side_height * 1000,
            "pow_difficulty": SIDE_DIFFICULTY * self.random.randint(1, 5),
            "pow_hash": self.pow_hash(),
            "inclusion": 1,
            "miner_address": address,
        })
        if uncles:
            row["uncles"] = [
                {"template_id": self.hash(), "miner": 7000 + i,
                 "side_height": side_height - 1, "difficulty": SIDE_DIFFICULTY}
                for i in range(uncles)
            ] if isinstance(uncles, int) else list(uncles)
        if with_main_difficulty:
            row["main_difficulty"] = MAIN_DIFFICULTY
        return row

    def found_block(self, outputs):
        side_height = SIDE_HEIGHT
        found = {
            "main_block": {
                "id": self.hash(), "height": MAIN_HEIGHT, "timestamp": NOW,
                "reward": 600_412_000_000, "coinbase_id": self.hash(),
                "difficulty": MAIN_DIFFICULTY, "side_template_id": self.hash(),
                "root_hash": self.hash(), "coinbase_private_key": self.hash(),
            },
            "side_height": side_height, "miner": 5120,
            "effective_height": side_height, "window_depth": 812,
            "window_outputs": len(outputs), "transaction_count": 17,
            "difficulty": SIDE_DIFFICULTY,
            "cumulative_difficulty": 17_300_000_000_000_000 + side_height * 1000,
            "inclusion": 1, "miner_address": other_address(5120),
        }
        coinbase = [
            {"id": self.hash(), "index": i,
             "global_output_index": 140_000_000 + i, "miner": 6000 + i,
             "value": 9_800_000_000 + i * 1000, "miner_address": address}
            for i, address in enumerate(outputs)
        ]
        return found, coinbase


def streamed_list(rows):
    """Encode rows the way the observer streams a list."""
    if not rows:
        return "[\n\n]"
    return "[\n" + "\n,\n".join(compact(row) for row in rows) + "\n\n]"


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def pool_info(gen):
    last_block = gen.side_block(SIDE_HEIGHT, 5120, other_address(5120),
                                with_main_difficulty=False)
    found, _ = gen.found_block([])
    efforts = [{"id": gen.hash(), "effort": gen.random.uniform(5, 250)}
               for _ in range(30)]
    document = {
        "sidechain": {
            "consensus": {
                "network_type": "mainnet", "name": "default", "password": "",
                "block_time": 10, "min_diff": 100000, "pplns_window": 2160,
                "uncle_penalty": 20,
                "hard_forks": [
                    {"version": v, "height": 0, "threshold": 0, "time": t}
                    for v, t in ((1, 0), (2, 1679100000), (3, 1728700000))],
                "id": gen.hash(),
            },
            "last_block": last_block,
            "seconds_since_last_block": 3,
            "last_found": found,
            "effort": {"current": 61.5, "average10": 97.25, "average": 101.5,
                       "average200": 99.75, "last": efforts},
            "window": {
                "miners": 61, "blocks": 812, "uncles": 19,
                "top": gen.hash(), "bottom": gen.hash(),
                "weight": 1_130_000_000_000,
                "versions": [
                    {"weight": 800_000_000_000, "share": 70.8, "count": 575,
                     "software_id": 0, "software_version": SOFTWARE_VERSION,
                     "software_string": "P2Pool v4.18"},
                    {"weight": 330_000_000_000, "share": 29.2, "count": 237,
                     "software_id": 0, "software_version": 266497,
                     "software_string": "P2Pool v4.17.1"}],
            },
            "found": 4410, "miners": 48211,
            "id": last_block["template_id"], "height": SIDE_HEIGHT,
            "version": 3, "difficulty": last_block["difficulty"],
            "cumulative_difficulty": last_block["cumulative_difficulty"],
            "timestamp": last_block["timestamp"], "window_size": 812,
            "max_window_size": 2160, "block_time": 10, "uncle_penalty": 20,
        },
        "mainchain": {
            "consensus": {"block_time": 120, "transaction_unlock_time": 10,
                          "miner_reward_unlock_time": 60,
                          "hard_fork_supported_version": 16,
                          "hard_forks": [
                              {"version": v, "height": 1000 * v, "threshold": 0,
                               "time": 1341000000 + v * 10_000_000}
                              for v in range(1, 17)]},
            "id": gen.hash(), "coinbase_id": gen.hash(),
            "height": MAIN_HEIGHT, "difficulty": MAIN_DIFFICULTY,
            "reward": 600_412_000_000, "base_reward": 600_000_000_000,
            "next_difficulty": MAIN_DIFFICULTY + 1_000_000, "block_time": 120,
        },
        "versions": {
            "p2pool": {"version": "v4.18", "timestamp": NOW - 900000,
                       "link": "https://example.invalid/p2pool/v4.18"},
            "monero": {"version": "v0.18.4.4", "timestamp": NOW - 5000000,
                       "link": "https://example.invalid/monero/v0.18.4.4"},
        },
    }
    return compact(document) + "\n"


def miner_info(gen, address):
    document = {
        "id": 31337, "address": address,
        "shares": [
            {"shares": 2, "uncles": 0, "last_height": SIDE_HEIGHT - 90000},
            {"shares": 1290, "uncles": 44, "last_height": SIDE_HEIGHT - 14},
            {"shares": 0, "uncles": 0, "last_height": 0}],
        "last_share_height": SIDE_HEIGHT - 14,
        "last_share_timestamp": NOW - 140,
    }
    return compact(document) + "\n"


def window(gen, address, rows):
    """Return a miner's side_blocks_in_window list (noMainStatus&noMiner):
    one row in five is an uncle, and its includer lists it."""
    result = []
    height = SIDE_HEIGHT - 14
    for i in range(rows):
        uncle_of = gen.hash() if i % 5 == 3 else None
        row = gen.side_block(height, 31337, address, uncle_of=uncle_of,
                             uncles=1 if i % 5 == 2 else 0,
                             with_main_difficulty=False)
        del row["miner_address"]
        result.append(row)
        height -= 97
    return streamed_list(result)


def payouts(gen, rows):
    result = []
    for i in range(rows):
        result.append({
            "miner": 31337, "template_id": gen.hash(),
            "side_height": SIDE_HEIGHT - 1500 * (i + 1), "main_id": gen.hash(),
            "main_height": MAIN_HEIGHT - 120 * (i + 1),
            "timestamp": NOW - 15000 * (i + 1), "coinbase_id": gen.hash(),
            "coinbase_reward": 3_100_000_000 + 7_000_000 * i,
            "coinbase_private_key": gen.hash(),
            "coinbase_output_index": 11 + i,
            "global_output_index": 139_000_000 - 4000 * i,
            "including_height": SIDE_HEIGHT - 1500 * (i + 1) - 812,
        })
    return streamed_list(result)


def found_blocks(gen, rows):
    result = []
    for i in range(rows):
        found, _ = gen.found_block([])
        found["main_block"]["height"] -= 40 * i
        found["side_height"] -= 1300 * i
        result.append(found)
    return streamed_list(result)


def write_bodies(directory, window_rows=6, payout_rows=4, seed=1):
    """Write the REST documents the fake observer serves and return their
    sizes. Every wallet gets the same documents: with noMiner the window
    rows carry no address, and the plugin does not compare miner_info's
    address with its own."""
    gen = Generator(seed)
    address = wallet_address(0)
    os.makedirs(directory, exist_ok=True)
    documents = {
        "pool_info.json": pool_info(gen),
        "miner_info.json": miner_info(gen, address),
        "window.json": window(gen, address, window_rows),
        "payouts.json": payouts(gen, payout_rows),
        "found_blocks.json": found_blocks(gen, 3),
    }
    sizes = {}
    for name, text in documents.items():
        with open(os.path.join(directory, name), "w", encoding="ascii") as f:
            f.write(text)
        sizes[name] = len(text)
    return sizes


def event_messages(count, watched_wallets, seed=2, found_outputs=61):
    """Return count event messages in stream order.

    The mix per 200 messages follows a busy sidechain: 186 side blocks (one in
    ten includes an uncle), 10 uncles as their own side_block events, 2
    found_block events with found_outputs coinbase outputs and 2
    orphaned_block events. One side block in ten belongs to a watched wallet.
    """
    gen = Generator(seed)
    messages = []
    height = SIDE_HEIGHT
    for i in range(count):
        slot = i % 200
        height += 1
        watched = watched_wallets > 0 and i % 10 == 0
        address = (wallet_address(i % watched_wallets) if watched
                   else other_address(i % 61))
        if slot < 186:
            block = gen.side_block(height, 5000 + i % 61, address,
                                   uncles=1 if slot % 10 == 5 else 0)
            message = {"type": "side_block", "side_block": block}
        elif slot < 196:
            block = gen.side_block(height, 5000 + i % 61, address,
                                   uncle_of=gen.hash())
            message = {"type": "side_block", "side_block": block}
        elif slot < 198:
            outputs = [wallet_address(k % watched_wallets) if watched_wallets
                       and k < 3 else other_address(k)
                       for k in range(found_outputs)]
            found, coinbase = gen.found_block(outputs)
            found["side_height"] = height
            message = {"type": "found_block", "found_block": found,
                       "main_coinbase_outputs": coinbase}
        else:
            block = gen.side_block(height, 5000 + i % 61, address)
            message = {"type": "orphaned_block", "side_block": block}
        messages.append(compact(message))
    return messages
