"""The application's caches: the search's linker rebuilt in the background, the overview read once per interval."""

from __future__ import annotations

import threading
import time

from graph_helpers import one

from app.web.state import LinkerCache, TimedCache
from graph.db.connection import GraphClient


def test_a_stale_linker_answers_while_a_new_one_is_built(web_graph: GraphClient) -> None:
    cache = LinkerCache(web_graph, refresh_s=3600)
    first = cache.get()
    assert first is not None and cache.get() is first  # fresh: the same one
    cache._built -= 7200  # older than refresh_s
    assert cache.get() is first  # answered at once by the old one; a rebuild started
    deadline = time.monotonic() + 120
    while cache.get() is first:
        assert time.monotonic() < deadline, "the background rebuild never finished"
        time.sleep(0.2)
    assert cache.get().link("糖尿病").candidates[0].concept_id == "Disease:糖尿病"
    assert one(web_graph, "MATCH (c:Concept) RETURN count(c)") > 0


def test_an_always_fresh_linker_is_built_in_the_request(web_graph: GraphClient) -> None:
    cache = LinkerCache(web_graph, refresh_s=0)
    assert cache.get() is not cache.get()


def test_timed_cache_computes_once_per_interval_and_key() -> None:
    calls: list[str] = []
    gate = threading.Event()

    def slow(key: str) -> str:
        gate.wait(5)
        calls.append(key)
        return key.upper()

    cache = TimedCache(ttl_s=60)
    threads = [threading.Thread(target=cache.get, args=("a", lambda: slow("a"))) for _ in range(5)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert calls == ["a"]  # five visits at once, one reading
    value, stamp = cache.get("a", lambda: slow("again"))
    assert value == "A" and calls == ["a"] and stamp <= time.time()
    assert cache.get("b", lambda: slow("b"))[0] == "B" and calls == ["a", "b"]
    small = TimedCache(ttl_s=60, max_keys=2)
    for key in ("x1", "x2", "x3"):
        small.get(key, lambda k=key: k)
    assert len(small._values) == 1  # the third key started it afresh: request-made keys stay bounded
    expired = TimedCache(ttl_s=0)
    expired.get("a", lambda: slow("x"))
    expired.get("a", lambda: slow("y"))
    assert calls[-2:] == ["x", "y"]
