"""The simulated users of the web load benchmark (``benchmarks/bench_web.py``), for locust.

    .venv/bin/python -m locust -f benchmarks/web_locustfile.py --headless --host http://127.0.0.1:8000 \
        -u 20 -r 20 --medkg-plan plan.json --medkg-seconds 60 --medkg-out requests.json

``bench_web.py`` runs it in a process of its own: importing locust monkey-patches the standard library with
gevent, which nothing else of medkg (and no test process) should live with. The plan (``--medkg-plan``, JSON,
written by ``bench_web.py``) holds the user to log in as, the think time, the weight of each page and the
values to draw from: search text, concept ids, record ids, facts.

Each user logs in once (``GET /login`` for the form's CSRF token, ``POST /login``), then loops: draw a page by
weight, request it, wait. Every request is named by its page kind (``search``, ``concept``, ``record``, ``fact``,
``overview``; ``login_form`` and ``login``); an answer other than 200 (a redirect to the login page included) is a
failure. The run ends ``--medkg-seconds`` after the last user has logged in (logins hash a password with argon2id on
purpose slowly, and a crowd of them at once is no page's latency); ``--medkg-out`` then receives every request
(name, start, milliseconds, error) and when the last login ended, for ``bench_web.py`` to count.
"""

from __future__ import annotations

import json
import random
import re
import time
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
#: Seeds of the users' random draws, one each in spawn order (a run draws the same pages for the same plan).
_SEEDS = count()
#: Every request as ``[name, start (epoch s), milliseconds, error or None]``, and when the last login ended.
_RUN: dict[str, Any] = {"requests": [], "logged_in_at": None}


@events.init_command_line_parser.add_listener
def _options(parser: LocustArgumentParser) -> None:
    parser.add_argument("--medkg-plan", default="", help="the plan bench_web.py wrote (JSON)")
    parser.add_argument("--medkg-seconds", type=float, default=60.0, help="run this long after the last login")
    parser.add_argument("--medkg-out", default="", help="write every request here at the end (JSON)")


@events.request.add_listener
def _record(name: str, start_time: float, response_time: float, exception: BaseException | None,
            **_: Any) -> None:
    _RUN["requests"].append([name, start_time, response_time, None if exception is None else str(exception)[:300]])


@events.quitting.add_listener
def _write(environment: Environment, **_: Any) -> None:
    path = environment.parsed_options.medkg_out if environment.parsed_options else ""
    if path:
        Path(path).write_text(json.dumps(_RUN, ensure_ascii=False), encoding="utf-8")


@events.init.add_listener
def _read_plan(environment: Environment, **_: Any) -> None:
    """Read the plan; set the users' think time from it."""
    path = environment.parsed_options.medkg_plan if environment.parsed_options else ""
    if not path:
        raise SystemExit("web_locustfile.py needs --medkg-plan FILE (written by benchmarks/bench_web.py)")
    WebUser.plan = json.loads(Path(path).read_text(encoding="utf-8"))
    WebUser.wait_time = between(*WebUser.plan["wait_s"])


def _logged_in(environment: Environment) -> None:
    """One more user has logged in (or failed to); after the last one, the run has ``--medkg-seconds`` left."""
    WebUser.logins += 1
    options = environment.parsed_options
    if options is not None and WebUser.logins == options.num_users and environment.runner is not None:
        _RUN["logged_in_at"] = time.time()
        gevent.spawn_later(options.medkg_seconds, environment.runner.quit)


class WebUser(FastHttpUser):
    """A viewer who logs in, then searches and reads concept, record, fact and overview pages.

    Pages are drawn by weight; with the plan's ``order`` set to ``cycle`` each user goes round them in turn instead
    (each weight a number of turns, each user starting two turns after the one spawned before it), so that a short
    run reaches every page kind.
    """

    plan: dict[str, Any] = {}
    logins = 0

    def on_start(self) -> None:
        """Log in: the form's CSRF token, then the form; a session cookie comes back."""
        number = next(_SEEDS)
        self.rng = random.Random(self.plan["seed"] * 1000 + number)
        self.turns = [page for page, weight in self.plan["weights"].items() for _ in range(weight)]
        self.turn = 2 * number
        try:
            self._log_in()
        finally:
            _logged_in(self.environment)

    def _log_in(self) -> None:
        with self.client.get("/login", name="login_form", catch_response=True) as form:
            found = _CSRF.search(form.text or "")
            if form.status_code != 200 or found is None:
                form.failure(f"login form: {form.status_code}, CSRF token {'found' if found else 'missing'}")
                return
        fields = {"name": self.plan["user"], "password": self.plan["password"], "csrf": found.group(1),
                  "next": "/search"}
        with self.client.post("/login", name="login", data=urlencode(fields), allow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              catch_response=True) as answer:
            if answer.status_code != 303:
                answer.failure(f"login refused: {answer.status_code}")

    @task
    def browse(self) -> None:
        """One page: the next turn, or one drawn by weight."""
        if self.plan.get("order") == "cycle":
            page = self.turns[self.turn % len(self.turns)]
            self.turn += 1
        else:
            page = self.rng.choice(self.turns)
        getattr(self, page)()

    def _page(self, name: str, path: str, **params: str) -> None:
        """GET one page under ``name``; anything but 200 is a failure (a redirect means the session was lost)."""
        with self.client.get(f"{path}?{urlencode(params)}" if params else path, name=name, allow_redirects=False,
                             catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} for {path} {params}")

    def search(self) -> None:
        """The search page with a concept's name, or a typo of one."""
        self._page("search", "/search", q=self.rng.choice(self.plan["search"]))

    def concept(self) -> None:
        """A concept's page."""
        self._page("concept", "/concept", id=self.rng.choice(self.plan["concept"]))

    def record(self) -> None:
        """A record's page."""
        self._page("record", "/record", id=self.rng.choice(self.plan["record"]))

    def fact(self) -> None:
        """A fact's page (a relationship with record evidence)."""
        head, kind, tail = self.rng.choice(self.plan["fact"])
        self._page("fact", "/fact", head=head, type=kind, tail=tail)

    def overview(self) -> None:
        """The overview page."""
        self._page("overview", "/overview")
