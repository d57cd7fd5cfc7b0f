"""How a local Airflow stack of this line is run (the demo and the e2e harness), as data."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.version import AIRFLOW_3, AIRFLOW_VERSION


# --- how a local stack of this line is run (the demo and the e2e harness) -----------------
def stack_profile() -> dict[str, Any]:
    """How to run a local Airflow stack of this line, as JSON-able data the harness follows blindly.

    Why here: the harness (hevo_dagfactory/demo) must not import Airflow in its own process (that
    would read the caller's configuration), so it runs ``python -m hevo_dagfactory.provider.compat``
    with the stack's interpreter and reads this dict; it never asks which line it is on.
    ``processes``: name -> ``airflow`` argv, started in order after ``db migrate`` and the one-shot
    ``setup`` commands; ``ui`` serves the UI and REST API; ``healthy``: what its health endpoint
    must report. ``password_file``: where the simple auth manager reads the admin's password (None:
    the login is a Flask-AppBuilder user made by ``setup``). ``api``: REST prefix, health path,
    ``token_path`` (None: basic auth), body fields sent absent rather than null, and the 2.x field
    names and run types mapped onto the 3.x ones. ``env``: ``{section: {key: value}}`` for
    ``AIRFLOW__SECTION__KEY``. Values may use ``{api_url} {api_port} {home} {logs_dir} {user}
    {password} {password_file} {random}`` (a fresh random secret per value).

    - Airflow 3: api-server (``/api/v2``, bearer token from the simple auth manager), a separate
      dag-processor, LocalExecutor on SQLite (tasks talk to the Execution API, not the DB).
    - Airflow 2: webserver (Flask, ``/api/v1`` with basic auth against a FAB user), the scheduler
      parses DAGs itself, and SQLite allows only the SequentialExecutor.
    """
    return _airflow3_profile() if AIRFLOW_3 else _airflow2_profile()


#: Settings and commands both lines share.
_PARSING = {"MIN_FILE_PROCESS_INTERVAL": "30", "PARSING_PROCESSES": "1", "PRINT_STATS_INTERVAL": "300"}
_SCHEDULER = ("scheduler", "--skip-serve-logs")
_TRIGGERER = ("triggerer", "--skip-serve-logs")


def _airflow3_profile() -> dict[str, Any]:
    """Airflow 3's stack (a data table)."""
    return {
        "airflow_version": AIRFLOW_VERSION,
        "executor": "LocalExecutor",
        "ui": "api-server",
        "setup": {},
        "processes": {
            "api-server": ["api-server", "--host", "127.0.0.1", "--port", "{api_port}", "--workers", "1"],
            "scheduler": [*_SCHEDULER],
            "dag-processor": ["dag-processor"],
            "triggerer": [*_TRIGGERER],
        },
        "healthy": ["scheduler", "triggerer", "dag_processor"],
        "password_file": "simple_auth_manager_passwords.json",
        "api": {
            "prefix": "/api/v2",
            "health_path": "/api/v2/monitor/health",
            "token_path": "/auth/token",
            "omit_null": [],
            "dag_fields": {},
            "run_types": {},
        },
        "env": {
            "CORE": {
                "EXECUTION_API_SERVER_URL": "{api_url}/execution/",
                "AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
                "SIMPLE_AUTH_MANAGER_USERS": "{user}:admin",
                "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "{password_file}",
            },
            "API": {
                "HOST": "127.0.0.1",
                "PORT": "{api_port}",
                "BASE_URL": "{api_url}",
                "WORKERS": "1",
                "SECRET_KEY": "{random}",
            },
            "API_AUTH": {"JWT_SECRET": "{random}"},
            "DAG_PROCESSOR": {**_PARSING, "REFRESH_INTERVAL": "5", "BUNDLE_REFRESH_CHECK_INTERVAL": "2"},
            "LOGGING": {"DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": "{logs_dir}/dag_processor"},
        },
    }


def _airflow2_profile() -> dict[str, Any]:
    """Airflow 2's stack (a data table)."""
    return {
        "airflow_version": AIRFLOW_VERSION,
        "executor": "SequentialExecutor",
        "ui": "webserver",
        # ``--password=...`` in one piece: a random password may start with "-", which argparse reads as an option.
        "setup": {
            "users-create": [
                "users",
                "create",
                "--username",
                "{user}",
                "--password={password}",
                "--role",
                "Admin",
                "--firstname",
                "Demo",
                "--lastname",
                "Admin",
                "--email",
                "admin@example.invalid",
            ]
        },
        "processes": {
            "webserver": ["webserver", "--hostname", "127.0.0.1", "--port", "{api_port}", "--workers", "1"],
            "scheduler": [*_SCHEDULER],
            "triggerer": [*_TRIGGERER],
        },
        "healthy": ["metadatabase", "scheduler", "triggerer"],
        "password_file": None,
        "api": {
            "prefix": "/api/v1",
            "health_path": "/api/v1/health",
            "token_path": None,
            "omit_null": ["logical_date"],
            "dag_fields": {"next_dagrun_create_after": "next_dagrun_run_after"},
            "run_types": {"dataset_triggered": "asset_triggered"},
        },
        "env": {
            "WEBSERVER": {
                "WEB_SERVER_HOST": "127.0.0.1",
                "WEB_SERVER_PORT": "{api_port}",
                "BASE_URL": "{api_url}",
                "WORKERS": "1",
                "SECRET_KEY": "{random}",
                "WARN_DEPLOYMENT_EXPOSURE": "False",
            },
            "API": {"AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth", "ENABLE_XCOM_DESERIALIZE_SUPPORT": "True"},
            "SCHEDULER": {**_PARSING, "DAG_DIR_LIST_INTERVAL": "5", "STANDALONE_DAG_PROCESSOR": "False"},
        },
    }
