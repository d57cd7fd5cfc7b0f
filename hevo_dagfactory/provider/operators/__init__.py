"""Operators: start and wait for Hevo jobs."""
