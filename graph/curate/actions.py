"""Curation on the live graph: list and prune low-confidence triples, merge candidate concepts, undo both.

Every change is a ``(:CurationAction {id, kind, criteria, actor, reason, at, count, status})``
written before anything else, so the audit trail exists even for an action that fails half way:

- **prune** archives each selected relationship as a ``(:PrunedTriple)`` (all its properties
  copied with their types, plus ``pruned_type`` / ``pruned_head`` / ``pruned_tail`` / ``pruned_keys``
  and ``pruned_key``, the fact key ``head|TYPE|tail``), linked ``(action)-[:PRUNED]->(triple)``, then
  deletes it; one transaction per batch, so a failed batch leaves its relationships in place and the
  action ``partial`` (what was archived can still be restored). Without ``apply`` it is a dry run that
  writes nothing. An applied prune that selects more than :data:`CONFIRM_ABOVE` relationships, or any
  relationship a KG source asserts, runs only when confirmed (``confirm``; :class:`ConfirmationRequired`
  otherwise, before anything is written).
- **suppression**: an archived triple not restored is a tombstone. The watcher keeps recording the
  relation mentions it finds for the fact (provenance), but does not create the relationship again or
  count them until the prune is restored (:func:`list_suppressed` lists them, with what arrived since).
  A tombstone holds only while the relationship is absent: one that a KG reload asserted again exists,
  gets its record evidence as any other, and makes the restore of the prune a conflict.
- **merge** moves every ``REFERS_TO`` edge of a candidate concept (NIL) to a curated concept of the
  same type, adds the candidate's name to the concept's aliases, keeps the candidate as ``merged``.
- **restore** undoes a prune or a merge exactly, idempotently (a second restore changes nothing),
  and refuses, changing nothing, when a relationship it would re-create exists again (a KG reload
  re-created it since) or an endpoint is gone. A restored relationship whose relation mentions changed
  while it was suppressed gets its record evidence recomputed from all of them, old and new, in the
  same transaction.

Relationship types come from the graph's own allow-lists (:data:`kgmodel.model.RELATION_TYPES`,
:data:`graph.kg.relations.RECORD_RELATION_TYPES`); every value reaches Neo4j as a parameter.

Example:
    >>> PruneCriteria(below=0.5, type="HAS_SYMPTOM", origin="records").to_json()
    '{"below": 0.5, "origin": "records", "type": "HAS_SYMPTOM"}'
"""

from __future__ import annotations

import getpass
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from neo4j import ManagedTransaction, unit_of_work

from core.progress import ProgressFactory
from graph.db.connection import GraphClient
from graph.db.queries import query
from graph.kg.relations import RECORD_RELATION_TYPES
from graph.watch.merge import recompute_record_evidence
from kgmodel.model import RELATION_TYPES

__all__ = ["ALLOWED_TYPES", "CONFIRM_ABOVE", "ConfirmationRequired", "CurationError", "PruneCriteria", "PrunePlan",
           "PruneResult", "curation_log", "list_low_confidence", "list_suppressed", "merge_candidate",
           "operating_system_user", "prune", "restore"]

#: Relationship types a curator may list, prune and restore.
ALLOWED_TYPES: frozenset[str] = frozenset(RELATION_TYPES) | RECORD_RELATION_TYPES
#: Keys a PrunedTriple uses for itself; a relationship holding one of them cannot be archived losslessly.
RESERVED_KEYS = frozenset({"id", "pruned_action", "pruned_type", "pruned_head", "pruned_tail", "pruned_keys",
                           "pruned_at", "pruned_key", "pruned_stale", "restored", "restored_at", "restored_by"})
Origin = Literal["kg", "records"]
#: Most relationships one prune may select (it holds their ids in memory); narrow the criteria beyond it.
MAX_PRUNE = 500_000
#: An applied prune that selects more relationships than this needs a curator's confirmation.
CONFIRM_ABOVE = 10_000


class CurationError(ValueError):
    """Bad criteria, an unknown action or concept, or a restore that would conflict (the graph is unchanged)."""


@dataclass(frozen=True)
class PruneCriteria:
    """What a prune selects: confidence below ``below``, optionally of one type, origin, head and tail.

    A head, a type and a tail together select one triple (when its confidence is below ``below``).
    """

    below: float
    type: str | None = None
    origin: Origin | None = None
    head: str | None = None
    tail: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.below, bool) or not isinstance(self.below, int | float) or not 0.0 <= self.below <= 1.0:
            raise CurationError(f"--below must be a number in 0..1, got {self.below!r}")
        if self.type is not None and self.type not in ALLOWED_TYPES:
            raise CurationError(f"unknown relationship type {self.type!r}; one of: {', '.join(sorted(ALLOWED_TYPES))}")
        if self.origin not in (None, "kg", "records"):
            raise CurationError(f"--origin must be 'kg' or 'records', got {self.origin!r}")
        for name in ("head", "tail"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise CurationError(f"--{name} must be a concept id, got {value!r}")

    def params(self) -> dict[str, Any]:
        """As Cypher parameters."""
        return {"below": float(self.below), "type": self.type, "origin": self.origin, "head": self.head,
                "tail": self.tail}

    def to_json(self) -> str:
        """As stored on the action (keys sorted)."""
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)


