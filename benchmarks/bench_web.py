"""The web application under load (locust): latency per page at 1 and 20 users, server memory. One JSON object.

    MEDKG_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_web.py [--records 1000] [--users 1,20] \
        [--seconds 60] [--graph-dir DIR | --graph-uri URI] [--model DIR] [--relations-model DIR] [--out FILE]

The graph: a fresh embedded Neo4j holding the xywy KG and CMeKG on top of it (PyCMeKG's pickle), and the first
``--records`` CCKS 2019 *training* texts (labels ignored) processed by the watcher. The extraction is the registered
default model when ``$MEDKG_HOME/models`` has it (``--model``, ``--relations-model``): ``gazetteer-ner`` with the
CMeKG types, ``cbt-kg-tagger``, ``context-assertion``, ``kg-linker`` and ``entity-marker-relations``; else
``gazetteer-ner``, ``context-assertion``, ``kg-linker`` and ``cooccurrence-relations`` (``extraction`` says which).
``--graph-dir DIR`` keeps that server's folder and reuses it on the next run with the same ``--records`` (the
set-up takes minutes); ``--graph-uri`` (with ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``) measures a graph that is
already there and adds nothing to it (``medkg serve`` applies the schema, as it always does).

The load: ``medkg serve`` in a process of its own on that graph, with a viewer of a users file of its own; one
search, concept, record, fact and overview page each to warm it up (the first search builds the linker); then one
locust run per ``--users`` value (``benchmarks/web_locustfile.py``, in its own process): every user logs in, then
loops over a weighted mix of pages with a think time between them. The values come from the graph
(``cypher/internal/bench_web_*.cypher``): search text is a concept's name or a typo of one; concept pages lean
toward diseases the records mention; records and facts (relationships with record evidence) uniformly.

A phase measures ``--seconds`` from the moment the last of its users has logged in (logins are argon2id, slow on
purpose). Per page: requests, failures, requests/s, and p50/p95/p99/max/mean computed from every request's time as
locust measured it (locust's own percentiles are rounded to 10 ms above 100 ms); every login apart. The server
process's RSS before and after, its peak while the users log in and while they browse (sampled every 0.2 s), the
embedded Neo4j's RSS, the load average at both ends. ``targets``: p95 at 20 users against search < 100 ms, concept
page < 300 ms, record page < 150 ms. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_assertion_watch import DATA, finish, ingest, load, process, progress, statuses, texts  # noqa: E402

from app.tagging.data import models_home  # noqa: E402
from app.users import UserStore, add_user  # noqa: E402
from graph.browse.search import MAX_SEARCH_CHARS  # noqa: E402
from graph.db.connection import ConnectionInfo, GraphClient  # noqa: E402
from graph.db.server import LocalNeo4j, free_port  # noqa: E402
from graph.kg.loader import LoadConfig, load_kg  # noqa: E402
from graph.kg.stats import graph_stats  # noqa: E402
from graph.watch.config import WatchConfig  # noqa: E402
from graph.watch.plugins import register_plugin, relation_config, tagger_config  # noqa: E402
from graph.watch.worker import Watcher  # noqa: E402

LOCUSTFILE = REPO / "benchmarks" / "web_locustfile.py"
PAGES = ("search", "concept", "record", "fact", "overview")
#: p95 targets (ms) at TARGET_USERS users; the other pages are measured, not targeted.
TARGETS_MS = {"search": 100, "concept": 300, "record": 150}
TARGET_USERS = 20
DEFAULT_WEIGHTS = {"search": 10, "concept": 10, "record": 10, "fact": 3, "overview": 1}
#: The registered default model of ``$MEDKG_HOME`` (the several-schema tagger and the relation classifier).
DEFAULT_MODEL = models_home() / "multi" / "multi-mixed-s1"
DEFAULT_RELATIONS = models_home() / "multi" / "relations-s1"
#: ``gazetteer-ner`` on a graph with CMeKG: its new labels too (docs/kg-loading.md).
GAZETTEER_TYPES = {"Disease": "Disease", "Symptom": "Symptom", "Drug": "Drug", "Check": "LabTest",
                   "LabTest": "LabTest", "ImagingExam": "ImagingExam", "Anatomy": "Anatomy", "Operation": "Operation"}
MARKER = "bench_web_graph.json"  # in --graph-dir: the set-up finished, and with what


@dataclass(frozen=True)
class LoadSettings:
    """What the simulated users do, for how long, how many of them."""

    users: tuple[int, ...] = (1, TARGET_USERS)
    seconds: float = 60.0
    wait_s: tuple[float, float] = (0.5, 1.5)
    weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    seed: int = 7
    typo_share: float = 0.3
    disease_share: float = 0.6
    draws: int = 2000
    order: Literal["weighted", "cycle"] = "weighted"
    """``cycle``: each user goes round the pages in turn (a short run then reaches every page kind)."""


# ------------------------------------------------------------------------------------------ the graph

def extraction(model: Path | None, relations_model: Path | None) -> list[tuple[str, Path | None]]:
    """The plugins, in registration order, with the checkpoint each takes."""
    ner = [("gazetteer-ner", None)] + ([("cbt-kg-tagger", model)] if model else [])
    relations = ("entity-marker-relations", relations_model) if relations_model else ("cooccurrence-relations", None)
    return [*ner, ("context-assertion", None), ("kg-linker", None), relations]


def set_up(client: GraphClient, corpus: list[str], plugins: list[tuple[str, Path | None]]) -> dict[str, Any]:
    """Load the xywy KG and CMeKG, register ``plugins``, ingest ``corpus`` and process it; what it took."""
    out: dict[str, Any] = {"kg_load_s": {}}
    client.apply_schema()
    for name, path in (("xywy", DATA / "xywy-medicalkg-tonystark"), ("cmekg", None)):
        progress(f"loading {name}")
        started = time.perf_counter()
        load_kg(client, path, LoadConfig(format=name, skip_invalid=True))
        out["kg_load_s"][name] = round(time.perf_counter() - started, 1)
    for name, checkpoint in plugins:
        config: dict[str, Any] | None = None
        if name == "gazetteer-ner":
            config = {"type_map": GAZETTEER_TYPES}
        elif name == "cbt-kg-tagger" and checkpoint is not None:
            config = tagger_config(checkpoint, client)
        elif checkpoint is not None:
            config = relation_config(checkpoint)
        register_plugin(client, name, None, config, enable=True)
    out["extraction"] = [{"plugin": name, "model": str(path) if path else None} for name, path in plugins]
    watcher = Watcher(client, WatchConfig(batch_size=32, device="cpu", backoff_seconds=0.0))
    watcher.load_extractors()
    out["ingest_s"] = ingest(client, corpus)
    progress(f"processing {len(corpus)} records")
    run = process(client, watcher)
    out["watch"] = {k: run[k] for k in ("done", "failed", "seconds", "records_per_s", "cycles")}
    return out


def graph_counts(client: GraphClient) -> dict[str, Any]:
    stats = graph_stats(client)
    return {"concepts": stats.concepts, "relationships": stats.relationships_total,
            "mentions": stats.labels.get("Mention", 0), "emrs": {str(k): v for k, v in statuses(client).items()}}


@contextlib.contextmanager
def embedded_graph(args: argparse.Namespace, report: dict[str, Any]) -> Iterator[tuple[ConnectionInfo, int | None]]:
    """(connection, Neo4j's pid): a set-up graph on an embedded server (``--graph-dir`` or a temporary folder)."""
    with contextlib.ExitStack() as stack:
        home = args.graph_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="medkg-bench-web-")))
        marker = home / MARKER
        done = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
        if done is not None and done["records"] != args.records:
            raise SystemExit(f"{home} holds a graph set up with {done['records']} records, not {args.records}")
        if done is None and (home / "neo4j").exists():
            raise SystemExit(f"{home} holds an unfinished set-up; remove {home / 'neo4j'} or give another --graph-dir")
        server = LocalNeo4j(home / "neo4j", port=free_port(), heap=args.heap, pagecache="512m")
        server.start()
        stack.callback(server.stop)
        user, password = server.auth
        info = ConnectionInfo(server.uri, user, password, None, embedded=True)
        reused = done is not None
        if done is None:
            corpus = texts(args.records)
            plugins = extraction(args.model, args.relations_model)
            with GraphClient.from_info(info) as client:
                done = {"records": len(corpus), **set_up(client, corpus, plugins)}
            marker.write_text(json.dumps(done, ensure_ascii=False), encoding="utf-8")
        report["setup"] = {**done, "reused": reused, "graph_dir": str(args.graph_dir) if args.graph_dir else None}
        yield info, server.status().pid


