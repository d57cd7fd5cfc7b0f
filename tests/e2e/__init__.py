"""End-to-end tests: one real local Airflow stack shared by every test in this package."""
