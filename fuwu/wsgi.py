"""WSGI entry point (gunicorn fuwu.wsgi)."""

import ctypes
import os

from django.core.wsgi import get_wsgi_application


def _two_malloc_arenas() -> None:
    """At most two glibc malloc arenas in a web worker, unless MALLOC_ARENA_MAX says otherwise.

    glibc gives a thread that finds the arena locked one of its own, up to eight per core, and
    what is freed in one arena is not reused by another: gunicorn's request threads each end up
    holding a partly empty one. Python's own allocator serves the small objects; the larger
    blocks (lists, dicts, SQLite's pages, pydantic's buffers) come from malloc. Measured with
    `bench.run --only api`: a worker held about 3 MB less after the run with two arenas (4
    December 2026). The threads take turns on the GIL anyway, so two arenas are seldom waited
    on. Set before the worker's request threads start (this module loads in the worker first).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return  # the operator's own setting, which glibc has read already
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_arena_max = -8  # glibc's malloc.h
    mallopt(m_arena_max, 2)


_two_malloc_arenas()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
application = get_wsgi_application()
