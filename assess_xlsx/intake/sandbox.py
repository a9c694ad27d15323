"""Reading untrusted files in worker processes that may die.

A damaged file can make a native parser abort the whole process: calamine
asks for 4 GiB on an OLE file whose sector chain loops, and Rust aborts (no
`try` catches that). So each file is handed to a worker process; the caller
only ever sees results or failures:

    with Sandbox(read_one, init=setup, initargs=(inputs,)) as box:
        for outcome in box.map(jobs):          # in input order
            if outcome.ok: use(outcome.value)
            else: report(outcome.reason, outcome.detail)

The workers are started once (the start-up is paid once per run, not per
file) and each gets a memory ceiling (RLIMIT_AS, ~1 GiB above what it holds
when it starts; skipped where the platform has none) and a time limit per
file. A worker that dies (SIGABRT from a Rust abort, killed for memory) or
overruns is replaced; the job it held becomes a failure for that job alone
and is never retried here or in the calling process. A worker's standard
error goes to a file of its own, never the terminal: what it wrote while on
a job (a panic message) becomes the failure's detail.

Jobs and results must pickle; with fork (Linux) the function and the
initialiser's arguments are inherited, not pickled.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait

MEMORY_LIMIT = 1 << 30       # bytes a worker may add to what it holds at start
TIME_LIMIT = 60.0            # seconds one job may take
DEPTH = 8                    # jobs sent ahead to a worker
NAP = 0.004                  # seconds the caller rests while every worker has jobs queued

# Why a job failed (Outcome.reason).
CRASHED, MEMORY, TIMEOUT, ERROR = "crashed", "memory", "timeout", "error"


@dataclass(frozen=True)
class Outcome:
    value: object = None
    reason: str = ""         # "" when the job gave a value
    detail: str = ""         # what the worker said (its stderr, the exception), for the English detail

    @property
    def ok(self) -> bool:
        return not self.reason


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _context():
    # fork starts a worker at once with the modules already imported; where it is
    # missing (Windows) or unsafe (macOS) the platform's default is used.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _address_space() -> int:
    """The worker's virtual size now (the ceiling is added to it)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(extra: int) -> None:
    try:
        import resource
    except ImportError:          # Windows: no rlimit; the timeout still bounds a runaway
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = _address_space() + extra
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        if soft == resource.RLIM_INFINITY or want < soft:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ValueError, OSError, AttributeError):
        pass                     # e.g. macOS refuses RLIMIT_AS: run without a ceiling


def _worker(conn, err_fd, func, init, initargs, memory) -> None:
    # Nothing of the worker reaches the terminal: Rust's panic text and any
    # backtrace go to this worker's own file, read by the caller on failure.
    os.environ["RUST_BACKTRACE"] = "0"
    import faulthandler

    faulthandler.disable()       # (pytest's) dump of a worker's death would reach the terminal
    if err_fd is not None:
        os.dup2(err_fd, 2)
    else:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the caller's to handle
    except (ValueError, OSError):
        pass
    _limit_memory(memory)
    if init is not None:
        init(*initargs)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        index, job = msg
        if err_fd is not None:
            os.lseek(2, 0, os.SEEK_SET)
            os.ftruncate(2, 0)
        try:
            reply = (index, func(job), "", "")
        except MemoryError:
            reply = (index, None, MEMORY, "MemoryError")
        except BaseException as exc:   # a PanicException the job did not catch, say
            reply = (index, None, ERROR, f"{type(exc).__name__}: {exc}"[:300])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send((index, None, MEMORY, "MemoryError"))


class _Slot:
    """One worker process, its pipe and its stderr file, and the job it holds."""

    def __init__(self, box: "Sandbox"):
        self.err = tempfile.TemporaryFile() if box._ctx.get_start_method() == "fork" else None
        parent, child = box._ctx.Pipe()
        err_fd = self.err.fileno() if self.err is not None else None
        self.proc = box._ctx.Process(target=_worker, daemon=True,
                                     args=(child, err_fd, box.func, box.init, box.initargs, box.memory))
        self.proc.start()
        child.close()
        self.conn = parent
        # Whether a reply waits, by one poll(2) on the pipe registered once:
        # Connection.poll builds and closes a selector on every call, twice a
        # file (~15 µs each, a tenth of the caller's time in a national run).
        # A connection reads exactly one message at a time (no read-ahead), so
        # a readable pipe is a reply waiting. Windows: Connection.poll.
        self._poller = None
        if hasattr(select, "poll") and hasattr(parent, "fileno"):
            self._poller = select.poll()
            self._poller.register(parent.fileno(), select.POLLIN)
        self.queue: deque = deque()       # (index, job) sent, in the order the worker reads them
        self.started = 0.0                # when the job at the head of the queue began

    def give(self, index: int, job) -> bool:
        """Send a job; False when the worker is gone already (its death is seen
        by the caller's wait on its sentinel, and the job goes elsewhere)."""
        try:
            self.conn.send((index, job))
        except (OSError, ValueError):     # BrokenPipeError: it died since we last looked
            return False
        self.queue.append((index, job))
        return True

    def replied(self) -> bool:
        """Whether a reply (or the end of the pipe) waits to be read."""
        if self._poller is None:
            return self.conn.poll()
        return bool(self._poller.poll(0))

    def said(self) -> str:
        """The last of what the worker wrote to stderr on its current job."""
        if self.err is None:
            return ""
        try:
            self.err.seek(0)
            text = self.err.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("note:")]
        return " ".join(lines)[-300:]

    def close(self, kill: bool = False) -> None:
        if kill and self.proc.is_alive():
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()
        if self.err is not None:
            self.err.close()