# ------------------------------------------------------------------------------------------ the plan

def typo(name: str, rng: random.Random, alphabet: str) -> str:
    """``name`` (3 characters or more) with one character, never the first, replaced, dropped, or swapped with the
    next one; a replacement comes from ``alphabet``."""
    at = rng.randrange(1, len(name))
    kind = rng.choice(("replace", "drop", "swap"))
    if kind == "swap" and at + 1 < len(name) and name[at] != name[at + 1]:
        return name[:at] + name[at + 1] + name[at] + name[at + 2:]
    if kind == "drop":
        return name[:at] + name[at + 1:]
    others = alphabet.replace(name[at], "") or ("之" if name[at] == "的" else "的")
    return name[:at] + rng.choice(others) + name[at + 1:]


def plan(client: GraphClient, settings: LoadSettings) -> dict[str, Any]:
    """What the users request, drawn from the graph with ``settings.seed`` (without the login)."""
    rng = random.Random(settings.seed)
    concepts = client.read("internal/bench_web_concepts")
    records = [r["id"] for r in client.read("internal/bench_web_records")]
    facts = [[r["head"], r["type"], r["tail"]] for r in client.read("internal/bench_web_facts", limit=10_000)]
    diseases = [c["id"] for c in concepts if c["type"] == "Disease" and c["records"] > 0]
    ids = [c["id"] for c in concepts]
    concept_ids = [rng.choice(diseases) if diseases and rng.random() < settings.disease_share else rng.choice(ids)
                   for _ in range(settings.draws)] if ids else []
    searchable = {c["id"]: c["name"].strip() for c in concepts
                  if 0 < len(c["name"].strip()) <= MAX_SEARCH_CHARS and c["name"].strip().isprintable()}
    names = list(searchable.values())
    mentioned = [searchable[c["id"]] for c in concepts if c["records"] > 0 and c["id"] in searchable]
    alphabet = "".join(sorted({ch for n in names for ch in n}))
    search, typos = [], 0
    for _ in range(settings.draws if names else 0):
        name = rng.choice(mentioned) if mentioned and rng.random() < 0.5 else rng.choice(names)
        if len(name) >= 3 and rng.random() < settings.typo_share:
            name, typos = typo(name, rng, alphabet), typos + 1
        search.append(name)
    values = {"search": search, "concept": concept_ids, "record": records, "fact": facts, "overview": [True]}
    weights = {page: w if values[page] else 0 for page, w in settings.weights.items()}
    if not any(weights.values()):
        raise ValueError(f"no page to request: weights {settings.weights}, and the graph has no values for the others")
    return {"seed": settings.seed, "wait_s": list(settings.wait_s), "weights": weights, "order": settings.order,
            **values,
            "summary": {"concepts": len(concepts), "diseases_with_records": len(diseases), "records": len(records),
                        "facts": len(facts), "search_texts": len(search), "typos": typos, "weights": weights,
                        "wait_s": list(settings.wait_s)}}


