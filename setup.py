"""The one compiled part of Fuwu, declared here (the rest of the project is in pyproject.toml):
the route elimination's search in C (fuwu/scheduling/_ejection.c, used by
fuwu.scheduling.vrptw.eject_routes). `pip install` builds it with the machine's C compiler and
Python's headers; the Makefile's editable install builds it in place."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fuwu.scheduling._ejection",
            sources=["fuwu/scheduling/_ejection.c"],
            extra_compile_args=["-O2"],
        )
    ]
)
