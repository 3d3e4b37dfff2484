"""A stranger's PDF is judged in a child process with CPU-time, memory and wall-clock limits.

Why here, in the verify feature, and not in kiosk/documents: the domain says what a file *is*
(`screen_pdf`, `judge_pdf`: pure, the same bytes always get the same verdict, usable in a test or a
bench without processes). How much of the machine an anonymous visitor's file may use, and spending
processes, signals and rlimits on it, is this feature's policy, and both of its ways in use it: the
/verify page (`service.check_file`) and `flask verify` (`service.inspect_file`). The child imports only
this module and the domain, never Flask or the database.

Why a forkserver child, not a thread, `fork`, `spawn` or `python -m`:
- A thread cannot be stopped or limited: the issue's 177 s, 5.3 GB check ran inside a gunicorn worker
  whose heartbeat kept going, so gunicorn's timeout never fired.
- `fork` from a gunicorn gthread worker (or a pytest-xdist worker) copies a process whose other threads
  may hold locks (logging, the database pool, OpenSSL), and the child would hold the worker's sockets.
- `spawn` and `python -m` start a new interpreter and import pyHanko for every check: about half a second
  of CPU, forty times the check of a sealed consent.
- The "forkserver" context starts one small single-threaded server per app process, on first use, with
  this module (so pyHanko) imported once; each check forks from it in milliseconds, holding none of the
  worker's threads, locks, sockets or database connections. Threads of one worker each get their own
  child. `resource.setrlimit` applies to the child alone: RLIMIT_CPU (SIGXCPU, then SIGKILL a second
  later), RLIMIT_AS above what the child starts with, no core file; the parent waits at most the wall-clock
  limit and then kills it. A child that dies, runs out, or overruns gives the verdict "too_complex".
- As with any multiprocessing child, a parent started as a script has that script run again in the child as
  `__mp_main__` (gunicorn's: 17 ms; none for `python -m ...`), so such scripts keep their work under
  `if __name__ == "__main__"` (bench/bench_hostile.py imports the app only there).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Literal

from asn1crypto import x509 as asn1_x509

from kiosk.documents.verification import BOUNDS, Bounds, Verdict, judge_pdf, screen_pdf, too_complex

log = logging.getLogger(__name__)

Outcome = Literal["screened", "judged", "cpu_limit", "memory_limit", "timeout", "died"]


@dataclass(frozen=True)
class Limits:
    """What one check of a stranger's file may use, past the cheap screen."""

    cpu_seconds: int = 2  # RLIMIT_CPU; a sealed consent takes 0.02-0.05 s, one with 31 decisions about 1 s
    memory_bytes: int = 200 * 1024 * 1024  # address space the child may add to what it starts with (RLIMIT_AS)
    wall_seconds: float = 4.0  # the parent stops waiting and kills the child (a loaded machine, a stuck child)


LIMITS = Limits()


@dataclass(frozen=True)
class Checked:
    """The verdict and what producing it cost the child (as the child measured it; the limit when it was stopped)."""

    verdict: Verdict
    outcome: Outcome
    child_cpu_seconds: float = 0.0
    child_memory_bytes: int = 0  # how far the child's resident memory grew above what it was forked with


def verify_untrusted(data: bytes, trusted: list[asn1_x509.Certificate], *, limits: Limits = LIMITS,
                     bounds: Bounds = BOUNDS) -> Checked:
    """Screen in this process (cheap, bounded); judge in a limited child; past any limit the file is too complex."""
    screened = screen_pdf(data, bounds)
    if screened is not None:
        return Checked(screened, "screened")
    context = _context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=judge_in_child, args=(send, data, [c.dump() for c in trusted], limits),
                            name="kiosk-verify", daemon=True)
    child.start()
    send.close()  # the child holds the only writing end: its death reads as end-of-file here
    started = time.monotonic()
    try:
        reply = _receive(receive, limits.wall_seconds)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if isinstance(reply, Checked):
        log.debug("verification child: %s, %.3f s CPU, %d KB", reply.verdict.status, reply.child_cpu_seconds,
                  reply.child_memory_bytes // 1024, extra={"checked": reply})
        return reply
    outcome: Outcome = "timeout" if reply == "timeout" else _death(child.exitcode)
    log.warning("verification stopped (%s) after %.1f s: %d bytes", outcome, time.monotonic() - started, len(data))
    why = {"cpu_limit": "it needs more computing time than a check may use",
           "memory_limit": "it needs more memory than a check may use",
           "timeout": "checking it took too long"}.get(outcome, "checking it stopped the checker")
    cpu = float(limits.cpu_seconds) if outcome == "cpu_limit" else 0.0
    checked = Checked(too_complex(data, why, bounds), outcome, child_cpu_seconds=cpu)
    log.debug("verification child stopped: %s", outcome, extra={"checked": checked})
    return checked


def _receive(receive: Connection, wall_seconds: float) -> Checked | str:
    """The child's Checked, or "timeout", or "died" when the pipe closed without one."""
    if not receive.poll(wall_seconds):
        return "timeout"
    try:
        reply = receive.recv()
    except (EOFError, OSError):
        return "died"
    return reply if isinstance(reply, Checked) else "died"


def _death(exitcode: int | None) -> Outcome:
    """How a child that sent nothing ended: the CPU limit's signals, or anything else (the memory limit, a crash)."""
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):  # RLIMIT_CPU's soft limit, then its hard one
        return "cpu_limit"
    if exitcode == MEMORY_EXIT:
        return "memory_limit"
    return "died"


MEMORY_EXIT = 75  # the child's exit status when even reporting a MemoryError failed


def judge_in_child(send: Connection, data: bytes, trusted_der: list[bytes], limits: Limits) -> None:
    """Runs in the child: limit itself, judge the file, send back the verdict and what it cost."""
    forked = resource.getrusage(resource.RUSAGE_SELF)
    forked_rss = _resident()
    _limit_self(limits)
    try:
        trusted = [asn1_x509.Certificate.load(der) for der in trusted_der]
        verdict = judge_pdf(data, trusted)  # a RecursionError or MemoryError inside is a too_complex verdict
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - forked.ru_utime - forked.ru_stime
        send.send(Checked(verdict, "judged", cpu, max(0, usage.ru_maxrss * 1024 - forked_rss)))
    except MemoryError:
        os._exit(MEMORY_EXIT)
    finally:
        send.close()


def _limit_self(limits: Limits) -> None:
    """RLIMIT_CPU, RLIMIT_AS (on top of the address space the forked child already has) and no core dumps."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + limits.cpu_seconds
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    memory = _address_space() + limits.memory_bytes
    _lower(resource.RLIMIT_AS, memory, memory)


def _lower(kind: int, soft: int, hard: int) -> None:
    """Set a limit, never above one the process was already given (raising a hard limit is refused)."""
    _current_soft, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux /proc), what RLIMIT_AS counts against."""
    return _statm(0)


def _resident() -> int:
    """This process's current resident size in bytes."""
    return _statm(1)


def _statm(column: int) -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[column])
    return pages * os.sysconf("SC_PAGE_SIZE")


_lock = threading.Lock()
_forkserver: ForkServerContext | None = None


def _context() -> ForkServerContext:
    """The forkserver context, with this module preloaded in the server (set once, before it starts)."""
    global _forkserver
    with _lock:
        if _forkserver is None:
            context = multiprocessing.get_context("forkserver")
            assert isinstance(context, ForkServerContext)
            context.set_forkserver_preload([__name__])
            _forkserver = context
        return _forkserver
