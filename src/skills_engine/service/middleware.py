"""The API's middleware: the request-body limit and CORS for the websites that embed the widget.

``SKILLS_ENGINE_CORS_ORIGINS`` lists, comma-separated, the origins allowed to call the API from a
browser, e.g. ``https://example.org,https://www.example.org``; ``*`` allows any. Default: none.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from skills_engine.recommender.engine import MAX_SKILLS
from skills_engine.service.models import MAX_BODY_BYTES

CORS_ENV = "SKILLS_ENGINE_CORS_ORIGINS"


def cors_origins(value: str | None = None) -> list[str]:
    """Origins allowed by CORS, from ``SKILLS_ENGINE_CORS_ORIGINS`` (comma-separated).

    >>> cors_origins(" https://a.org, https://b.org ,")
    ['https://a.org', 'https://b.org']
    >>> cors_origins("")
    []
    """
    value = os.environ.get(CORS_ENV, "") if value is None else value
    return [origin.strip() for origin in value.split(",") if origin.strip()]


# --- security headers --------------------------------------------------------------------------

#: Headers set on every response. The CSP allows this origin's own scripts and styles (inline
#: ones too: the try-it and documentation pages are single files), images from data: URLs, and
#: connections to this origin; no other site may frame the pages (clickjacking). The widget other sites embed is a
#: script they load, so framing is never needed.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    ),
)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response (pure ASGI: no body buffering)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = message | {"headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, with_headers)


# --- request size ----------------------------------------------------------------------------


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with a 413, by Content-Length and by bytes read.

    A pure ASGI middleware, so a chunked upload is counted as it streams and never buffered
    beyond the limit.
    """

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                return await self._refuse(send, 400, "the Content-Length header is not a number")
            if too_big:
                return await self._refuse(send, 413, self._message())
        # Read the whole (bounded) body first, then replay it: the app never sees an oversized body.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(send, 413, self._message())
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body too large: at most {self.max_bytes // 1024} KB ({MAX_SKILLS} skills) are accepted"

    @staticmethod
    async def _refuse(send, status: int, detail: str) -> None:
        import orjson

        body = orjson.dumps({"detail": detail})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def add_middleware(app: FastAPI, origins: list[str] | None = None) -> None:
    """CORS for ``origins`` (default ``$SKILLS_ENGINE_CORS_ORIGINS``; none: no CORS), then the body limit.

    The body limit is added after CORS so that an oversized body is refused before anything else
    reads it; the security headers are added last, outermost, so every response carries them,
    the body limit's refusals included.
    """
    allowed = cors_origins() if origins is None else origins
    if allowed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeadersMiddleware)