# ------------------------------------------------------------------------------------------ the server

@dataclass
class Server:
    """``medkg serve`` running in a process of its own."""

    url: str
    process: subprocess.Popen[bytes]
    started_s: float


@contextlib.contextmanager
def serve(info: ConnectionInfo, users: Path, workdir: Path) -> Iterator[Server]:
    """``medkg serve`` on ``info`` with the users file ``users``, until the block ends."""
    port = free_port()
    env = dict(os.environ, NEO4J_URI=info.uri, NEO4J_USERNAME=info.username, NEO4J_PASSWORD=info.password,
               MEDKG_WEB_USERS=str(users))
    env.pop("NEO4J_DATABASE", None)
    if info.database:
        env["NEO4J_DATABASE"] = info.database
    log = workdir / "serve.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=REPO)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"medkg serve did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield Server(url, proc, round(time.perf_counter() - started, 2))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except psutil.Error:
        return None


def hwm_mb(pid: int) -> float | None:
    """The process's peak RSS so far (``VmHWM``), where ``/proc`` tells it."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


class RssSamples:
    """``pid``'s RSS every ``every_s`` seconds while a ``with`` block runs, as (epoch seconds, MiB)."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid, self.every_s = pid, every_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            now = rss_mb(self.pid)
            if now is not None:
                self.samples.append((time.time(), now))
            if self._stop.wait(self.every_s):
                return

    def __enter__(self) -> RssSamples:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, since: float = 0.0, until: float = float("inf")) -> float | None:
        """The largest sample taken between ``since`` and ``until``."""
        return max((mb for at, mb in self.samples if since <= at < until), default=None)


