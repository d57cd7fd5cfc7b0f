"""The triggerer processes of a stack, for the fault tests: start more, see which are alive, wait for a trigger.

The stack starts one triggerer (the profile's ``triggerer`` process); a fault test SIGKILLs it mid-sync and
starts a replacement, or runs two at once with a small ``--capacity`` so the triggers spread over both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hevo_dagfactory.demo.metadb import TriggerRow
from hevo_dagfactory.demo.procs import ManagedProcess, wait_until

if TYPE_CHECKING:
    from hevo_dagfactory.demo.stack import AirflowStack

MAIN = "triggerer"  # the name of the triggerer process in every stack profile


class TriggererPool:
    """Every triggerer process of one stack: the one it started plus any started later (all stopped with it)."""

    def __init__(self, stack: AirflowStack, capacity: int | None = None):
        self._stack = stack
        # A small capacity forces triggers to spread over several triggerers (the two-triggerer fault test).
        self.capacity = capacity
        self.extra: list[ManagedProcess] = []

    def args(self) -> list[str]:
        """``airflow`` argv of a triggerer: the profile's, plus ``--capacity`` when one is set."""
        args = list(self._stack.profile["processes"][MAIN])
        if self.capacity:
            args += ["--capacity", str(self.capacity)]
        return args

    def live(self) -> list[ManagedProcess]:
        """Triggerer processes of this stack that are still running."""
        main = self._stack.procs.get(MAIN)
        return [p for p in ([main] if main else []) + self.extra if p.alive()]

    def start(self) -> ManagedProcess:
        """Start one more triggerer process and return it."""
        proc = self._stack.airflow_process(f"{MAIN}-{len(self.extra) + 2}", *self.args()).start()
        self.extra.append(proc)
        return proc

    def wait_for_trigger(self, dag_id: str, *, timeout: float = 60.0, assigned: bool = True) -> list[TriggerRow]:
        """Block until a trigger of ``dag_id`` exists (and, if ``assigned``, a triggerer has picked it up)."""
        found: list[TriggerRow] = []

        def present() -> bool:
            rows = self._stack.db.triggers(dag_id)
            found[:] = [r for r in rows if r.triggerer_id is not None or not assigned]
            return bool(found)

        watch = list(self._stack.procs.values())
        wait_until(present, timeout=timeout, what=f"a trigger of {dag_id}", watch=watch, interval=0.3)
        return found
