"""tests/conftest.py's `built_once`: under pytest-xdist, the session pipeline is built by one worker and reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import built_once


class _Factory:
    """What `built_once` uses of pytest's TempPathFactory: a worker's base folder inside the run's shared one."""

    def __init__(self, shared: Path, worker: str) -> None:
        self.base = shared / f"popen-{worker}"
        self.base.mkdir(parents=True, exist_ok=True)

    def getbasetemp(self) -> Path:
        return self.base

    def mktemp(self, name: str) -> Path:  # only without xdist
        raise AssertionError("under xdist the folder is made in the shared base folder")


def test_the_second_worker_reuses_what_the_first_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    builds: list[Path] = []

    def build(out: Path) -> None:
        builds.append(out)
        (out / "made").write_text("once")

    first = built_once(_Factory(tmp_path, "gw0"), "thing", build)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = built_once(_Factory(tmp_path, "gw1"), "thing", build)
    assert first == second == tmp_path / "thing"
    assert builds == [first] and (second / "made").read_text() == "once"


def test_a_failed_build_fails_every_worker_without_building_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    calls = []

    def broken(out: Path) -> None:
        calls.append(out)
        raise RuntimeError("scrs run failed")

    with pytest.raises(RuntimeError, match="scrs run failed"):
        built_once(_Factory(tmp_path, "gw0"), "thing", broken)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    with pytest.raises(pytest.fail.Exception, match="failed in another worker: RuntimeError: scrs run failed"):
        built_once(_Factory(tmp_path, "gw1"), "thing", broken)
    assert len(calls) == 1


def test_without_xdist_each_session_builds_its_own(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    out = built_once(tmp_path_factory, "thing", lambda p: (p / "made").write_text("here"))
    assert out.parent == tmp_path_factory.getbasetemp() and (out / "made").read_text() == "here"
