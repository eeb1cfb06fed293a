"""``app.watch``: the watcher's options, its config, and the command line of its worker processes (no Neo4j)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from app.cli.watch import watch_app
from app.watch import WatchOptionError, WatchOptions, WorkersResult, run_watch, watch_config, worker_command
from graph.watch.config import WatchConfig

REPO = Path(__file__).resolve().parents[2]
EVERY_OPTION = WatchOptions(once=False, interval=2.5, cron=None, workers=4, batch_size=7, device="cpu", threads=2,
                            max_attempts=5, lease_seconds=30.0, backoff_seconds=0.5, max_batches=9, pipeline=True)


def test_the_worker_command_line_is_the_watch_command_with_the_same_options() -> None:
    assert worker_command(EVERY_OPTION) == [
        sys.executable, "-m", "app.cli", "watch", "--json", "--pipeline", "--batch-size", "7", "--device", "cpu",
        "--threads", "2", "--max-attempts", "5", "--lease-seconds", "30.0", "--backoff-seconds", "0.5",
        "--interval", "2.5", "--max-batches", "9"]
    assert worker_command(WatchOptions(once=True, workers=2)) == [
        sys.executable, "-m", "app.cli", "watch", "--json", "--no-pipeline", "--once"]


@pytest.mark.parametrize("options", [EVERY_OPTION, WatchOptions(once=True, workers=2),
                                     WatchOptions(cron="*/5 * * * *", workers=3, threads=0, max_attempts=1)],
                         ids=["every-option", "once", "cron"])
def test_the_worker_command_line_parses_back_to_the_same_options(options: WatchOptions) -> None:
    command = worker_command(options)
    assert command[:4] == [sys.executable, "-m", "app.cli", "watch"]
    # what `medkg watch` makes of the worker's arguments (and the index run_workers adds), without running it
    parsed = typer.main.get_command(watch_app).make_context("watch", [*command[4:], "--worker-index", "1"]).params
    assert parsed.pop("as_json") is True
    # each worker runs one process of its own
    assert parsed == dataclasses.asdict(options) | {"workers": 1, "worker_index": 1}


def test_options_left_unset_take_the_config_defaults() -> None:
    config = watch_config(WatchOptions(once=True))
    assert config.model_dump(exclude={"worker"}) == WatchConfig().model_dump(exclude={"worker"})
    assert watch_config(WatchOptions(once=True, worker_index=3)).worker.endswith("/3")
    given = watch_config(EVERY_OPTION)
    assert (given.batch_size, given.device, given.threads, given.max_attempts, given.lease_seconds,
            given.backoff_seconds, given.max_batches, given.pipeline) == (7, "cpu", 2, 5, 30.0, 0.5, 9, True)


@pytest.mark.parametrize(("field", "value", "option"), [
    ("batch_size", 0, "--batch-size"), ("device", "tpu", "--device"), ("lease_seconds", 0.0, "--lease-seconds")])
def test_an_invalid_option_is_one_error_naming_the_option(field: str, value: object, option: str) -> None:
    with pytest.raises(WatchOptionError, match=f"^invalid option {option}: ") as caught:
        watch_config(dataclasses.replace(WatchOptions(once=True), **{field: value}))
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("options", [WatchOptions(), WatchOptions(once=True, interval=5),
                                     WatchOptions(interval=5, cron="* * * * *")], ids=["none", "two", "both"])
def test_exactly_one_of_once_interval_cron_before_anything_runs(options: WatchOptions) -> None:
    with pytest.raises(WatchOptionError, match="give exactly one of --once, --interval S and --cron EXPR"):
        run_watch(options)


def test_the_workers_results_are_summed_and_any_failure_is_seen() -> None:
    results = [{"worker_index": 0, "exit_code": 0, "done": 3, "claimed": 4, "failed": 1},
               {"worker_index": 1, "exit_code": 2, "error": "no extractor"}]
    summed = WorkersResult(results)
    assert summed.to_dict() == {"workers": results, "claimed": 4, "done": 3, "failed": 1, "invalid": 0,
                                "released": 0, "lost": 0}
    assert summed.failed and not WorkersResult(results[:1]).failed


def test_python_m_app_cli_runs_the_medkg_command() -> None:
    done = subprocess.run([sys.executable, "-m", "app.cli", "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage: medkg" in done.stdout and "watch" in done.stdout
    done = subprocess.run([sys.executable, "-m", "app.cli", "watch", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0 and "--once" in done.stdout and "--workers" in done.stdout
