"""Curation on the live graph: list and prune low-confidence triples, merge candidate concepts, undo both.

Every change is a ``(:CurationAction {id, kind, criteria, actor, reason, at, count, status})``
written before anything else, so the audit trail exists even for an action that fails half way:

- **prune** archives each selected relationship as a ``(:PrunedTriple)`` (all its properties
  copied with their types, plus ``pruned_type`` / ``pruned_head`` / ``pruned_tail`` / ``pruned_keys``),
  linked ``(action)-[:PRUNED]->(triple)``, then deletes it; one transaction per batch, so a failed
  batch leaves its relationships in place and the action ``partial`` (what was archived can still be
  restored). Without ``apply`` it is a dry run that writes nothing.
- **merge** moves every ``REFERS_TO`` edge of a candidate concept (NIL) to a curated concept of the
  same type, adds the candidate's name to the concept's aliases, keeps the candidate as ``merged``.
- **restore** undoes a prune or a merge exactly, idempotently (a second restore changes nothing),
  and refuses, changing nothing, when a relationship it would re-create exists again (a KG reload or
  the watcher re-created it since) or an endpoint is gone.

Relationship types come from the graph's own allow-lists (:data:`graph.kg.model.RELATION_TYPES`,
:data:`graph.kg.relations.RECORD_RELATION_TYPES`); every value reaches Neo4j as a parameter.

Example:
    >>> PruneCriteria(below=0.5, type="HAS_SYMPTOM", origin="records").to_json()
    '{"below": 0.5, "origin": "records", "type": "HAS_SYMPTOM"}'
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from graph.db.connection import GraphClient
from graph.kg.model import RELATION_TYPES
from graph.kg.relations import RECORD_RELATION_TYPES

__all__ = ["ALLOWED_TYPES", "CurationError", "PruneCriteria", "PruneResult", "curation_log", "list_low_confidence",
           "merge_candidate", "prune", "restore"]

#: Relationship types a curator may list, prune and restore.
ALLOWED_TYPES: frozenset[str] = frozenset(RELATION_TYPES) | RECORD_RELATION_TYPES
#: Keys a PrunedTriple uses for itself; a relationship holding one of them cannot be archived losslessly.
RESERVED_KEYS = frozenset({"id", "pruned_action", "pruned_type", "pruned_head", "pruned_tail", "pruned_keys",
                           "pruned_at", "restored", "restored_at", "restored_by"})
Origin = Literal["kg", "records"]
#: Most relationships one prune may select (it holds their ids in memory); narrow the criteria beyond it.
MAX_PRUNE = 500_000


class CurationError(ValueError):
    """Bad criteria, an unknown action or concept, or a restore that would conflict (the graph is unchanged)."""


@dataclass(frozen=True)
class PruneCriteria:
    """What a prune selects: confidence strictly below ``below``, optionally one type and one origin."""

    below: float
    type: str | None = None
    origin: Origin | None = None

    def __post_init__(self) -> None:
        if isinstance(self.below, bool) or not isinstance(self.below, int | float) or not 0.0 <= self.below <= 1.0:
            raise CurationError(f"--below must be a number in 0..1, got {self.below!r}")
        if self.type is not None and self.type not in ALLOWED_TYPES:
            raise CurationError(f"unknown relationship type {self.type!r}; one of: {', '.join(sorted(ALLOWED_TYPES))}")
        if self.origin not in (None, "kg", "records"):
            raise CurationError(f"--origin must be 'kg' or 'records', got {self.origin!r}")

    def params(self) -> dict[str, Any]:
        """As Cypher parameters."""
        return {"below": float(self.below), "type": self.type, "origin": self.origin}

    def to_json(self) -> str:
        """As stored on the action (keys sorted)."""
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)


def _new_id(kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:8]}"


def _check_actor(actor: str, reason: str) -> None:
    if not actor or not actor.strip():
        raise CurationError("--actor is required: who is curating")
    if not reason or not reason.strip():
        raise CurationError("--reason is required: why (it goes into the audit trail)")


def list_low_confidence(client: GraphClient, criteria: PruneCriteria, limit: int = 100_000) -> list[dict[str, Any]]:
    """The relationships ``criteria`` selects, lowest confidence first (read transaction)."""
    if limit < 1:
        raise CurationError(f"limit must be at least 1, got {limit}")
    return client.read("curator/list_low_confidence", **criteria.params(), limit=limit)


@dataclass
class PruneResult:
    """What :func:`prune` selected and (with ``apply``) archived."""

    criteria: dict[str, Any]
    applied: bool
    selected: int
    pruned: int = 0
    action_id: str | None = None
    status: str = "dry-run"
    batches: int = 0
    triples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def prune(client: GraphClient, criteria: PruneCriteria, *, actor: str, reason: str, apply: bool = False,
          batch_size: int = 1000, on_batch: Callable[[int], None] | None = None,
          progress: Callable[[str, int], Callable[[int], None]] | None = None) -> PruneResult:
    """Archive and delete the relationships ``criteria`` selects (a dry run unless ``apply``).

    ``on_batch(n)`` is called after each committed batch; ``progress`` is a bar factory
    (:func:`graph.progress.progress_bars`).

    Raises:
        CurationError: Missing actor or reason, or a selected relationship holds a reserved key.
    """
    _check_actor(actor, reason)
    if batch_size < 1:
        raise CurationError(f"batch size must be at least 1, got {batch_size}")
    rows = list_low_confidence(client, criteria, limit=MAX_PRUNE + 1)
    if len(rows) > MAX_PRUNE:
        raise CurationError(f"more than {MAX_PRUNE:,} relationships match {criteria.to_json()}; narrow the criteria "
                            "(--type, --origin, a lower --below) and prune in steps")
    shown = [{k: r[k] for k in ("head", "type", "tail", "confidence", "kg_sources", "record_count")} for r in rows]
    result = PruneResult(json.loads(criteria.to_json()), apply, len(rows), triples=shown)
    if not apply:
        return result
    if not rows:
        result.status = "nothing to prune"
        return result
    clash = next((r for r in rows if RESERVED_KEYS & set(r["keys"])), None)
    if clash is not None:
        raise CurationError(f"{clash['head']} -[{clash['type']}]-> {clash['tail']} has a property named "
                            f"{sorted(RESERVED_KEYS & set(clash['keys']))[0]!r}, reserved by the archive")
    action_id = _new_id("prune")
    client.write("curator/start_action", id=action_id, kind="prune", criteria=criteria.to_json(), actor=actor,
                 reason=reason, target=None)
    result.action_id, status = action_id, "done"
    ids = [r["element_id"] for r in rows]
    advance = progress("pruning", len(ids)) if progress is not None else None
    try:
        for k in range(0, len(ids), batch_size):
            found, _ = client.write("curator/prune_relationships", action_id=action_id, ids=ids[k:k + batch_size],
                                    below=float(criteria.below))
            result.pruned += int(found[0]["pruned"]) if found else 0
            result.batches += 1
            if advance is not None:
                advance(len(ids[k:k + batch_size]))
            if on_batch is not None:
                on_batch(len(ids[k:k + batch_size]))
    except Exception:
        status = "partial"
        raise
    finally:
        client.write("curator/finish_action", id=action_id, status=status,
                     details=json.dumps({"selected": len(rows), "batches": result.batches}))
        result.status = status
    return result


def merge_candidate(client: GraphClient, candidate: str, into: str, *, actor: str, reason: str) -> dict[str, Any]:
    """Move a candidate concept's links to a curated concept of the same type and record the alias.

    Raises:
        CurationError: Unknown or non-candidate ``candidate``, unknown ``into``, ``into`` a candidate, or types
            that differ.
    """
    _check_actor(actor, reason)
    found = {r["id"]: r for r in client.read("curator/get_concepts", ids=[candidate, into])}
    if candidate not in found:
        raise CurationError(f"no concept {candidate!r}")
    if found[candidate]["status"] != "candidate":
        raise CurationError(f"{candidate!r} is not a candidate concept (status {found[candidate]['status']!r})")
    if into not in found:
        raise CurationError(f"no concept {into!r} to merge into")
    if found[into]["status"] in ("candidate", "merged"):
        raise CurationError(f"{into!r} is a {found[into]['status']} concept; merge into a curated one")
    if set(found[candidate]["labels"]) != set(found[into]["labels"]):
        raise CurationError(f"{candidate!r} is {'/'.join(sorted(found[candidate]['labels']))} but {into!r} is "
                            f"{'/'.join(sorted(found[into]['labels']))}; merge within one type")
    action_id = _new_id("merge")
    client.write("curator/start_action", id=action_id, kind="merge",
                 criteria=json.dumps({"candidate": candidate, "into": into}, ensure_ascii=False, sort_keys=True),
                 actor=actor, reason=reason, target=None)
    rows, _ = client.write("curator/merge_candidate", candidate=candidate, into=into, action_id=action_id)
    moved, alias_added = (int(rows[0]["moved"]), bool(rows[0]["alias_added"])) if rows else (0, False)
    details = {"candidate": candidate, "into": into, "alias": found[candidate]["name"], "alias_added": alias_added}
    client.write("curator/finish_action", id=action_id, status="done",
                 details=json.dumps(details, ensure_ascii=False, sort_keys=True))
    return {"action_id": action_id, "moved": moved, **details}


def restore(client: GraphClient, action_id: str, *, actor: str, reason: str = "restore") -> dict[str, Any]:
    """Undo a prune or a merge; a second call finds nothing left and changes nothing.

    Raises:
        CurationError: Unknown action, an action that cannot be undone (a restore), or conflicts (listed).
    """
    _check_actor(actor, reason)
    rows = client.read("curator/get_action", id=action_id)
    if not rows:
        raise CurationError(f"no curation action {action_id!r} (medkg curate log lists them)")
    action = rows[0]
    if action["kind"] not in ("prune", "merge"):
        raise CurationError(f"{action_id!r} is a {action['kind']} action; only prune and merge actions can be undone")
    if action["status"] == "restored" or (action["kind"] == "prune" and not action["pending"]):
        return {"action_id": action_id, "kind": action["kind"], "restored": 0, "restore_id": None,
                "note": f"nothing to restore: already restored by {action['restored_by']}"
                if action["restored_by"] else "nothing to restore"}
    if action["kind"] == "prune":
        pending = action["pending"]
        bad = [p for p in pending if p["type"] not in ALLOWED_TYPES]
        if bad:
            raise CurationError(f"archived type {bad[0]['type']!r} is not an allowed relationship type")
        gone = [p for p in pending if not (p["head_exists"] and p["tail_exists"])]
        if gone:
            raise CurationError(f"cannot restore {action_id}: {len(gone)} archived triple(s) lost an endpoint since, "
                                f"e.g. {gone[0]['head']} -[{gone[0]['type']}]-> {gone[0]['tail']}; nothing changed")
        clashes = [p for p in pending if p["conflict"]]
        if clashes:
            listed = "; ".join(f"{p['head']} -[{p['type']}]-> {p['tail']}" for p in clashes[:5])
            raise CurationError(f"cannot restore {action_id}: {len(clashes)} relationship(s) were re-created since "
                                f"it ran ({listed}); prune them again or delete them first; nothing changed")
    restore_id = _new_id("restore")
    client.write("curator/start_action", id=restore_id, kind="restore", criteria=json.dumps({"action": action_id}),
                 actor=actor, reason=reason, target=action_id)
    if action["kind"] == "prune":
        out, _ = client.write("curator/restore_pruned", action_id=action_id, restore_id=restore_id)
    else:
        details = json.loads(action["details"] or "{}")
        out, _ = client.write("curator/unmerge_candidate", action_id=action_id, candidate=details["candidate"],
                              into=details["into"], alias_added=bool(details.get("alias_added")),
                              restore_id=restore_id)
    count = int(out[0]["restored" if action["kind"] == "prune" else "moved"]) if out else 0
    client.write("curator/finish_action", id=restore_id, status="done", details=None)
    return {"action_id": action_id, "kind": action["kind"], "restored": count, "restore_id": restore_id}


def curation_log(client: GraphClient, limit: int = 100) -> list[dict[str, Any]]:
    """The curation actions, newest first."""
    rows = client.read("curator/list_actions", limit=limit)
    for row in rows:
        for key in ("at", "finished_at", "restored_at"):
            row[key] = str(row[key]) if row[key] is not None else None
    return rows
