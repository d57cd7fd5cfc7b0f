"""A small client for Airflow's public REST API on the local stack (3.3's ``/api/v2`` or 2.x's ``/api/v1``).

The client does not know which line it talks to: :meth:`AirflowClient.configure` takes the ``api`` part of
``compat.stack_profile()`` (prefix, health path, token or basic login, body fields to leave out when null,
and the older field names and run types to map onto the 3.x ones), so callers always see one shape.

The harness drives and inspects Airflow only over HTTP (plus a read-only look at the SQLite file), never by
importing Airflow in the caller's process: the test session and the demo command keep their own Airflow
configuration untouched, and everything we check is what a user of the UI or API would see.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

TERMINAL_RUN_STATES = {"success", "failed"}
TERMINAL_TI_STATES = {"success", "failed", "skipped", "upstream_failed", "removed"}


class AirflowApiError(RuntimeError):
    """An Airflow REST call failed; carries the HTTP status and Airflow's answer."""

    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"Airflow API {method} {path} answered {status}: {body[:500]}")
        self.status = status
        self.body = body


@dataclass
class RunWatch:
    """What a watcher saw while a DAG run progressed: every state each task went through, in order."""

    dag_id: str
    run_id: str
    state: str = "queued"
    seen: dict[str, list[str]] = field(default_factory=dict)
    task_instances: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    def saw(self, task_id: str, state: str) -> bool:
        return state in self.seen.get(task_id, [])


