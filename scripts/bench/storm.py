"""Booking storm: N concurrent attempts at one slot of a shop, each on its own connection.

Usage: storm.py BASE_URL TOKEN SHOP_ID SERVICE_ID START_TIME N
Prints the count of each status and the latency percentiles. Standard library only: every
attempt opens its own TCP connection, so the N requests really are in flight together.
"""
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit


async def attempt(host, port, path, token, body, gate):
    reader, writer = await asyncio.open_connection(host, port)
    payload = json.dumps(body).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode() + payload
    await gate.wait()
    started = time.perf_counter()
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    elapsed = time.perf_counter() - started
    writer.close()
    return int(status_line.split()[1]), elapsed


async def main():
    base, token, shop, service, start, n = sys.argv[1:7]
    url = urlsplit(base)
    gate = asyncio.Event()
    tasks = [
        asyncio.create_task(
            attempt(
                url.hostname,
                url.port,
                "/api/v1/appointments/",
                token,
                {
                    "shop_id": int(shop),
                    "service_ids": [int(service)],
                    "start_time": start,
                    "client": {"full_name": f"Шторм {i}", "phone": f"+7997{i:07d}"},
                },
                gate,
            )
        )
        for i in range(int(n))
    ]
    await asyncio.sleep(1.0)  # every connection open before the first request goes
    gate.set()
    results = await asyncio.gather(*tasks)
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = sorted(elapsed for _, elapsed in results)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print("statuses: " + ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items())))
    print(f"latency p50: {pct(50):.1f} ms, p99: {pct(99):.1f} ms, max: {latencies[-1] * 1000:.1f} ms")


asyncio.run(main())
