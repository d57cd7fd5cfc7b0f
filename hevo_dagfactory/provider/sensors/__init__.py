"""Sensors: wait for a Hevo job started elsewhere."""