def warm_up(url: str, user: str, password: str, pages: dict[str, Any]) -> dict[str, Any]:
    """Log in and request one page of each kind (the first search builds the linker); seconds and status each."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=600, follow_redirects=False) as http:
        form = http.get("/login")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        login = http.post("/login", data={"name": user, "password": password, "csrf": token, "next": "/search"})
        if login.status_code != 303:
            raise RuntimeError(f"the benchmark's user cannot log in: {login.status_code}")
        for page, params in pages.items():
            started = time.perf_counter()
            answer = http.get(f"/{page}", params=params)
            out[page] = {"s": round(time.perf_counter() - started, 3), "status": answer.status_code}
    return out


# ------------------------------------------------------------------------------------------ the load

def percentile(ordered: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile of the sorted ``ordered``."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def figures(times: list[float], failures: int, seconds: float) -> dict[str, Any]:
    """Requests, failures, requests/s, and p50/p95/p99/max/mean (ms) of request times ``times``."""
    ordered = sorted(times)
    out: dict[str, Any] = {"requests": len(ordered), "failures": failures,
                           "requests_per_s": round(len(ordered) / seconds, 2) if seconds else None}
    if ordered:
        out |= {f"p{round(100 * q)}_ms": round(percentile(ordered, q), 1) for q in (0.5, 0.95, 0.99)}
        out |= {"max_ms": round(ordered[-1], 1), "mean_ms": round(sum(ordered) / len(ordered), 1)}
    return out


def page_figures(run: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Figures per page of the requests started after the last login (``pages``: all of them), of every login
    request, and the most frequent failures."""
    since = run["logged_in_at"]
    times: dict[str, list[float]] = {}
    failed: Counter[str] = Counter()
    errors: Counter[tuple[str, str]] = Counter()
    for name, start, ms, error in run["requests"]:
        login = name.startswith("login")
        if not login and start < since:
            continue  # browsing among the logins of the others: not the measured window
        times.setdefault(name, []).append(ms)
        if error is not None:
            failed[name] += 1
            errors[name, error] += 1
    pages = {name: figures(values, failed[name], seconds) for name, values in sorted(times.items())}
    every = [ms for name, values in times.items() if not name.startswith("login") for ms in values]
    pages["pages"] = figures(every, sum(n for name, n in failed.items() if not name.startswith("login")), seconds)
    return {"pages": pages, "failures": [{"page": name, "error": error, "count": n}
                                         for (name, error), n in errors.most_common(10)]}


def phase(server: Server, plan_file: Path, users: int, seconds: float, neo4j_pid: int | None,
          workdir: Path) -> dict[str, Any]:
    """One locust run of ``users`` users, ``seconds`` from the last login, against ``server``; figures per page,
    memory, load."""
    pid, out_file = server.process.pid, workdir / f"requests-{users}.json"
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", server.url,
               "-u", str(users), "-r", str(users), "-t", f"{round(seconds) + 600}s", "--stop-timeout", "10",
               "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", "--medkg-plan", str(plan_file),
               "--medkg-seconds", str(seconds), "--medkg-out", str(out_file)]
    out: dict[str, Any] = {"users": users, "seconds": seconds, "load_start": load(),
                           "rss_mb": {"before": rss_mb(pid)}, "neo4j_rss_mb": {"before": rss_mb(neo4j_pid)}}
    progress(f"{users} users for {seconds} s")
    started = time.time()
    with RssSamples(pid) as rss:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 900, cwd=REPO)
    if done.returncode != 0 or not out_file.is_file():
        raise RuntimeError(f"locust exited {done.returncode}: {done.stderr[-3000:]}")
    run = json.loads(out_file.read_text(encoding="utf-8"))
    if run["logged_in_at"] is None:
        raise RuntimeError(f"locust ended before every user had logged in: {done.stderr[-3000:]}")
    out["logins_s"] = round(run["logged_in_at"] - started, 2)
    out |= page_figures(run, seconds)
    out["rss_mb"] |= {"after": rss_mb(pid), "peak_logins": rss.peak(until=run["logged_in_at"]),
                      "peak": rss.peak(since=run["logged_in_at"])}
    out["neo4j_rss_mb"]["after"] = rss_mb(neo4j_pid)
    out["load_end"] = load()
    progress(f"{users} users: {out['pages']['pages']['requests']} page requests")
    return out


