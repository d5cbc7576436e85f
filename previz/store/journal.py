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

from previz.core.errors import ProjectError
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


def _load(row: Any, *, undo: bool) -> list[Change]:
    """The changes of one undo-log entry, checked before any of them is applied: a damaged
    entry (bad JSON, unknown table or column) is refused with one line and nothing changes."""
    what = "undone" if undo else "redone"
    try:
        raw = json.loads(row.changes)
        if not isinstance(raw, list):
            raise ValueError("it is not a list of changes")
        changes: list[Change] = []
        for item in raw:
            if not isinstance(item, list | tuple) or len(item) != 4:
                raise ValueError("a change is not [table, id, before, after]")
            table_name, pk, before, after = item
            table = _TABLES.get(table_name) if isinstance(table_name, str) else None
            if table is None:
                raise ValueError(f"unknown table {table_name!r}")
            if isinstance(pk, bool) or not isinstance(pk, int):
                raise ValueError(f"row id {pk!r} is not a number")
            for state in (before, after):
                if state is None:
                    continue
                if not isinstance(state, dict):
                    raise ValueError("a row state is not a mapping")
                unknown = [k for k in state if k not in table.c]
                if unknown:
                    raise ValueError(f"{table_name} has no column {unknown[0]!r}")
            if before is None and after is None:
                raise ValueError("a change has neither a before nor an after state")
            changes.append((table_name, pk, before, after))
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProjectError(
            f"the undo history entry {row.label!r} is damaged ({why}), so it cannot be {what}; "
            "nothing was changed"
        ) from None
    return changes


def _apply_checked(conn: Connection, row: Any, *, undo: bool) -> None:
    from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

    changes = _load(row, undo=undo)
    try:
        _apply(conn, changes, undo=undo)
    except StatementError as exc:  # the caller's transaction rolls back
        if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
            raise  # the machine (disk full, read-only …): reported as such by db.write
        why = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise ProjectError(
            f"the undo history entry {row.label!r} no longer fits the project ({why}), so it "
            f"cannot be {'undone' if undo else 'redone'}; nothing was changed"
        ) from None


def undo(conn: Connection) -> str | None:
    """Undo the newest command; returns its label, or None when there is nothing to undo."""
    t = schema.undo_log
    row = conn.execute(
        select(t.c.id, t.c.label, t.c.changes).where(t.c.undone.is_(False)).order_by(t.c.id.desc())
    ).first()
    if row is None:
        return None
    _apply_checked(conn, row, undo=True)
    conn.execute(update(t).where(t.c.id == row.id).values(undone=True))
    return str(row.label)


def redo(conn: Connection) -> str | None:
    t = schema.undo_log
    row = conn.execute(
        select(t.c.id, t.c.label, t.c.changes).where(t.c.undone.is_(True)).order_by(t.c.id.asc())
    ).first()
    if row is None:
        return None
    _apply_checked(conn, row, undo=False)
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
