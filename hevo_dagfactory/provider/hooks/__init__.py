"""Hooks: Airflow connections → Hevo clients."""
