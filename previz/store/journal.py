"""Undoable changes: every edit records the rows it touched, before and after.

A command runs in one write transaction through a :class:`Recorder`, which performs the inserts,
updates and deletes and remembers each row's state before and after (only the changed columns
for an update). The list is stored in ``undo_log`` in the same transaction, so undo and redo
work across processes and restarts and restore the project exactly: undo applies the "before"
states newest first, redo the "after" states oldest first.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from previz.store import schema
from previz.store.db import utcnow

UNDO_KEPT = 1000

Change = tuple[str, int, dict[str, Any] | None, dict[str, Any] | None]

_TABLES: dict[str, Table] = {
    t.name: t
    for t in (schema.project, schema.sequences, schema.shots, schema.takes, schema.elements)
}


class Recorder:
    def __init__(self, conn: Connection, label: str = "") -> None:
        self.conn = conn
        self.label = label  # a command may refine it once it knows more (e.g. the new code)
        self.changes: list[Change] = []

    def _row(self, table: Table, pk: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(table).where(table.c.id == pk)).mappings().first()
        return dict(row) if row is not None else None

    def insert(self, table: Table, values: dict[str, Any]) -> int:
        pk = self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]
        self.changes.append((table.name, int(pk), None, self._row(table, pk)))
        return int(pk)

    def update(self, table: Table, pk: int, **values: Any) -> bool:
        before = self._row(table, pk)
        if before is None:
            raise LookupError(f"{table.name} {pk} does not exist")
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not changed:
            return False
        self.conn.execute(update(table).where(table.c.id == pk).values(**changed))
        self.changes.append((table.name, pk, {k: before[k] for k in changed}, changed))
        return True

    def update_many(
        self, table: Table, rows: dict[int, dict[str, Any]], before: dict[int, dict]
    ) -> None:
        """Update several rows whose old values the caller already read (e.g. position shifts)."""
        if not rows:
            return
        from sqlalchemy import bindparam

        cols = sorted({k for vals in rows.values() for k in vals})
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_pk"))
            .values({c: bindparam(f"_v_{c}") for c in cols})
        )
        params = []
        for pk, vals in rows.items():
            full = {**{c: before[pk][c] for c in cols}, **vals}
            params.append({"_pk": pk, **{f"_v_{c}": full[c] for c in cols}})
            self.changes.append((table.name, pk, {c: before[pk][c] for c in vals}, dict(vals)))
        self.conn.execute(stmt, params)

    def delete(self, table: Table, pk: int) -> None:
        before = self._row(table, pk)
        if before is None:
            return
        self.conn.execute(delete(table).where(table.c.id == pk))
        self.changes.append((table.name, pk, before, None))


def record(conn: Connection, label: str, changes: list[Change]) -> int | None:
    """Store a finished command in the undo log and drop the redo stack."""
    if not changes:
        return None
    conn.execute(delete(schema.undo_log).where(schema.undo_log.c.undone.is_(True)))
    entry = conn.execute(
        insert(schema.undo_log).values(
            label=label, changes=json.dumps(changes, default=str), undone=False, created_at=utcnow()
        )
    ).inserted_primary_key[0]
    cutoff = entry - UNDO_KEPT
    if cutoff > 0:
        conn.execute(delete(schema.undo_log).where(schema.undo_log.c.id <= cutoff))
    return int(entry)


def _apply(conn: Connection, changes: list[Change], *, undo: bool) -> None:
    ordered = reversed(changes) if undo else changes
    for table_name, pk, before, after in ordered:
        table = _TABLES[table_name]
        old, new = (after, before) if undo else (before, after)
        if new is None:  # the row must not exist
            _remove(conn, table, pk)
        elif old is None:  # the row must come back whole
            exists = conn.execute(select(table.c.id).where(table.c.id == pk)).first()
            if exists:  # it was only hidden (see _remove)
                conn.execute(update(table).where(table.c.id == pk).values(**new))
            else:
                conn.execute(insert(table).values(**new))
        else:
            conn.execute(update(table).where(table.c.id == pk).values(**new))


def _remove(conn: Connection, table: Table, pk: int) -> None:
    """Delete a row; if later work hangs off it (a shot that got takes since it was added),
    hide it with ``deleted_at`` instead, so undo never destroys a take."""
    from sqlalchemy.exc import IntegrityError

    try:
        with conn.begin_nested():
            conn.execute(delete(table).where(table.c.id == pk))
    except IntegrityError:
        if "deleted_at" not in table.c:
            raise
        conn.execute(update(table).where(table.c.id == pk).values(deleted_at=utcnow()))


def undo(conn: Connection) -> str | None:
    """Undo the newest command; returns its label, or None when there is nothing to undo."""
    t = schema.undo_log
    row = conn.execute(
        select(t.c.id, t.c.label, t.c.changes).where(t.c.undone.is_(False)).order_by(t.c.id.desc())
    ).first()
    if row is None:
        return None
    _apply(conn, [tuple(c) for c in json.loads(row.changes)], undo=True)  # type: ignore[misc]
    conn.execute(update(t).where(t.c.id == row.id).values(undone=True))
    return str(row.label)


def redo(conn: Connection) -> str | None:
    t = schema.undo_log
    row = conn.execute(
        select(t.c.id, t.c.label, t.c.changes).where(t.c.undone.is_(True)).order_by(t.c.id.asc())
    ).first()
    if row is None:
        return None
    _apply(conn, [tuple(c) for c in json.loads(row.changes)], undo=False)  # type: ignore[misc]
    conn.execute(update(t).where(t.c.id == row.id).values(undone=False))
    return str(row.label)


def peek(conn: Connection) -> tuple[str | None, str | None]:
    """Labels of what undo and redo would do next (for menus)."""
    t = schema.undo_log
    u = conn.execute(
        select(t.c.label).where(t.c.undone.is_(False)).order_by(t.c.id.desc()).limit(1)
    ).scalar()
    r = conn.execute(
        select(t.c.label).where(t.c.undone.is_(True)).order_by(t.c.id.asc()).limit(1)
    ).scalar()
    return u, r
