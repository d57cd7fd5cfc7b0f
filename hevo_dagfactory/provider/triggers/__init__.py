"""Triggers: async waits that run in Airflow's triggerer."""
