"""SQLite with writers queued by the operating system (`fuwu.core.sqlite.base`)."""