def _new_id(kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:8]}"


def operating_system_user() -> str:
    """The user this process runs as: the actor a curation command records when none is given.

    As git takes its author from the system, this is ``getpass.getuser()``: ``LOGNAME``, ``USER``,
    ``LNAME`` or ``USERNAME``, else the account of the process's user id.

    Raises:
        CurationError: neither names a user (a container running as an id without an account); the
            message says to pass ``--actor``.
    """
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError) as exc:  # KeyError before Python 3.13, OSError since
        raise CurationError(f"cannot tell who is curating: the operating-system user is unknown ({exc}); "
                            "pass --actor NAME") from exc
    if not name.strip():
        raise CurationError("cannot tell who is curating: the operating-system user name is empty; pass --actor NAME")
    return name


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


@dataclass(frozen=True)
class PrunePlan:
    """What an applied prune would delete, and whether a curator must confirm it first.

    A prune needs confirmation when it selects more than :data:`CONFIRM_ABOVE` relationships or any
    relationship a KG source asserts (a KG fact is pruned by hand, never in passing).

    Example:
        >>> plan = PrunePlan(3, {"HAS_SYMPTOM": 3}, 1, {"forum": 1})
        >>> plan.needs_confirmation, plan.describe()
        (True, '3 relationships (HAS_SYMPTOM 3), 1 asserted by a KG source (forum 1)')
    """

    selected: int
    by_type: dict[str, int]
    kg_asserted: int
    """Selected relationships with at least one KG source."""
    by_kg_source: dict[str, int]

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> PrunePlan:
        """The plan of the rows :func:`list_low_confidence` selected."""
        sources = Counter(s for r in rows for s in r["kg_sources"])
        return cls(len(rows), dict(Counter(r["type"] for r in rows).most_common()),
                   sum(1 for r in rows if r["kg_sources"]), dict(sources.most_common()))

    @property
    def reasons(self) -> list[str]:
        """What in the selection needs confirmation (empty when nothing does)."""
        reasons = []
        if self.selected > CONFIRM_ABOVE:
            reasons.append(f"more than {CONFIRM_ABOVE:,} relationships")
        if self.kg_asserted:
            reasons.append("relationships asserted by a KG source")
        return reasons

    @property
    def needs_confirmation(self) -> bool:
        """Whether :func:`prune` applies it only when confirmed."""
        return bool(self.reasons)

    def describe(self) -> str:
        """One line: the count and its breakdown by type and by KG source."""
        types = ", ".join(f"{t} {n:,}" for t, n in self.by_type.items())
        text = f"{self.selected:,} relationships ({types})"
        if self.kg_asserted:
            sources = ", ".join(f"{s} {n:,}" for s, n in self.by_kg_source.items())
            text += f", {self.kg_asserted:,} asserted by a KG source ({sources})"
        return text


class ConfirmationRequired(CurationError):
    """An applied prune that needs confirmation was not confirmed; nothing was written."""

    def __init__(self, plan: PrunePlan, *, declined: bool = False) -> None:
        state = "was not confirmed" if declined else "needs confirmation"
        super().__init__(f"the prune would delete {plan.describe()}; it {state} because it selects "
                         f"{' and '.join(plan.reasons)}; nothing changed")
        self.plan = plan
        self.declined = declined


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
    by_type: dict[str, int] = field(default_factory=dict)
    kg_asserted: int = 0
    needs_confirmation: bool = False
    """Whether applying this selection needs a curator's confirmation (:class:`PrunePlan`)."""
    triples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


Confirm = bool | Callable[[PrunePlan], bool]
"""``True``: confirmed in advance; ``False``: not confirmed; a callable is asked with the plan."""


def _check_applicable(rows: list[dict[str, Any]], plan: PrunePlan, confirm: Confirm) -> None:
    """Refuse, before anything is written, a selection that cannot be archived or is not confirmed."""
    clash = next((r for r in rows if RESERVED_KEYS & set(r["keys"])), None)
    if clash is not None:
        raise CurationError(f"{clash['head']} -[{clash['type']}]-> {clash['tail']} has a property named "
                            f"{sorted(RESERVED_KEYS & set(clash['keys']))[0]!r}, reserved by the archive")
    if plan.needs_confirmation and confirm is not True:
        if not callable(confirm):
            raise ConfirmationRequired(plan)
        if confirm(plan) is not True:
            raise ConfirmationRequired(plan, declined=True)


