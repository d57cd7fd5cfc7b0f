"""Extra links shown on Hevo tasks in the Airflow UI."""
