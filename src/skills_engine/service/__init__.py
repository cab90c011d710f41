"""The recommender over HTTP, and the widget other websites embed.

The service subpackage owns the HTTP API: the FastAPI app and its lazy module-level ``app`` for
uvicorn (:mod:`~skills_engine.service.app`), the router with the endpoints
(:mod:`~skills_engine.service.routes`), the request/response models and their limits
(:mod:`~skills_engine.service.models`), the middleware (:mod:`~skills_engine.service.middleware`)
and how uvicorn runs it, with its header, keep-alive and shutdown timeouts (:mod:`~skills_engine.service.server`);
and the embeddable widget and try-it page in ``static/``. It serves a fitted engine loaded through
:mod:`skills_engine.recommender.artifacts`.

It may import from ``recommender`` and the subpackages below it, never from ``publish``, ``bench``
or ``cli``. Submodules are not imported here, so importing the package loads nothing heavy.
"""