def prune(client: GraphClient, criteria: PruneCriteria, *, actor: str, reason: str, apply: bool = False,
          confirm: Confirm = False, batch_size: int = 1000, on_batch: Callable[[int], None] | None = None,
          progress: ProgressFactory | None = None) -> PruneResult:
    """Archive and delete the relationships ``criteria`` selects (a dry run unless ``apply``).

    An applied prune whose :class:`PrunePlan` needs confirmation runs only if ``confirm`` is ``True``
    or, called with the plan, returns ``True``. ``on_batch(n)`` is called after each committed batch;
    ``progress`` is a bar factory (:func:`app.progress.progress_bars`).

    Raises:
        ConfirmationRequired: Applying needs confirmation and ``confirm`` did not give it (nothing written).
        CurationError: Missing actor or reason, too many matches, or a selected relationship holds a reserved key.
    """
    _check_actor(actor, reason)
    if batch_size < 1:
        raise CurationError(f"batch size must be at least 1, got {batch_size}")
    rows = list_low_confidence(client, criteria, limit=MAX_PRUNE + 1)
    if len(rows) > MAX_PRUNE:
        raise CurationError(f"more than {MAX_PRUNE:,} relationships match {criteria.to_json()}; narrow the criteria "
                            "(--type, --origin, a lower --below) and prune in steps")
    plan = PrunePlan.of(rows)
    shown = [{k: r[k] for k in ("head", "type", "tail", "confidence", "kg_sources", "record_count")} for r in rows]
    result = PruneResult(json.loads(criteria.to_json()), apply, len(rows), by_type=plan.by_type,
                         kg_asserted=plan.kg_asserted, needs_confirmation=plan.needs_confirmation, triples=shown)
    if not apply:
        return result
    if not rows:
        result.status = "nothing to prune"
        return result
    _check_applicable(rows, plan, confirm)
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


def _check_pending(action_id: str, pending: list[dict[str, Any]]) -> None:
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


def _restore_pruned(client: GraphClient, action_id: str, restore_id: str) -> tuple[int, int]:
    """Re-create the archived triples and recompute the evidence that changed meanwhile, in one transaction.

    Returns:
        The relationships restored, and how many of them had their record evidence recomputed.
    """
    text = query("curator/restore_pruned")

    @unit_of_work(metadata=client.metadata("curator/restore_pruned", action=action_id))
    def work(tx: ManagedTransaction) -> tuple[int, int]:
        row = tx.run(text, action_id=action_id, restore_id=restore_id).single()
        if row is None:
            return 0, 0
        facts = [{"key": s["key"], "head": s["head"], "tail": s["tail"], "type": s["type"], "extractor": x}
                 for s in row["stale"] for x in s["extractors"]]
        recompute_record_evidence(tx, facts)
        return int(row["restored"]), len(row["stale"])

    with client.session() as session:
        return session.execute_write(work)


def restore(client: GraphClient, action_id: str, *, actor: str, reason: str = "restore") -> dict[str, Any]:
    """Undo a prune or a merge; a second call finds nothing left and changes nothing.

    A restored relationship whose relation mentions changed while it was suppressed has its record
    evidence recomputed from all of them (``recomputed`` counts those relationships).

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
        return {"action_id": action_id, "kind": action["kind"], "restored": 0, "recomputed": 0, "restore_id": None,
                "note": f"nothing to restore: already restored by {action['restored_by']}"
                if action["restored_by"] else "nothing to restore"}
    if action["kind"] == "prune":
        _check_pending(action_id, action["pending"])
    restore_id = _new_id("restore")
    client.write("curator/start_action", id=restore_id, kind="restore", criteria=json.dumps({"action": action_id}),
                 actor=actor, reason=reason, target=action_id)
    if action["kind"] == "prune":
        count, recomputed = _restore_pruned(client, action_id, restore_id)
    else:
        details = json.loads(action["details"] or "{}")
        out, _ = client.write("curator/unmerge_candidate", action_id=action_id, candidate=details["candidate"],
                              into=details["into"], alias_added=bool(details.get("alias_added")),
                              restore_id=restore_id)
        count, recomputed = (int(out[0]["moved"]) if out else 0), 0
    client.write("curator/finish_action", id=restore_id, status="done", details=None)
    return {"action_id": action_id, "kind": action["kind"], "restored": count, "recomputed": recomputed,
            "restore_id": restore_id}


def list_suppressed(client: GraphClient, type_: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
    """Relationships a prune removed and the watcher keeps from coming back, newest prune first.

    Each row: ``head``, ``type``, ``tail``, ``action_id``, ``pruned_at`` (text), ``actor``, ``reason``,
    ``arrived`` (relation mentions of the fact created since the prune) and ``arrived_records``.

    Raises:
        CurationError: An unknown type or a limit below 1.
    """
    if type_ is not None and type_ not in ALLOWED_TYPES:
        raise CurationError(f"unknown relationship type {type_!r}; one of: {', '.join(sorted(ALLOWED_TYPES))}")
    if limit < 1:
        raise CurationError(f"limit must be at least 1, got {limit}")
    rows = client.read("curator/list_suppressed", type=type_, limit=limit)
    for row in rows:
        row["pruned_at"] = str(row["pruned_at"])
    return rows


def curation_log(client: GraphClient, limit: int = 100) -> list[dict[str, Any]]:
    """The curation actions, newest first."""
    rows = client.read("curator/list_actions", limit=limit)
    for row in rows:
        for key in ("at", "finished_at", "restored_at"):
            row[key] = str(row[key]) if row[key] is not None else None
    return rows
