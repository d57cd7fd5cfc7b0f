"""Who hears about a workflow: ``notify:`` targets and the ``deadline:`` alert.

Why checks beyond the schema: a Slack target names its connection in ``slack:`` itself, so
``connection_id``/``from_email`` there are mistakes (they belong to e-mail targets); a deadline's
targets fire once, when the deadline passes, so ``on`` has no meaning there; and a deadline nobody
hears is a mistake too. The deadline's ``timezone`` defaults to the workflow's and must exist.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.model import Deadline, NotifyTarget
from hevo_dagfactory.spec.sections.state import BuildState
from hevo_dagfactory.spec.sections.timing import zone_at

EMAIL_ONLY = ("connection_id", "from_email")


def notify(state: BuildState) -> dict[str, Any]:
    raw = state.top.get("notify") or []
    return {"notify": tuple(_target(state, f"/notify/{i}", t, with_events=True) for i, t in enumerate(raw))}


def _target(state: BuildState, ptr: str, raw: dict[str, Any], *, with_events: bool) -> NotifyTarget:
    merged = {**S.defaults_of("#/$defs/notify_target"), **raw}
    if "slack" in raw:
        for key in EMAIL_ONLY:
            if key in raw:
                state.error(
                    f"{ptr}/{key}",
                    f"'{key}' is for e-mail targets; a Slack target names its webhook connection in 'slack:'",
                    "remove it (the webhook token stays in the Slack connection)",
                    "notify_target",
                )
    if "on" in raw and not with_events:
        state.error(
            f"{ptr}/on",
            "a deadline's targets hear only that the deadline passed, so 'on' has no meaning here",
            "remove 'on' (list events in the workflow's 'notify:')",
            "notify_target",
        )
    if "slack" in raw:
        return NotifyTarget("slack", raw["slack"], on=tuple(merged["on"]))
    email = raw["email"]
    return NotifyTarget(
        "email",
        merged["connection_id"],
        to=(email,) if isinstance(email, str) else tuple(email),
        from_email=raw.get("from_email"),
        on=tuple(merged["on"]),
    )


def deadline(state: BuildState) -> dict[str, Any]:
    raw = state.top.get("deadline")
    if raw is None:
        return {"deadline": None}
    tz_name = raw.get("timezone") or state.fields["timezone"]
    tz_name = "UTC" if tz_name.upper() == "UTC" else tz_name
    if "timezone" in raw:
        zone_at(state, "/deadline/timezone", tz_name)
    after = state.duration("/deadline/after", raw.get("after")) if "after" in raw else None
    if after is not None and not after:
        state.error("/deadline/after", "a deadline 0s after the start has always passed", "write e.g. 2h", "deadline")
    if "notify" in raw:
        targets = tuple(
            _target(state, f"/deadline/notify/{i}", t, with_events=False) for i, t in enumerate(raw["notify"])
        )
    else:
        targets = state.fields["notify"]
    if not targets:
        state.error(
            "/deadline",
            "nobody hears this deadline: it has no 'notify' and the workflow has no 'notify' targets",
            "add 'notify: [{slack: <connection id>}]' under 'deadline:' (or a workflow 'notify:')",
            "deadline",
        )
    return {"deadline": Deadline(targets, by=raw.get("by"), after=after, timezone=tz_name)}
