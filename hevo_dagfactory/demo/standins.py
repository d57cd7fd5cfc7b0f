"""Local stand-ins for the services notifications go to: a Slack incoming webhook on 127.0.0.1.

Why: the demo and the e2e tests show a notification *delivered*, and this machine has no Slack. Airflow's
own ``SlackWebhookNotifier`` posts to whatever its connection names, so the ``slackwebhook`` connection's
host points here (:func:`slack_connection_json`) and this server records every message it is sent, as
Slack would show it. It answers ``ok`` like Slack. A thread of the calling process, on a free port, stopped
with the ``with`` block; it never imports Airflow.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class WebhookRecorder:
    """``with WebhookRecorder() as hook:`` … ``hook.messages`` (the JSON bodies posted, oldest first)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server calls it by this name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"raw": body.decode("utf-8", "replace")}
                with recorder._lock:
                    recorder.messages.append(payload)
                    recorder.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own lines
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-recorder", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> WebhookRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookRecorder:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def texts(self) -> list[str]:
        with self._lock:
            return [str(m.get("text", "")) for m in self.messages]

    def wait_for(self, needle: str, timeout: float) -> str:
        """The first message text containing ``needle``; raises ``TimeoutError`` naming what did arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in self.texts():
                if needle in text:
                    return text
            time.sleep(0.2)
        raise TimeoutError(f"no webhook message containing {needle!r} within {timeout:.0f}s; got {self.texts()}")


def slack_connection_json(url: str, token: str = "T00000000/B00000000/LOCALSTANDIN") -> str:
    """An ``AIRFLOW_CONN_*`` value: a ``slackwebhook`` connection posting to ``url`` (the token is a placeholder)."""
    return json.dumps({"conn_type": "slackwebhook", "host": url, "password": token})
