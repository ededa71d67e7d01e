# The C extension built from _ejection.c (the route elimination's search; see that file).

def eliminate(
    n: int,
    duration: bytes,
    ready: bytes,
    due: bytes,
    service: bytes,
    demand: bytes,
    capacity: int,
    routes: list[list[int]],
    lower_bound: int,
    seconds: float,
    cpu: bool,
    seed: int,
    kmax: int,
    irand: int,
    restart: int,
    stop: bytearray,
    /,
) -> tuple[list[list[int]], int]: ...
