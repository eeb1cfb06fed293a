"""Scheduling and shutdown: APScheduler cycles, SIGTERM finishing the batch, JSON log lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import one_json
from graph_helpers import one

from graph.db.connection import ConnectionInfo, GraphClient
from graph.watch.scheduler import run_scheduled, run_workers

REPO = Path(__file__).resolve().parents[3]


def test_interval_schedule_runs_cycles_one_at_a_time_until_stopped() -> None:
    stop = threading.Event()
    running, overlaps, calls = [0], [0], []

    def cycle() -> None:
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        calls.append(time.monotonic())
        time.sleep(0.3)  # longer than the interval: missed runs are coalesced, never run side by side
        running[0] -= 1
        if len(calls) == 3:
            stop.set()

    assert run_scheduled(cycle, stop, interval=0.1) == 3
    assert overlaps[0] == 1 and calls[1] - calls[0] >= 0.3
    with pytest.raises(ValueError, match="exactly one of --interval and --cron"):
        run_scheduled(cycle, stop, interval=1, cron="* * * * *")
    with pytest.raises(ValueError):
        run_scheduled(cycle, threading.Event(), cron="not a cron")


def test_sigterm_finishes_the_batch_releases_nothing_half_done_and_exits_0(
        watch_graph: GraphClient, neo4j_info: ConnectionInfo, tmp_path: Path) -> None:
    client = watch_graph
    with client.session() as session:
        session.run("UNWIND range(1, 400) AS i CREATE (:EMR {id: 'r' + i, text: '第' + i + '例：糖尿病，予二甲双胍。'})"
                    ).consume()
    env = dict(os.environ, NEO4J_URI=neo4j_info.uri, NEO4J_USERNAME=neo4j_info.username,
               NEO4J_PASSWORD=neo4j_info.password, MEDKG_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "watch", "--interval", "60",
                             "--batch-size", "2", "--device", "cpu", "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)") < 10 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert one_json(out)["stopped"] is True
    assert one(client, "MATCH (e:EMR {status: 'PROCESSING'}) RETURN count(e)") == 0
    done = one(client, "MATCH (e:EMR {status: 'DONE'}) RETURN count(e)")
    assert 10 <= done < 400 and one(client, "MATCH (e:EMR) WHERE e.status = 'NEW' RETURN count(e)") == 400 - done
    logs = [json.loads(line) for line in err.strip().splitlines() if line.startswith("{")]
    assert logs and all({"ts", "level", "logger", "msg"} <= set(entry) for entry in logs)
    assert any(entry.get("event") == "stop_requested" for entry in logs)
    assert any(entry.get("event") == "batch" and "run" in entry for entry in logs)


def test_run_workers_runs_exactly_the_command_line_it_is_given() -> None:
    # the scheduler knows nothing of the CLI: it runs the command it is given, plus each worker's index
    command = [sys.executable, "-c", "import json, sys; print(json.dumps({'argv': sys.argv[1:]}))", "a", "--b"]
    results = run_workers(command, 2, threading.Event())
    assert results == [{"worker_index": i, "exit_code": 0, "argv": ["a", "--b", "--worker-index", str(i)]}
                       for i in range(2)]


def test_run_workers_passes_a_stop_on_to_its_workers_as_sigterm(tmp_path: Path) -> None:
    # each worker marks itself ready once its SIGTERM handler is in place, then waits for the signal
    code = ("import json, pathlib, signal, sys, time\n"
            "def stop(signum, frame):\n"
            "    print(json.dumps({'signal': signal.Signals(signum).name}))\n"
            "    sys.exit(0)\n"
            "signal.signal(signal.SIGTERM, stop)\n"
            "pathlib.Path(sys.argv[1], sys.argv[3]).touch()\n"
            "time.sleep(60)\n"
            "sys.exit(3)\n")
    stop = threading.Event()

    def stop_when_ready() -> None:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()

    setter = threading.Thread(target=stop_when_ready)
    setter.start()
    started = time.monotonic()
    results = run_workers([sys.executable, "-c", code, str(tmp_path)], 3, stop)
    setter.join()
    assert time.monotonic() - started < 50
    assert results == [{"worker_index": i, "exit_code": 0, "signal": "SIGTERM"} for i in range(3)]
