"""Load test of a running API: requests/second, p50 and p99 latency and errors at 1, 10 and 50 clients.

``skills-engine bench api --url http://127.0.0.1:8000`` sends a bounded number of
``POST /recommend`` requests per level from closed-loop clients (each sends its next request
when the previous answer arrives) over keep-alive connections. The requests are a fixed,
seeded mix of three to eight ESCO skill labels (what the try-it page sends once the
autocomplete has been used), a region or the whole UK, and ``k=10``. Only loopback URLs
are accepted: this measures the service, not a network, and never loads someone else's server.
"""

from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import urlsplit

import numpy as np

from skills_engine.config import RANDOM_STATE, REGIONS

#: Concurrent clients per level, from one person to a busy embedding site.
LEVELS = (1, 10, 50)
#: Requests measured per level: enough for a stable p99 (three requests above it), bounded.
REQUESTS_PER_LEVEL = 300
#: Requests sent before each level's measurement (at least two per client), so that every
#: client's connection is open before the clock starts.
WARMUP_REQUESTS = 20
#: Seconds one request may take before it counts as an error.
REQUEST_TIMEOUT_SECONDS = 30
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: ESCO preferred labels among the most frequent in adverts: a realistic spread of query profiles.
SKILL_POOL = (
    "communication",
    "work in teams",
    "manage staff",
    "work independently",
    "primary care",
    "mentor individuals",
    "troubleshoot",
    "adapt to change",
    "quality standards",
    "personal development",
    "have computer literacy",
    "create solutions to problems",
    "psychology",
    "cooperate with colleagues",
    "customer service",
    "risk management",
    "physiotherapy",
    "acute care",
    "manage budgets",
    "guide staff",
    "palliative care",
    "identify customer's needs",
    "meet deadlines",
    "project management",
    "first aid",
    "wear appropriate protective gear",
    "write work-related reports",
    "perform scientific research",
    "mechanics",
    "public health",
    "liaise with managers",
    "supervise staff",
    "communicate with customers",
    "listen actively",
    "nutrition",
    "apply health and safety standards",
    "engineering principles",
    "give constructive feedback",
    "company policies",
    "mathematics",
    "Microsoft Access",
    "geographic information systems",
    "rehabilitation",
    "surgery",
    "medicines",
)


def check_url(url: str) -> str:
    """The base URL without a trailing slash; ``ValueError`` unless it is http(s) on loopback.

    >>> check_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"bench api only drives a service on loopback ({', '.join(LOOPBACK_HOSTS)}), not {url!r}")
    return url.rstrip("/")


def request_bodies(n: int, random_state: int = RANDOM_STATE) -> list[dict]:
    """``n`` seeded ``/recommend`` bodies: 3-8 skills from :data:`SKILL_POOL`, a region or none, k=10.

    >>> bodies = request_bodies(3)
    >>> [3 <= len(b["skills"]) <= 8 and b["k"] == 10 for b in bodies]
    [True, True, True]
    """
    rng = random.Random(random_state)
    regions = [*REGIONS, None]
    return [
        {"skills": rng.sample(SKILL_POOL, rng.randint(3, 8)), "region": rng.choice(regions), "k": 10} for _ in range(n)
    ]


async def _level(url: str, concurrency: int, bodies: list[dict], warmup: list[dict]) -> dict:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: dict, record: bool) -> None:
            start = time.perf_counter()
            try:
                async with session.post(f"{url}/recommend", json=body) as response:
                    await response.read()
                    ok = response.status == 200
                    problem = f"HTTP {response.status}"
            except (TimeoutError, aiohttp.ClientError) as error:
                ok, problem = False, type(error).__name__
            if record:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append(problem)

        async def client(queue: list[dict], record: bool) -> None:
            while queue:
                await one(queue.pop(), record)

        warm = list(warmup[: max(WARMUP_REQUESTS, 2 * concurrency)])
        await asyncio.gather(*(client(warm, False) for _ in range(concurrency)))
        todo = list(reversed(bodies))
        began = time.perf_counter()
        await asyncio.gather(*(client(todo, True) for _ in range(concurrency)))
        wall = time.perf_counter() - began
    milliseconds = np.asarray(latencies) * 1000
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 2),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 2),
        "max_ms": round(float(milliseconds.max()), 2),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


def bench_api(
    url: str,
    levels: tuple[int, ...] = LEVELS,
    requests_per_level: int = REQUESTS_PER_LEVEL,
    random_state: int = RANDOM_STATE,
) -> dict:
    """Drive the service at ``url`` at each concurrency level; return ``{"runs": [...]}``.

    Each run has ``concurrency``, ``requests``, ``requests_per_second``, ``p50_ms``,
    ``p99_ms``, ``max_ms``, ``errors`` and ``error_kinds``.
    """
    url = check_url(url)
    if requests_per_level < 1:
        raise ValueError("requests_per_level must be at least 1")
    measured = request_bodies(requests_per_level, random_state)
    warmup = request_bodies(max(WARMUP_REQUESTS, 2 * max(levels)), random_state + 1)
    return {"url": url, "runs": [asyncio.run(_level(url, level, measured, warmup)) for level in levels]}
