"""Checks of the test harness itself: the fake observer responds like
the real one, its faults and counters work, the Prometheus and valgrind report
parsers read their formats, and the redis-server runner restarts on its
port. No collectd runs here."""

import asyncio
import http.client
import json
import socket
import time

import pytest
import websockets

from collectd_runner import parse_prometheus, plugin_errors, select
from fake_observer import encode_list
from fake_observer.demo import payouts_from_found_block, load_demo_events, rewrite_event


def get(fake, path, connection=None):
    conn = connection or http.client.HTTPConnection("127.0.0.1", fake.http.port, timeout=5)
    conn.request("GET", path, headers={"User-Agent": "harness-check"})
    response = conn.getresponse()
    body = response.read()
    return response.status, response.getheader("Content-Type"), body


def test_list_encoding_matches_observer():
    assert encode_list([]) == b"[\n\n]"
    assert encode_list([{"a": 1}, {"b": 2}]) == b'[\n{"a":1}\n,\n{"b":2}\n\n]'


def test_routes_and_not_found(fake_observer):
    address = fake_observer.data.addresses()[0]
    status, ctype, body = get(fake_observer, "/api/pool_info")
    assert status == 200
    assert ctype.startswith("application/json")
    assert body.endswith(b"}\n")
    status, _, body = get(fake_observer, "/api/miner_info/%s?shareEstimates" % address)
    assert status == 200
    assert json.loads(body)["address"] == address
    status, _, body = get(fake_observer, "/api/miner_info/4unknown")
    assert (status, body) == (404, b'{"error":"not_found"}')
    status, ctype, body = get(fake_observer, "/api/no_such_route")
    assert (status, body) == (404, b"404 page not found\n")
    assert ctype.startswith("text/plain")


def test_payout_queries_select_rows(fake_observer):
    address = fake_observer.data.addresses()[0]
    payouts = fake_observer.data.payouts(address)
    heights = [p["main_height"] for p in payouts]

    def rows(query):
        status, _, body = get(fake_observer, "/api/payouts/%s?%s" % (address, query))
        assert status == 200
        return [p["main_height"] for p in json.loads(body)]

    assert rows("search_limit=0") == heights
    assert rows("search_limit=1") == heights[:1]
    assert rows("from_height=%d" % heights[1]) == heights[:2]
    second = fake_observer.data.addresses()[1]
    status, _, body = get(fake_observer, "/api/payouts/%s?search_limit=0" % second)
    assert body == b"[\n\n]"


def test_keep_alive_and_request_log(fake_observer):
    conn = http.client.HTTPConnection("127.0.0.1", fake_observer.http.port, timeout=5)
    for _ in range(3):
        assert get(fake_observer, "/api/pool_info?x=1&flag", conn)[0] == 200
    conn.close()
    assert fake_observer.http.connections == 1
    request = fake_observer.http.requests[-1]
    assert request.path == "/api/pool_info"
    assert request.params == {"x": ["1"], "flag": [""]}
    assert request.headers["user-agent"] == "harness-check"


def test_scripted_replies_and_faults(fake_observer):
    fake = fake_observer.http
    fake.script("/api/pool_info", status=418, file="challenge.html",
                content_type="text/html", times=1)
    status, ctype, body = get(fake_observer, "/api/pool_info")
    assert status == 418
    assert b"<html" in body
    assert get(fake_observer, "/api/pool_info")[0] == 200

    fake.script("/api/payouts/*", query={"search_limit": "0"}, body="[\n\n]")
    address = fake_observer.data.addresses()[0]
    assert get(fake_observer, "/api/payouts/%s?search_limit=0" % address)[2] == b"[\n\n]"
    assert get(fake_observer, "/api/payouts/%s?from_height=1" % address)[2] != b"[\n\n]"

    fake.script("*", fault="close", times=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        get(fake_observer, "/api/pool_info")

    fake.script("/api/pool_info", delay=0.5, times=1)
    begin = time.monotonic()
    assert get(fake_observer, "/api/pool_info")[0] == 200
    assert time.monotonic() - begin >= 0.5


def test_hang_released_on_stop(fake_observer):
    fake_observer.http.script("/api/pool_info", fault="hang")
    sock = socket.create_connection(("127.0.0.1", fake_observer.http.port), timeout=5)
    sock.sendall(b"GET /api/pool_info HTTP/1.1\r\nHost: x\r\n\r\n")
    fake_observer.http.wait_for_request("/api/pool_info")
    begin = time.monotonic()
    fake_observer.http.stop()
    assert sock.recv(100) == b""
    assert time.monotonic() - begin < 3
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", fake_observer.http.port), timeout=1)
    fake_observer.http.clear_script()
    fake_observer.http.start()
    assert get(fake_observer, "/api/pool_info")[0] == 200


def test_event_stream_frames(fake_observer):
    stream = fake_observer.events

    async def client():
        received = []
        async with websockets.connect(stream.url, user_agent_header="harness-check") as ws:
            await asyncio.get_running_loop().run_in_executor(None, stream.wait_for_connections, 1)
            stream.send_text('{"type":"side_block"}')
            stream.send_fragments(['{"type":', '"found_block"}'])
            stream.send_binary(b"\x00\x01")
            for _ in range(3):
                received.append(await asyncio.wait_for(ws.recv(), 5))
            stream.send_garbage()
            with pytest.raises(websockets.ConnectionClosedError):
                await asyncio.wait_for(ws.recv(), 5)
        return received

    received = asyncio.run(client())
    assert received == ['{"type":"side_block"}', '{"type":"found_block"}', b"\x00\x01"]
    assert stream.connections == 1
    assert stream.handshake_requests[0][1]["user-agent"] == "harness-check"


def test_event_stream_rejection_and_drop(fake_observer):
    stream = fake_observer.events
    stream.reject_next(418)

    async def rejected():
        with pytest.raises(websockets.InvalidStatusCode) as info:
            await websockets.connect(stream.url)
        return info.value.status_code

    assert asyncio.run(rejected()) == 418
    assert (stream.handshakes, stream.connections) == (1, 0)

    async def dropped():
        async with websockets.connect(stream.url) as ws:
            await asyncio.get_running_loop().run_in_executor(None, stream.wait_for_connections, 1)
            stream.drop()
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)

    asyncio.run(dropped())
    assert (stream.handshakes, stream.connections) == (2, 1)


