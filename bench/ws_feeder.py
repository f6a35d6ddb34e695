"""Websocket stand-in for an observer's /api/events, for the benchmark.

Usage: python3 ws_feeder.py MESSAGES_FILE PORT_FILE LOG_FILE MODE COUNT SPACING_S

Listens on 127.0.0.1 (a port the OS picks, written to PORT_FILE) and, once
a client has connected and SETTLE_S has passed, sends COUNT messages from
MESSAGES_FILE (one per line, reused from the start when it runs out):
  MODE latency: one message every SPACING_S seconds; LOG_FILE gets
                "<seq> <realtime before send>" per message;
  MODE burst:   all messages at once; LOG_FILE gets "begin <t>" and
                "end <t>" around the sends.
The feeder then keeps the connection open until it is terminated.
"""

import asyncio
import sys
import time

import websockets

SETTLE_S = 1.0


async def main():
    messages_path, port_path, log_path, mode, count, spacing = sys.argv[1:7]
    count = int(count)
    spacing = float(spacing)
    with open(messages_path) as f:
        messages = [line.rstrip("\n") for line in f if line.strip()]
    log = open(log_path, "w", buffering=1)
    connected = asyncio.Event()

    async def handler(websocket, path=None):
        if connected.is_set():
            await websocket.wait_closed()
            return
        connected.set()
        await asyncio.sleep(SETTLE_S)
        if mode == "burst":
            log.write("begin %.9f\n" % time.time())
            for i in range(count):
                await websocket.send(messages[i % len(messages)])
            log.write("end %.9f\n" % time.time())
        else:
            for i in range(count):
                log.write("%d %.9f\n" % (i, time.time()))
                await websocket.send(messages[i % len(messages)])
                await asyncio.sleep(spacing)
        log.write("done %.9f\n" % time.time())
        await websocket.wait_closed()

    async with websockets.serve(handler, "127.0.0.1", 0,
                                max_size=None, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        with open(port_path + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.rename(port_path + ".tmp", port_path)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