class AirflowClient:
    """Client of one stack's UI process; speaks the API the stack profile describes (``configure``)."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.timeout = timeout
        self.session = requests.Session()
        self._logged_in = False
        self._api: dict[str, Any] | None = None

    def configure(self, api: dict[str, Any]) -> None:
        """Speak the API described by ``compat.stack_profile()["api"]`` of the stack's interpreter."""
        self._api = dict(api)

    @property
    def api_profile(self) -> dict[str, Any]:
        if self._api is None:
            raise RuntimeError("AirflowClient.configure(profile['api']) must come first (AirflowStack does it)")
        return self._api

    @property
    def prefix(self) -> str:
        return str(self.api_profile["prefix"])

    # -- plumbing -------------------------------------------------------------------------------------------
    def login(self) -> None:
        """Bearer token from ``token_path`` when the profile has one, else basic auth on every request."""
        token_path = self.api_profile["token_path"]
        if token_path is None:
            self.session.auth = (self.username, self._password)
            resp = self.session.get(f"{self.base_url}{self.prefix}/dags", params={"limit": 1}, timeout=self.timeout)
            if resp.status_code != 200:
                raise AirflowApiError("GET", f"{self.prefix}/dags", resp.status_code, resp.text)
        else:
            resp = self.session.post(
                f"{self.base_url}{token_path}",
                json={"username": self.username, "password": self._password},
                timeout=self.timeout,
            )
            if resp.status_code not in (200, 201):
                raise AirflowApiError("POST", token_path, resp.status_code, resp.text)
            self.session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self._logged_in = True

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        if not self._logged_in:
            self.login()
        url = f"{self.base_url}{path}"
        resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
        if resp.status_code == 401:  # token expired or api-server restarted with a new key: log in once more
            self.login()
            resp = self.session.request(method, url, timeout=self.timeout, **kwargs)
        if resp.status_code not in ok:
            raise AirflowApiError(method, path, resp.status_code, resp.text)
        return resp

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    @staticmethod
    def _q(value: str) -> str:
        return quote(value, safe="")

    # -- health and DAGs --------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        resp = self.session.get(f"{self.base_url}{self.api_profile['health_path']}", timeout=self.timeout)
        resp.raise_for_status()
        return resp.json()

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        resp = self.request("GET", f"{self.prefix}/dags/{self._q(dag_id)}", ok=(200, 404))
        if resp.status_code != 200:
            return None
        data = resp.json()
        for old, new in self.api_profile["dag_fields"].items():  # e.g. 2.x next_dagrun_create_after
            data.setdefault(new, data.get(old))
        return data

    def dag_ids(self) -> list[str]:
        data = self.get(f"{self.prefix}/dags", params={"limit": 1000})
        return sorted(d["dag_id"] for d in data["dags"])

    def jobs(self, job_type: str, *, alive: bool | None = None) -> list[dict[str, Any]]:
        """Airflow's job rows of one type (``SchedulerJob``, ``TriggererJob`` ...): id, hostname, state, heartbeat."""
        params: dict[str, Any] = {"job_type": job_type, "limit": 1000}
        if alive is not None:
            params["is_alive"] = str(alive).lower()
        return list(self.get(f"{self.prefix}/jobs", params=params)["jobs"])

    def dag_versions(self, dag_id: str) -> list[dict[str, Any]]:
        """Every serialized version of a DAG (Airflow 3), oldest first: ``version_number``, ``bundle_version``."""
        data = self.get(f"{self.prefix}/dags/{self._q(dag_id)}/dagVersions", params={"limit": 1000})
        return sorted(data["dag_versions"], key=lambda v: int(v["version_number"]))

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self.get(f"{self.prefix}/importErrors", params={"limit": 1000})["import_errors"])

    def wait_for_dags(self, dag_ids: list[str], *, timeout: float = 120.0) -> None:
        """Block until the dag-processor has parsed and serialized every id (bounded; names the missing ones)."""
        deadline = time.monotonic() + timeout
        missing = list(dag_ids)
        while time.monotonic() < deadline:
            missing = [d for d in dag_ids if self.dag(d) is None]
            if not missing:
                return
            time.sleep(1.0)
        errors = "; ".join(f"{e.get('filename')}: {str(e.get('stack_trace'))[-300:]}" for e in self.import_errors())
        raise TimeoutError(
            f"DAGs {missing} did not appear within {timeout:.0f}s. Import errors: {errors or 'none'}. "
            "Check the dag-processor log under the stack's home."
        )

    def create_pool(self, name: str, slots: int, description: str = "", include_deferred: bool = False) -> None:
        """Create a pool (both lines take the same body); an existing pool of that name is left as it is."""
        body = {"name": name, "slots": slots, "description": description, "include_deferred": include_deferred}
        self.request("POST", f"{self.prefix}/pools", ok=(200, 201, 409), json=body)

    def pool(self, name: str) -> dict[str, Any] | None:
        resp = self.request("GET", f"{self.prefix}/pools/{self._q(name)}", ok=(200, 404))
        return resp.json() if resp.status_code == 200 else None

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"{self.prefix}/dags/{self._q(dag_id)}", json={"is_paused": paused})

    def unpause(self, dag_id: str) -> None:
        self.set_paused(dag_id, False)

    # -- runs ----------------------------------------------------------------------------------------------------
    def trigger(
        self,
        dag_id: str,
        *,
        conf: dict[str, Any] | None = None,
        run_id: str | None = None,
        logical_date: datetime | None = None,
    ) -> str:
        """Create a manual run; pass ``logical_date`` when the DAG's templates use ``ds`` and friends."""
        run_id = run_id or f"manual__{uuid.uuid4().hex[:12]}"
        body = {
            "dag_run_id": run_id,
            "logical_date": logical_date.isoformat() if logical_date else None,
            "conf": conf or {},
        }
        for name in self.api_profile["omit_null"]:  # a line that rejects null there wants the field absent
            if body.get(name, "") is None:
                del body[name]
        data = self.request("POST", f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns", json=body).json()
        return str(data["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.get(f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}")

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        runs = list(self.get(f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns", params={"limit": 100})["dag_runs"])
        run_types = self.api_profile["run_types"]  # e.g. 2.x dataset_triggered -> asset_triggered
        for run in runs:
            run["run_type"] = run_types.get(run.get("run_type"), run.get("run_type"))
        return runs

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances"
        return list(self.get(path, params={"limit": 1000})["task_instances"])

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        return self.get(
            f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances/{self._q(task_id)}"
        )

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Every try of a task instance (Airflow's task instance history plus the current try)."""
        path = f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances/{self._q(task_id)}/tries"
        return list(self.get(path)["task_instances"])

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """The deserialized XCom value, or None when the task pushed none under ``key``."""
        path = (
            f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances/{self._q(task_id)}"
            f"/xcomEntries/{self._q(key)}"
        )
        resp = self.request("GET", path, ok=(200, 404), params={"deserialize": "true", "stringify": "false"})
        return resp.json().get("value") if resp.status_code == 200 else None

    def xcom_entries(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances/~/xcomEntries"
        return list(self.get(path, params={"limit": 1000})["xcom_entries"])

    def log_text(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        """The task's log for one try as plain text: every structured line's event plus its extra fields."""
        path = (
            f"{self.prefix}/dags/{self._q(dag_id)}/dagRuns/{self._q(run_id)}/taskInstances/{self._q(task_id)}"
            f"/logs/{try_number}"
        )
        data = self.get(path, params={"full_content": "true"}, headers={"Accept": "application/json"})
        content = data.get("content")
        if isinstance(content, str):
            return content
        lines = []
        for entry in content or []:
            if isinstance(entry, dict):
                extra = " ".join(f"{k}={v}" for k, v in entry.items() if k not in ("event", "timestamp", "level"))
                lines.append(f"{entry.get('level', '')} {entry.get('event', '')} {extra}".strip())
            else:
                lines.append(str(entry))
        return "\n".join(lines)

    def wait_for_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        timeout: float = 180.0,
        interval: float = 0.5,
        on_progress: Callable[[RunWatch], None] | None = None,
        on_sample: Callable[[RunWatch], None] | None = None,
    ) -> RunWatch:
        """Poll until the run is terminal, recording each task's state changes (so DEFERRED is observed live).

        A look that times out (an api-server busy with many tasks' Execution API calls) is skipped, not fatal:
        the next one tries again, within ``timeout``.
        """
        watch = RunWatch(dag_id=dag_id, run_id=run_id)
        start = time.monotonic()
        while True:
            try:
                tis = self.task_instances(dag_id, run_id)
                run_state = str(self.dag_run(dag_id, run_id)["state"])
            except (requests.Timeout, requests.ConnectionError):
                if time.monotonic() - start > timeout:
                    raise
                time.sleep(interval)
                continue
            for ti in tis:
                states = watch.seen.setdefault(ti["task_id"], [])
                state = ti.get("state") or "none"
                if not states or states[-1] != state:
                    states.append(state)
            watch.task_instances = tis
            watch.state = run_state
            watch.elapsed_s = time.monotonic() - start
            if on_sample:
                on_sample(watch)
            if on_progress:
                on_progress(watch)
            if watch.state in TERMINAL_RUN_STATES:
                watch.task_instances = self.task_instances(dag_id, run_id)
                return watch
            if watch.elapsed_s > timeout:
                states = {t["task_id"]: t.get("state") for t in tis}
                raise TimeoutError(
                    f"run {dag_id}/{run_id} still {watch.state} after {timeout:.0f}s; task states: {states}"
                )
            time.sleep(interval)
