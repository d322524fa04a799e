"""Live streams at scale: N SSE streams of one company held open, then one change.

Usage: streams.py BASE_URL TOKEN N SERVER_PID
Prints the streams held, the server's resident memory with them open, and the time from the
change's request until each stream received its event (p50/p99/max). Standard library only; the
client is one Python thread, so its own reading adds to the figures.
"""
import asyncio
import json
import sys
import time
import urllib.request
from urllib.parse import urlsplit


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def stream(host, port, token, marker, opened, received, ready):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET /api/v1/events?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(status)
    opened.append(1)
    if len(opened) == ready[0]:
        ready[1].set()
    buffer = b""
    while marker[0] is None or marker[0].encode() not in buffer:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buffer = buffer[-4096:] + chunk
    received.append(time.perf_counter())
    writer.close()


async def main():
    base, token, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    url = urlsplit(base)
    marker = [None]
    opened, received = [], []
    all_open = asyncio.Event()
    ready = [n, all_open]
    tasks = []
    rss_before = rss_kib(pid)
    for i in range(n):
        tasks.append(asyncio.create_task(stream(url.hostname, url.port, token, marker, opened, received, ready)))
        if i % 500 == 499:
            await asyncio.sleep(0.2)
    await asyncio.wait_for(all_open.wait(), timeout=120)
    await asyncio.sleep(1)
    rss = rss_kib(pid)
    marker[0] = f"Поток {time.time_ns()}"
    body = json.dumps({"full_name": marker[0], "phone": f"+7996{time.time_ns() % 10**7:07d}"}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/clients/",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    changed = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, lambda: urllib.request.urlopen(request).read())
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    delays = sorted((t - changed) * 1000 for t in received)

    def pct(p):
        return delays[min(len(delays) - 1, int(p / 100 * len(delays)))]

    print(f"streams held: {len(opened)} of {n}")
    print(f"server RSS: {rss_before / 1024:.1f} MB before, {rss / 1024:.1f} MB with the streams open")
    print(f"event received by {len(received)} streams: p50 {pct(50):.0f} ms, p99 {pct(99):.0f} ms, max {delays[-1]:.0f} ms")


asyncio.run(main())
