"""Expected figures computed from the observer data a test serves.

The plugin's figures are recomputed here in Python from the same documents
the fake observer returns, so a test compares against numbers derived from
the fixtures rather than typed in. The hashrate follows P2Pool's share
weighting: an uncle keeps its difficulty less uncle_penalty percent, and the
block that included it gains that penalty.
"""


def difficulty(value):
    """Decode an observer Difficulty: a JSON number, or a hex string (with or
    without 0x) when it does not fit in 64 bits."""
    if isinstance(value, str):
        return int(value[2:] if value.lower().startswith("0x") else value, 16)
    return int(value)


def window_weight(rows, uncle_penalty):
    """PPLNS weight of a miner's window rows, with integer division as
    P2Pool does."""
    weight = 0
    for row in rows:
        d = row["difficulty"]
        if row.get("uncle_of"):
            weight += d - d * uncle_penalty // 100
        else:
            weight += d + sum(u["difficulty"] * uncle_penalty // 100
                              for u in row.get("uncles") or [])
    return weight


def pool_hashrate(pool_info):
    """H/s of the pool: sidechain tip difficulty per sidechain block time."""
    side = pool_info["sidechain"]
    return side["last_block"]["difficulty"] / side["consensus"]["block_time"]


def pool_figures(pool_info):
    """Return {(family, type label or None): value} for an observer."""
    side = pool_info["sidechain"]
    main = pool_info["mainchain"]
    effort = side["effort"]
    window = side["window"]
    return {
        ("collectd_p2pool_difficulty", "main"): difficulty(main["difficulty"]),
        ("collectd_p2pool_difficulty", "side"): side["last_block"]["difficulty"],
        ("collectd_p2pool_hashrate", "pool"): pool_hashrate(pool_info),
        ("collectd_p2pool_miners", "window"): window["miners"],
        ("collectd_p2pool_miners", "total"): side["miners"],
        ("collectd_p2pool_window_blocks", None): window["blocks"],
        ("collectd_p2pool_window_uncles", None): window["uncles"],
        ("collectd_p2pool_window_weight", None): difficulty(window["weight"]),
        ("collectd_p2pool_effort_percent", "current"): effort["current"],
        ("collectd_p2pool_effort_percent", "average10"): effort["average10"],
        ("collectd_p2pool_effort_percent", "average"): effort["average"],
        ("collectd_p2pool_effort_percent", "average200"): effort["average200"],
        ("collectd_p2pool_height", "main"): main["height"],
        ("collectd_p2pool_height", "side"): side["last_block"]["side_height"],
        ("collectd_p2pool_age_seconds", "last_block"): side["seconds_since_last_block"],
        ("collectd_p2pool_reward_atomic_units", "main"): main["reward"],
    }


def window_figures(pool_info, window):
    """Return the window figures of a wallet: shares, uncles, weight,
    fraction of the pool's window weight and hashrate."""
    side = pool_info["sidechain"]
    weight = window_weight(window, side["consensus"]["uncle_penalty"])
    total = difficulty(side["window"]["weight"])
    return {
        ("collectd_p2pool_window_shares", None): sum(1 for r in window if not r.get("uncle_of")),
        ("collectd_p2pool_window_uncles", None): sum(1 for r in window if r.get("uncle_of")),
        ("collectd_p2pool_share_weight", None): weight,
        ("collectd_p2pool_share_fraction", None): weight / total,
        ("collectd_p2pool_hashrate", "window"): weight / total * pool_hashrate(pool_info),
    }


def payout_figures(payouts):
    """Return the payout figures of a wallet from its whole history."""
    figures = {
        ("collectd_p2pool_payouts_total", None): len(payouts),
        ("collectd_p2pool_payout_atomic_units_total", None): sum(p["coinbase_reward"] for p in payouts),
    }
    if payouts:
        newest = max(payouts, key=lambda p: p["main_height"])
        figures[("collectd_p2pool_last_payout_atomic_units", None)] = newest["coinbase_reward"]
        figures[("collectd_p2pool_timestamp_seconds", "last_payout")] = newest["timestamp"]
    return figures


def wallet_figures(pool_info, miner_info, window, payouts):
    """Return {(family, type label or None): value} for a wallet, except the
    last share's age, which depends on the clock (see last_share_timestamp)."""
    figures = window_figures(pool_info, window)
    figures[("collectd_p2pool_height", "last_share")] = miner_info["last_share_height"]
    figures[("collectd_p2pool_timestamp_seconds", "last_share")] = miner_info["last_share_timestamp"]
    figures.update(payout_figures(payouts))
    return figures


def labels(instance, type_label):
    """Label dict of a plugin figure, for Collectd.value() and wait_for()."""
    result = {"p2pool": instance, "instance": "testhost"}
    if type_label is not None:
        result["type"] = type_label
    return result
