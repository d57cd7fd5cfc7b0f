"""The two BashOperator subclasses the dbt and bash steps run as.

Why subclasses, and not BashOperator itself:

- **No value is a template file name.** BashOperator loads any templated string ending in
  ``.sh``/``.bash`` (``template_ext``) as a Jinja template *file*, in ``bash_command`` and equally
  in every ``env`` value and in ``cwd``: ``env: {HOOK: ./notify.sh}`` failed at render time with
  ``TemplateNotFound``. A workflow file holds commands and values, never template file names, so
  :class:`WorkflowBashOperator` has no ``template_ext``: a command ending in ``.sh`` runs inline
  exactly as written (Jinja in it still renders), and env values and cwd stay what they say.
- **dbt values are quoted after rendering.** :class:`DbtBashOperator` keeps the dbt command as a
  templated list of arguments (``dbt_argv``) and builds ``bash_command`` from the RENDERED list,
  each argument ``shlex``-quoted and ``vars`` JSON-encoded only then. Quoting before rendering
  let ``{{ dag_run.conf.day }}`` with ``x'; touch /tmp/pwned; echo '`` break out of the quotes.
  The join happens inside ``render_template_fields``, which Airflow's task runner (3.3) and
  ``TaskInstance._execute_task_with_callbacks`` (2.11) call before they record the rendered
  fields, so the UI's rendered ``bash_command`` is the exact line bash runs.

Passing dbt values through environment variables (``--select "$HEVO_DBT_SELECT_0"``) would be
safe too, but then the rendered command in the UI would show variable names instead of the
command that ran; the argument list keeps both the safety and the readable command.

What the dbt task adds when it runs (``dbt-ol`` or plain dbt, its own target and log folders, the
OpenLineage parent) lives in ``dbtrun.py``, imported only when a task runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from hevo_dagfactory.provider.compat import BashOperator


class WorkflowBashOperator(BashOperator):
    """BashOperator whose templated values are never read as template file names."""

    template_ext: Sequence[str] = ()


class DbtBashOperator(WorkflowBashOperator):
    """``dbt ...`` from a templated argument list, shell-quoted after Jinja rendering.

    ``dbt_argv`` is ``["dbt", "build", "--select", ..., "--vars", {...}]`` as written in the
    workflow file; ``bash_command`` is ``shell.join_argv(dbt_argv)``: the unrendered line
    before a run (the builder passes it, so replaying a cached plan needs no ``shell``
    import; it is computed when omitted), the rendered one after ``render_template_fields``.
    Whatever is passed, the line that runs is always built from the rendered ``dbt_argv``.
    ``full_refresh`` (templated; the workflow's built-in ``dbt_full_refresh`` run parameter) adds
    ``--full-refresh`` when it renders true (``dbt.with_full_refresh``, the dbt command builder).
    """

    template_fields: Sequence[str] = ("bash_command", "dbt_argv", "env", "cwd", "full_refresh")
    template_fields_renderers = {"bash_command": "bash", "dbt_argv": "json", "env": "json"}

    def __init__(
        self, *, dbt_argv: list[Any], bash_command: str | None = None, full_refresh: Any = False, **kwargs: Any
    ) -> None:
        super().__init__(bash_command=_join(dbt_argv) if bash_command is None else bash_command, **kwargs)
        self.dbt_argv = dbt_argv
        self.full_refresh = full_refresh

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # bash_command is derived, never rendered itself: rendering the quoted line would be the
        # bug this class exists to fix. Blank it, render the arguments (and env, cwd), re-join.
        # dbt-ol without the wrapper on PATH becomes dbt here, so the rendered line is what bash runs.
        from hevo_dagfactory.factory import dbtrun

        self.bash_command = ""
        super().render_template_fields(context, jinja_env)
        self.dbt_argv = dbtrun.executable_for(self.dbt_argv, self._task_env(), self.log)
        self.bash_command = _join(self.dbt_argv, self.full_refresh)

    def execute(self, context: Any) -> Any:
        """Run dbt with its own target and log folders (and dbt-ol's OpenLineage parent); see dbtrun.py."""
        from hevo_dagfactory.factory import dbtrun
        from hevo_dagfactory.provider.compat import AirflowException

        env = self._task_env()
        problem = dbtrun.missing_executable(self.dbt_argv, env)
        if problem:
            raise AirflowException(problem)
        with dbtrun.artifact_env(context, env, self.dag_id, self.task_id) as extra:
            if self.dbt_argv[0] == dbtrun.LINEAGE_WRAPPER:
                extra.update(dbtrun.lineage_parent_env(context, env, self.log))
            if extra.get(dbtrun.TARGET_PATH_ENV):
                self.log.info(
                    "dbt writes its target and log folders under %s", os.path.dirname(extra[dbtrun.TARGET_PATH_ENV])
                )
            self._dbt_env = extra
            try:
                return super().execute(context)
            finally:
                self._dbt_env = {}

    def get_env(self, context: Any) -> dict:
        """BashOperator's environment plus what :meth:`execute` adds for this run."""
        return {**super().get_env(context), **getattr(self, "_dbt_env", {})}

    def _task_env(self) -> dict[str, str]:
        from hevo_dagfactory.factory import dbtrun

        return dbtrun.task_env_before_ours(self.env, self.append_env)


def _join(argv: list[Any], full_refresh: Any = False) -> str:
    # imported when a task renders, not at parse
    from hevo_dagfactory.spec.kinds.dbt import with_full_refresh
    from hevo_dagfactory.spec.kinds.shell import join_argv

    return join_argv(with_full_refresh(argv, full_refresh) if full_refresh else argv)
