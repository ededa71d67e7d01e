"""Fixtures for the web tests: a test-only procedure with line items (linesetup.py)."""

from fuwu.web.tests.linesetup import estimate_procedure  # noqa: F401
