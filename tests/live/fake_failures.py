"""A server that fails in every way a backend can, chosen by the first path segment, so that
any client can be pointed at `<url>/<mode>` as its base URL:

    slow         answers nothing for 30 s
    dribble      sends headers, then a byte every 0.2 s
    unauthorized 401, forbidden 403, missing 404, broken 500, unavailable 503
    malformed    200 with truncated JSON        html   200 with a login page
    wrongshape   200 with JSON of the wrong shape
    huge         200 with a 4 MiB body and no length
    echo         400 whose body repeats the request's Authorization header
    empty        200 with a well-formed empty answer in each backend's shape
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

MODES = ("slow", "dribble", "unauthorized", "forbidden", "missing", "broken", "unavailable", "malformed", "html",
         "wrongshape", "huge", "echo", "empty")


def _empty(path: str) -> Response:
    prom = {"status": "success"}
    if path.startswith("/api/v1/query_range"):
        return JSONResponse(prom | {"data": {"resultType": "matrix", "result": []}})
    if path.startswith("/api/v1/query"):
        return JSONResponse(prom | {"data": {"resultType": "vector", "result": []}})
    if path.startswith("/api/v1/rules"):
        return JSONResponse(prom | {"data": {"groups": []}})
    if path.startswith("/api/v1/alerts"):
        return JSONResponse(prom | {"data": {"alerts": []}})
    if path.startswith("/api/v1/status/buildinfo"):
        return JSONResponse(prom | {"data": {"version": "2.42.0"}})
    if path.startswith(("/api/v1/label", "/api/v1/series", "/loki/api/v1/label", "/loki/api/v1/series")):
        return JSONResponse(prom | {"data": []})
    if path.startswith("/loki/api/v1/query_range"):
        return JSONResponse(prom | {"data": {"resultType": "streams", "result": []}})
    if path.startswith("/api/v2/"):
        return JSONResponse([] if path.endswith(("alerts", "silences")) else {"versionInfo": {}})
    if path.startswith("/api/search/tag"):
        return JSONResponse({"tagValues": []})
    if path.startswith("/api/search"):
        return JSONResponse({"traces": [], "metrics": {}})
    if path.startswith(("/apis/", "/api/v1/")):
        return JSONResponse({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []})
    if path.startswith("/version"):
        return JSONResponse({"gitVersion": "v1.30.0"})
    # Jaeger's envelope; Tempo reads it as a trace with no spans.
    return JSONResponse({"data": [], "total": 0, "limit": 0, "offset": 0, "errors": None})


async def _handler(request: Request) -> Response:
    mode, rest = request.path_params["mode"], "/" + request.path_params["rest"]
    if mode == "slow":
        await asyncio.sleep(30)
        return PlainTextResponse("too late")
    if mode == "dribble":
        async def drip():
            for _ in range(300):
                yield b" "
                await asyncio.sleep(0.2)
        return StreamingResponse(drip(), media_type="application/json")
    statuses = {"unauthorized": (401, "authentication required"), "forbidden": (403, "access denied by policy"),
                "missing": (404, "404 page not found"), "broken": (500, "internal server error: boom")}
    if mode in statuses:
        code, text = statuses[mode]
        return PlainTextResponse(text, status_code=code)
    if mode == "unavailable":
        return JSONResponse({"status": "error", "errorType": "unavailable", "error": "TSDB not ready"}, 503)
    if mode == "malformed":
        return Response(b'{"status": "success", "data": {"resultType": "matr', media_type="application/json")
    if mode == "html":
        return HTMLResponse("<html><body>Please log in</body></html>")
    if mode == "wrongshape":
        return JSONResponse({"status": "success", "data": {"resultType": "matrix", "result": "nope"},
                             "traces": "nope", "items": "nope"})
    if mode == "huge":
        async def big():
            for _ in range(64):
                yield b"[" + b"0," * 32767
                await asyncio.sleep(0)  # let other requests in: a client that gave up stops reading
        return StreamingResponse(big(), media_type="application/json")
    if mode == "echo":
        return PlainTextResponse(f"bad request from {request.headers.get('authorization', '')}", status_code=400)
    return _empty(rest)


def app() -> Starlette:
    return Starlette(routes=[Route("/{mode}/{rest:path}", _handler)])
