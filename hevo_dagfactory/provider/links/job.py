"""HevoJobLink: the "Hevo Job" button on a task, opening the job in the Hevo UI.

Why XCom: links are rendered by the API server from the serialized DAG, without the
operator instance, so the operator pushes the job URL to XCom as soon as the job exists
(before deferring) and the link reads it back. No credential is ever part of the URL.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat import BaseOperatorLink, get_xcom_value

XCOM_JOB_ID = "hevo_job_id"
XCOM_JOB_URL = "hevo_job_url"
XCOM_PIPELINE_ID = "hevo_pipeline_id"
#: The structured result when the operator does not wait (its return value is then the job id).
XCOM_RESULT = "hevo_result"


class HevoJobLink(BaseOperatorLink):
    """Extra link to the Hevo job a task started or attached to (empty until the job exists)."""

    name = "Hevo Job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        url = get_xcom_value(ti_key=ti_key, key=XCOM_JOB_URL)
        return url if isinstance(url, str) else ""
