"""Load test of a running API: requests/second, p50 and p99 latency and errors at 1, 10 and 50 clients.

``skills-engine bench api --url http://127.0.0.1:8000`` sends a bounded number of
``POST /recommend`` requests per level from closed-loop clients (each sends its next request
when the previous answer arrives) over keep-alive connections. The requests are a fixed,
seeded mix of three to eight skills, a region or the whole UK, and ``k=10``: ESCO labels (what
the try-it page sends once the autocomplete has been used) with up to two everyday phrases that
are not ESCO labels (what people type: "patient care", "record keeping"), which go through the
spelling and meaning matchers. After the levels, one more run at :data:`UNKNOWN_MIX_CONCURRENCY`
clients mixes in requests of 200 unrecognisable skills, the most expensive request there is.

Latency is read against the server's own floor on this machine: each run also sends ``GET
/health`` at the same concurrency from the same load generator and reports its p99
(``health_p99_ms``). Only loopback URLs are accepted: this measures the service, not a network,
and never loads someone else's server.
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


#: Everyday phrases that are not ESCO labels, as people type them (the README's example among them).
EVERYDAY_PHRASES = (
    "patient care",
    "record keeping",
    "team leadership",
    "stock control",
    "spreadsheets",
    "customer complaints",
    "caring for elderly people",
    "data entry",
    "cash handling",
    "food hygiene",
    "manual handling",
    "time management",
    "problem solving",
    "social media",
    "forklift driving",
)
#: Most everyday phrases in one request of the default mix.
MAX_EVERYDAY_PER_REQUEST = 2
#: Clients, and the share of requests carrying 200 unrecognisable skills, of the extra run.
UNKNOWN_MIX_CONCURRENCY = 10
UNKNOWN_MIX_SHARE = 0.05
UNKNOWN_SKILLS_PER_REQUEST = 200


def check_url(url: str) -> str:
    """The base URL without a trailing slash; ``ValueError`` unless it is http(s) on loopback.

    >>> check_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"bench api only drives a service on loopback ({', '.join(LOOPBACK_HOSTS)}), not {url!r}")
    return url.rstrip("/")


def request_bodies(n: int, random_state: int = RANDOM_STATE, unknown_share: float = 0.0) -> list[dict]:
    """``n`` seeded ``/recommend`` bodies: 3-8 skills, of which up to two everyday phrases from
    :data:`EVERYDAY_PHRASES` and the rest ESCO labels from :data:`SKILL_POOL`; a region or none;
    k=10. A share ``unknown_share`` of them carry 200 unrecognisable skills instead.

    >>> bodies = request_bodies(50)
    >>> all(3 <= len(b["skills"]) <= 8 and b["k"] == 10 for b in bodies)
    True
    >>> any(set(b["skills"]) & set(EVERYDAY_PHRASES) for b in bodies)
    True
    >>> sum(len(b["skills"]) == 200 for b in request_bodies(100, unknown_share=0.05))
    5
    """
    rng = random.Random(random_state)
    regions = [*REGIONS, None]
    bodies = []
    for i in range(n):
        if unknown_share and i % round(1 / unknown_share) == 0:
            skills = [f"qzx{i:04d}{j:03d} vlorp" for j in range(UNKNOWN_SKILLS_PER_REQUEST)]
        else:
            size = rng.randint(3, 8)
            everyday = rng.sample(EVERYDAY_PHRASES, rng.randint(0, min(MAX_EVERYDAY_PER_REQUEST, size)))
            skills = [*everyday, *rng.sample(SKILL_POOL, size - len(everyday))]
            rng.shuffle(skills)
        bodies.append({"skills": skills, "region": rng.choice(regions), "k": 10})
    return bodies


async def _level(url: str, concurrency: int, bodies: list[dict], warmup: list[dict], mix: str = "everyday") -> dict:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    latencies: list[float] = []
    errors: list[str] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: dict | None, record: bool, into: list[float] = latencies) -> None:
            start = time.perf_counter()
            try:
                request = session.get(f"{url}/health") if body is None else session.post(f"{url}/recommend", json=body)
                async with request as response:
                    await response.read()
                    ok = response.status == 200
                    problem = f"HTTP {response.status}"
            except (TimeoutError, aiohttp.ClientError) as error:
                ok, problem = False, type(error).__name__
            if record:
                into.append(time.perf_counter() - start)
                if not ok and into is latencies:  # the /health floor is timing only
                    errors.append(problem)

        async def client(queue: list, record: bool, into: list[float] = latencies) -> None:
            while queue:
                await one(queue.pop(), record, into)

        warm = list(warmup[: max(WARMUP_REQUESTS, 2 * concurrency)])
        await asyncio.gather(*(client(warm, False) for _ in range(concurrency)))
        todo = list(reversed(bodies))
        began = time.perf_counter()
        await asyncio.gather(*(client(todo, True) for _ in range(concurrency)))
        wall = time.perf_counter() - began
        health: list[float] = []
        probes = [None] * len(bodies)
        await asyncio.gather(*(client(probes, True, health) for _ in range(concurrency)))
    milliseconds = np.asarray(latencies) * 1000
    return {
        "mix": mix,
        "concurrency": concurrency,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(milliseconds, 50)), 2),
        "p99_ms": round(float(np.percentile(milliseconds, 99)), 2),
        "max_ms": round(float(milliseconds.max()), 2),
        "health_p99_ms": round(float(np.percentile(np.asarray(health) * 1000, 99)), 2),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


def bench_api(
    url: str,
    levels: tuple[int, ...] = LEVELS,
    requests_per_level: int = REQUESTS_PER_LEVEL,
    random_state: int = RANDOM_STATE,
) -> dict:
    """Drive the service at ``url`` at each concurrency level, then once with 200-unknown-skill
    requests mixed in; return ``{"runs": [...]}``.

    Each run has ``mix`` (``everyday`` or ``with_200_unknown``), ``concurrency``, ``requests``,
    ``requests_per_second``, ``p50_ms``, ``p99_ms``, ``max_ms``, ``health_p99_ms`` (``GET
    /health`` at the same concurrency: the floor), ``errors`` (any non-200 answer or timeout) and
    ``error_kinds``.
    """
    url = check_url(url)
    if requests_per_level < 1:
        raise ValueError("requests_per_level must be at least 1")
    measured = request_bodies(requests_per_level, random_state)
    warmup = request_bodies(max(WARMUP_REQUESTS, 2 * max(levels)), random_state + 1)
    runs = [asyncio.run(_level(url, level, measured, warmup)) for level in levels]
    heavy = request_bodies(requests_per_level, random_state + 2, unknown_share=UNKNOWN_MIX_SHARE)
    runs.append(asyncio.run(_level(url, UNKNOWN_MIX_CONCURRENCY, heavy, warmup, mix="with_200_unknown")))
    return {"url": url, "runs": runs}
