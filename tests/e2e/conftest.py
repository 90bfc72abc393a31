"""The browser fixtures (`browser`, `page`) live in tests/conftest.py: one Chromium per test process,
shared by every directory's browser tests."""
