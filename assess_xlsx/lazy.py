"""Heavy modules bound at their first use.

The rules (rules/inputs.py, rules/parts.py, textcol.py) compute with numpy and
pandas, but a run loads them, and starts its reading workers, before pandas is
imported (it is imported on a thread meanwhile: Meanwhile below): a worker
reads files with the rules' input kinds and never computes a column, so it
never pays for pandas. `lazy("numpy", __name__, "np")` stands for the module in
the using module's globals until one of its attributes is first asked for,
then puts the module itself there: later uses cost nothing extra.
"""

from __future__ import annotations

import importlib
import sys
import threading


class _Lazy:
    __slots__ = ("_name", "_home", "_alias")

    def __init__(self, name: str, home: str, alias: str):
        self._name, self._home, self._alias = name, home, alias

    def __getattr__(self, attr: str):
        module = importlib.import_module(self._name)
        vars(sys.modules[self._home])[self._alias] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<{self._name}, imported at first use>"


def lazy(name: str, home: str, alias: str):
    """A stand-in for module `name`, bound as `alias` in module `home` (its __name__)."""
    return _Lazy(name, home, alias)


class Meanwhile:
    """Modules imported on a thread while the reading workers work.

    Reading a folder is the workers' work; the caller would sit idle on a
    core for the 0.4 s that pandas takes to import before it (a run of 11
    files is half import). `start()` once the workers are forked (before
    this thread exists), `join()` before any other fork, and before the
    caller imports anything itself: a fork while this thread holds an
    import's lock would hand the child a lock that no one ever releases.
    An import that fails here fails again, and says why, where the caller
    imports the module itself."""

    def __init__(self, *modules: str):
        self.modules = modules
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.modules:
            self._thread = threading.Thread(target=self._run, name="assess-imports", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        for name in self.modules:
            try:
                importlib.import_module(name)
            except BaseException:    # noqa: BLE001 - said again by the caller's own import
                return

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