def targets(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """p95 of search, concept and record pages at TARGET_USERS users against TARGETS_MS."""
    at = next((p for p in phases if p["users"] == TARGET_USERS), None)
    out: dict[str, Any] = {"users": TARGET_USERS, "measured": at is not None}
    for page, limit in TARGETS_MS.items():
        p95 = at["pages"].get(page, {}).get("p95_ms") if at else None
        out[page] = {"p95_ms": p95, "target_ms": limit, "met": None if p95 is None else p95 < limit}
    return out


def measure(info: ConnectionInfo, settings: LoadSettings, workdir: Path, report: dict[str, Any],
            neo4j_pid: int | None = None) -> None:
    """Plan, serve, warm up, one locust phase per user count; everything into ``report``."""
    with GraphClient.from_info(info) as client:
        report["graph"] = graph_counts(client)
        drawn = plan(client, settings)
    password = secrets.token_urlsafe(18)
    add_user(UserStore(workdir / "users.json"), "bench", "viewer", password)
    plan_file = workdir / "plan.json"
    plan_file.write_text(json.dumps({**drawn, "user": "bench", "password": password}, ensure_ascii=False),
                         encoding="utf-8")
    report["plan"] = drawn["summary"]
    progress("starting medkg serve")
    with serve(info, workdir / "users.json", workdir) as server:
        pid = server.process.pid
        report["server"] = {"start_s": server.started_s, "rss_mb_started": rss_mb(pid)}
        first = {page: {key: drawn[page][0]} for page, key in (("search", "q"), ("concept", "id"), ("record", "id"))
                 if drawn[page]}
        first |= {"fact": dict(zip(("head", "type", "tail"), drawn["fact"][0], strict=True))} if drawn["fact"] else {}
        progress("warming up")
        first = {page: params for page, params in (first | {"overview": {}}).items() if drawn["weights"][page]}
        report["server"]["warmup"] = warm_up(server.url, "bench", password, first)
        progress(f"warm: {report['server']['warmup']}")
        report["server"]["rss_mb_warm"] = rss_mb(pid)
        report["phases"] = [phase(server, plan_file, users, settings.seconds, neo4j_pid, workdir)
                            for users in settings.users]
        report["server"]["rss_mb_end"] = rss_mb(pid)
        peaks = [report["server"]["rss_mb_warm"], *(p["rss_mb"][k] for p in report["phases"]
                                                     for k in ("peak", "peak_logins"))]
        report["server"]["rss_mb_peak"] = max((mb for mb in peaks if mb is not None), default=None)
        report["server"]["vm_hwm_mb"] = hwm_mb(pid)
    report["targets"] = targets(report["phases"])


# ------------------------------------------------------------------------------------------ the command

def settings_of(args: argparse.Namespace) -> LoadSettings:
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, args.weights.split(",")):
        page, _, weight = item.partition("=")
        if page not in PAGES:
            raise SystemExit(f"--weights: unknown page {page!r}; one of {', '.join(PAGES)}")
        weights[page] = int(weight)
    low, high = (float(x) for x in args.wait.split(","))
    return LoadSettings(users=tuple(int(x) for x in args.users.split(",")), seconds=args.seconds,
                        wait_s=(low, high), weights=weights, seed=args.seed)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="CCKS 2019 training texts to process")
    parser.add_argument("--users", default=f"1,{TARGET_USERS}", help="concurrent users of each phase, in order")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--wait", default="0.5,1.5", help="think time between two pages, min,max seconds")
    parser.add_argument("--weights", default="", help="page weights, e.g. overview=0,fact=5 (default "
                        + ",".join(f"{k}={v}" for k, v in DEFAULT_WEIGHTS.items()) + ")")
    parser.add_argument("--seed", type=int, default=7)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--graph-dir", type=Path, default=None, help="keep the embedded server here; reuse it")
    where.add_argument("--graph-uri", default=None, help="measure this server's graph as it is (no set-up)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL if DEFAULT_MODEL.is_dir() else None,
                        help=f"cbt-kg-tagger checkpoint (default {DEFAULT_MODEL} when there)")
    parser.add_argument("--relations-model", type=Path,
                        default=DEFAULT_RELATIONS if DEFAULT_RELATIONS.is_dir() else None,
                        help=f"entity-marker-relations checkpoint (default {DEFAULT_RELATIONS} when there)")
    parser.add_argument("--no-model", action="store_true", help="gazetteer and rules only")
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON object to this file")
    args = parser.parse_args()
    if args.no_model:
        args.model = args.relations_model = None
    settings = settings_of(args)
    report: dict[str, Any] = {"cpus": os.cpu_count(), "settings": {
        "users": list(settings.users), "seconds": settings.seconds, "wait_s": list(settings.wait_s),
        "weights": settings.weights, "seed": settings.seed}, "load_start": load()}
    with tempfile.TemporaryDirectory(prefix="medkg-bench-web-run-") as tmp:
        if args.graph_uri:
            info = ConnectionInfo(args.graph_uri, os.environ.get("NEO4J_USERNAME", "neo4j"),
                                  os.environ.get("NEO4J_PASSWORD", ""), os.environ.get("NEO4J_DATABASE"))
            report["setup"] = {"graph_uri": args.graph_uri}
            measure(info, settings, Path(tmp), report)
        else:
            with embedded_graph(args, report) as (info, neo4j_pid):
                measure(info, settings, Path(tmp), report, neo4j_pid)
    finish(report, args.out)


if __name__ == "__main__":
    main()