class Sandbox:
    """Worker processes calling `func(job)`, started once; see the module doc."""

    def __init__(self, func, init=None, initargs=(), workers: int | None = None,
                 memory: int = MEMORY_LIMIT, timeout: float = TIME_LIMIT, before_fork=None):
        self.func, self.init, self.initargs = func, init, initargs
        self.workers, self.memory, self.timeout = workers, memory, timeout
        # Called before any worker is started after `start` (a replacement, say):
        # the caller's other thread is joined there, so that no worker is ever
        # forked while another thread holds a lock (an import's) it would inherit.
        self.before_fork = before_fork
        self._ctx = _context()
        self._slots: list[_Slot] = []
        self.replaced = 0        # workers that died or overran and were replaced

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for slot in self._slots:
            slot.close()
        self._slots = []

    def start(self, jobs: int) -> None:
        """Start the workers `jobs` jobs will need now, before the caller starts
        another thread (see `before_fork`)."""
        while len(self._slots) < self._wanted(jobs):
            self._slots.append(_Slot(self))

    def _wanted(self, jobs: int) -> int:
        """Workers for `jobs` jobs: one per core (or as asked), never more than jobs."""
        return max(0, min(self.workers or cores(), jobs))

    def _new_slot(self) -> _Slot:
        if self.before_fork is not None:
            self.before_fork()
        return _Slot(self)

    def map(self, jobs, progress=None) -> list[Outcome]:
        """Run every job; -> one Outcome per job, in input order.

        `progress(done, total)` is called as each job finishes. A worker is
        sent up to DEPTH jobs ahead (no round trip between files) and reads
        them in turn: when it dies, the job at the head of its queue is the
        one it was reading; the others were never started and go to the next
        worker."""
        jobs = list(jobs)
        if not jobs:
            return []
        while len(self._slots) < self._wanted(len(jobs)):
            self._slots.append(self._new_slot())
        out: list[Outcome | None] = [None] * len(jobs)
        pending = deque(enumerate(jobs))
        done = 0

        def feed(slot: _Slot) -> None:
            while pending and len(slot.queue) < DEPTH:
                if not slot.queue:
                    slot.started = time.monotonic()
                if not slot.give(*pending[0]):
                    break
                pending.popleft()

        for slot in self._slots:
            feed(slot)
        while pending or any(slot.queue for slot in self._slots):
            for slot in list(self._slots):
                # A worker gone between two jobs (no job of its own lost): replaced, fed.
                if not slot.queue and pending and not slot.proc.is_alive():
                    feed(self._replace(slot))
            busy = [slot for slot in self._slots if slot.queue]
            if not busy:              # a dead worker not reaped yet: look again shortly
                time.sleep(0.01)
                continue
            if pending and all(len(slot.queue) > DEPTH // 2 for slot in busy):
                # Every worker has work for a while: let results gather rather than
                # wake for each (a wake-up per file took a tenth of a core from the workers).
                time.sleep(NAP)
            wait_for = max(0.0, min(s.started for s in busy) + self.timeout - time.monotonic())
            ready = set(wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout=wait_for))
            for slot in busy:
                failure = None
                if slot.conn in ready:
                    try:
                        while slot.queue and slot.replied():
                            index, value, reason, detail = slot.conn.recv()
                            slot.queue.popleft()
                            slot.started = time.monotonic()
                            if reason and reason != ERROR and not detail.strip():
                                detail = slot.said()
                            out[index] = Outcome(value, reason, detail)
                            done += 1
                            if progress is not None:
                                progress(done, len(jobs))
                    except (EOFError, OSError):
                        failure = self._dead(slot)
                elif slot.proc.sentinel in ready:
                    failure = self._dead(slot)
                elif time.monotonic() - slot.started >= self.timeout:
                    failure = Outcome(None, TIMEOUT, f"> {self.timeout:g} s")
                if failure is not None and slot.queue:
                    index, _ = slot.queue.popleft()
                    out[index] = failure
                    pending.extendleft(reversed(slot.queue))    # never started: read by the next worker
                    slot.queue.clear()
                    slot = self._replace(slot)
                    done += 1
                    if progress is not None:
                        progress(done, len(jobs))
                feed(slot)
        return out  # type: ignore[return-value]

    def _dead(self, slot: _Slot) -> Outcome:
        slot.proc.join(1)
        code = slot.proc.exitcode
        said = slot.said()
        # A Rust abort on an allocation the ceiling refused says so on stderr.
        if "memory allocation" in said or code == -signal.SIGKILL:
            return Outcome(None, MEMORY, said or f"killed (signal {-code})" if code else said)
        how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return Outcome(None, CRASHED, f"{how}: {said}" if said else how)

    def _replace(self, slot: _Slot) -> _Slot:
        slot.close(kill=True)
        self.replaced += 1
        fresh = self._new_slot()
        self._slots[self._slots.index(slot)] = fresh
        return fresh


def run_sandboxed(func, jobs, init=None, initargs=(), progress=None, **kw) -> list[Outcome]:
    """`Sandbox(...).map(jobs)` in one call: workers started, used and stopped."""
    with Sandbox(func, init, initargs, **kw) as box:
        return box.map(jobs, progress)
