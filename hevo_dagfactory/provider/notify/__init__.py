"""Notifications of generated workflows: messages, the notifier Airflow calls, and the deadline callback.

``message.py`` turns an Airflow callback context into a message (which workflow, run, task, Hevo
pipeline and job, with links); ``notifier.py`` is the callback the factory attaches
(``WorkflowNotifier``, an Airflow ``BaseNotifier`` that sends through Airflow's own Slack webhook and
SMTP notifiers); ``deadline.py`` is the coroutine Airflow 3.3's triggerer runs when a deadline passed.
"""