def test_demo_rounds_make_new_blocks(observer_data):
    events = load_demo_events()
    first = rewrite_event(events[0], 0, 100)
    second = rewrite_event(events[0], 1, 100)
    assert first["side_block"]["template_id"] == events[0]["side_block"]["template_id"]
    assert second["side_block"]["template_id"] != first["side_block"]["template_id"]
    assert second["side_block"]["side_height"] > first["side_block"]["side_height"]
    found = [e for e in events if e["type"] == "found_block"][0]
    paid = payouts_from_found_block(rewrite_event(found, 2, 100), set(observer_data.addresses()))
    assert len(paid) == 2


def test_prometheus_parser():
    text = (
        "# HELP collectd_p2pool_hashrate write_prometheus plugin\n"
        "# TYPE collectd_p2pool_hashrate gauge\n"
        'collectd_p2pool_hashrate{p2pool="rig1",type="window",instance="testhost"} 35047.7 1767268769000\n'
        'collectd_p2pool_payouts_total{p2pool="a \\"b\\"",instance="testhost"} 3\n'
        "collectd_other NaN\n"
    )
    samples = parse_prometheus(text)
    found = select(samples, "collectd_p2pool_hashrate", {"p2pool": "rig1"})
    assert list(found.values()) == [35047.7]
    assert select(samples, "collectd_p2pool_payouts_total", {"p2pool": 'a "b"'})
    assert len(samples) == 3


VALGRIND_REPORT = """<?xml version="1.0"?>
<valgrindoutput>
<error><unique>0x1</unique><tid>1</tid><kind>Leak_DefinitelyLost</kind>
<xwhat><text>32 bytes in 1 blocks are definitely lost</text><leakedbytes>32</leakedbytes></xwhat>
<stack>
<frame><ip>0x1</ip><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj><fn>malloc</fn></frame>
<frame><ip>0x2</ip><obj>/tmp/x/plugins/p2pool.so</obj><fn>p2pool_wallet_new</fn><file>config.c</file><line>12</line></frame>
</stack></error>
<error><unique>0x2</unique><tid>1</tid><kind>Leak_DefinitelyLost</kind>
<xwhat><text>8 bytes in 1 blocks are definitely lost</text><leakedbytes>8</leakedbytes></xwhat>
<stack>
<frame><ip>0x1</ip><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj><fn>malloc</fn></frame>
<frame><ip>0x3</ip><obj>/usr/sbin/collectd</obj><fn>cf_read</fn></frame>
</stack></error>
<error><unique>0x3</unique><tid>2</tid><kind>InvalidRead</kind>
<what>Invalid read of size 8</what>
<stack>
<frame><ip>0x4</ip><obj>/tmp/x/plugins/p2pool.so</obj><fn>observer_read</fn></frame>
</stack></error>
</valgrindoutput>
"""


def test_valgrind_report_filter(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(VALGRIND_REPORT)
    findings = plugin_errors(str(report))
    assert len(findings) == 2
    assert findings[0].startswith("Leak_DefinitelyLost: 32 bytes")
    assert "p2pool_wallet_new (config.c:12)" in findings[0]
    assert findings[1].startswith("InvalidRead: Invalid read of size 8")
    assert plugin_errors(str(tmp_path / "missing.xml"))[0].startswith("valgrind report")


def test_redis_server_restarts_on_same_port(redis_factory):
    server = redis_factory(password="s3cret pass")
    assert server.command("SET", "p2pool:test", "42") == "OK"
    assert server.command("GET", "p2pool:test") == b"42"
    assert server.keys("p2pool:*") == ["p2pool:test"]
    port = server.port
    server.restart()
    assert server.port == port
    assert server.command("GET", "p2pool:test") is None

    server.pause()
    with pytest.raises(socket.timeout):
        server.command("PING", timeout=0.3)
    server.resume()
    assert server.command("PING") == "PONG"
