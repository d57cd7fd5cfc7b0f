"""End-to-end tests on the production-shaped stack (``make test-cluster``)."""
