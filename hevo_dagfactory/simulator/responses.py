"""The simulator's answer shapes, shared by the server (auth, rate limit, faults) and the route handlers.

Hevo's error body is not documented; this is the shape the simulator speaks: the message at the top
level and under ``error`` (code + message), so a client that reads either finds it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json", headers=headers)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"error": {"code": status, "message": message}, "message": message}, status, headers)
