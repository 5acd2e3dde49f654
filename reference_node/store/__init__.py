"""SQLite persistence of one node: a chain update is one transaction, so kill -9 loses nothing.

The database holds every header, block bodies (the recent ones when pruning), undo records, the
active chain, account state, a transaction index and the mempool. On start the node reads state
back instead of replaying blocks. WAL mode with synchronous=NORMAL survives a killed process (the
committed WAL frames are in the OS already); only a power cut can lose the last transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from ..core.block import Block, Header
from ..core.chain import ChainState, ChainUpdate
from ..core.errors import NodeError
from ..core.state import Undo
from ..core.tx import Transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS headers (
    hash TEXT PRIMARY KEY, height INTEGER NOT NULL, seq INTEGER NOT NULL, raw BLOB NOT NULL,
    has_data INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS blocks (hash TEXT PRIMARY KEY, height INTEGER NOT NULL, txs TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_height ON blocks (height);
CREATE TABLE IF NOT EXISTS undo (hash TEXT PRIMARY KEY, height INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS undo_height ON undo (height);
CREATE TABLE IF NOT EXISTS active (height INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    address TEXT PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS txindex (
    txid TEXT PRIMARY KEY, block_hash TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mempool (txid TEXT PRIMARY KEY, tx TEXT NOT NULL);
"""


class StoreError(NodeError):
    """The data directory cannot serve this node (another network's chain, unreadable file)."""


def _txs_json(block: Block) -> str:
    return "[" + ",".join(t.encoded() for t in block.txs) + "]"


class Store:
    """One node's database; also the chain's BlockSource for bodies and undo records."""

    def __init__(self, path: Path, prune: int | None = None, *, durable: bool = True) -> None:
        """`durable=False` is for a process that nothing kills mid-write (the simulator, whose
        crashes close the connection between transactions): commits keep their journal in
        memory and skip the sync, atomic as ever and several times cheaper (docs/decisions.md
        D19)."""
        self.prune = prune
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            if durable:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            else:
                self.db.execute("PRAGMA locking_mode=EXCLUSIVE")
                self.db.execute("PRAGMA journal_mode=MEMORY")
                self.db.execute("PRAGMA synchronous=OFF")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    # -- BlockSource -----------------------------------------------------------------------

    def get_block(self, block_hash: str) -> Block | None:
        row = self.db.execute(
            "SELECT h.raw, b.txs FROM blocks b JOIN headers h USING (hash) WHERE b.hash = ?",
            (block_hash,),
        ).fetchone()
        if row is None:
            return None
        return Block(
            Header.deserialize(row[0]), tuple(Transaction.from_json(t) for t in json.loads(row[1]))
        )

    def get_undo(self, block_hash: str) -> Undo | None:
        row = self.db.execute("SELECT data FROM undo WHERE hash = ?", (block_hash,)).fetchone()
        return None if row is None else Undo.from_json(json.loads(row[0]))

    # -- start-up --------------------------------------------------------------------------

    def load(self, chain: ChainState) -> bool:
        """Restore `chain` from the database; False when the database is new (then initialise it)."""
        stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if "genesis" not in stored:
            with self._transaction():
                self.db.execute("INSERT INTO meta VALUES ('genesis', ?)", (chain.genesis.hash,))
                self.db.execute("INSERT INTO meta VALUES ('tip', ?)", (chain.genesis.hash,))
                self.db.execute("INSERT INTO active VALUES (0, ?)", (chain.genesis.hash,))
                self._write_accounts(dict(chain.state.accounts))
            return False
        if stored["genesis"] != chain.genesis.hash:
            raise StoreError(
                f"the data directory holds a chain with genesis {stored['genesis']}, but this node's "
                f"--difficulty/--genesis-accounts give genesis {chain.genesis.hash}; "
                "use a fresh --data-dir or the original settings"
            )
        rows = self.db.execute(
            "SELECT raw, has_data, invalid FROM headers ORDER BY height, seq"
        ).fetchall()
        accounts = {
            a: (b, n) for a, b, n in self.db.execute("SELECT address, balance, nonce FROM accounts")
        }
        chain.restore(
            ((Header.deserialize(raw), bool(d), bool(i)) for raw, d, i in rows),
            stored["tip"],
            accounts,
        )
        return True

    def load_mempool(self) -> list[Transaction]:
        return [
            Transaction.from_json(json.loads(t))
            for (t,) in self.db.execute("SELECT tx FROM mempool ORDER BY rowid")
        ]

    # -- writes ----------------------------------------------------------------------------

    def apply(
        self,
        update: ChainUpdate,
        chain: ChainState,
        mempool_added: Iterable[Transaction] = (),
        mempool_removed: Iterable[str] = (),
    ) -> None:
        """Persist one chain update and the mempool changes it caused, atomically."""
        db = self.db
        with self._transaction():
            db.executemany(
                "INSERT OR IGNORE INTO headers (hash, height, seq, raw) VALUES (?, ?, ?, ?)",
                [(e.hash, e.height, e.seq, e.header.serialize()) for e in update.new_headers],
            )
            for block in update.new_bodies:
                entry = chain.entries[block.hash]
                db.execute(
                    "INSERT OR IGNORE INTO headers (hash, height, seq, raw) VALUES (?, ?, ?, ?)",
                    (entry.hash, entry.height, entry.seq, entry.header.serialize()),
                )
                db.execute(
                    "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)",
                    (block.hash, entry.height, _txs_json(block)),
                )
                db.execute("UPDATE headers SET has_data = 1 WHERE hash = ?", (block.hash,))
            db.executemany(
                "UPDATE headers SET invalid = 1 WHERE hash = ?",
                [(e.hash,) for e in update.invalidated],
            )
            for op in update.ops:
                if op.kind == "connect":
                    db.execute(
                        "INSERT OR REPLACE INTO undo VALUES (?, ?, ?)",
                        (op.block.hash, op.height, json.dumps(op.undo.to_json())),
                    )
                    db.execute(
                        "INSERT OR REPLACE INTO active VALUES (?, ?)", (op.height, op.block.hash)
                    )
                    db.executemany(
                        "INSERT OR REPLACE INTO txindex VALUES (?, ?, ?, ?)",
                        [(t.txid, op.block.hash, op.height, i) for i, t in enumerate(op.block.txs)],
                    )
                else:
                    db.execute("DELETE FROM active WHERE height = ?", (op.height,))
                    db.executemany(
                        "DELETE FROM txindex WHERE txid = ? AND block_hash = ?",
                        [(t.txid, op.block.hash) for t in op.block.txs],
                    )
            if update.ops:
                changed = chain.state.changed(update.touched_accounts())
                self._write_accounts(changed)
                db.execute("UPDATE meta SET value = ? WHERE key = 'tip'", (chain.tip.hash,))
            self._write_mempool(mempool_added, mempool_removed)
            if self.prune is not None and update.ops:
                floor = chain.height - self.prune
                db.execute("DELETE FROM blocks WHERE height <= ?", (floor,))
                db.execute("DELETE FROM undo WHERE height <= ?", (floor,))

    def mempool_changed(self, added: Iterable[Transaction], removed: Iterable[str]) -> None:
        with self._transaction():
            self._write_mempool(added, removed)

    def _write_mempool(self, added: Iterable[Transaction], removed: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM mempool WHERE txid = ?", [(t,) for t in removed])
        self.db.executemany(
            "INSERT OR REPLACE INTO mempool VALUES (?, ?)",
            [(t.txid, t.encoded()) for t in added],
        )

    def _write_accounts(self, accounts: dict[str, tuple[int, int] | None]) -> None:
        self.db.executemany(
            "DELETE FROM accounts WHERE address = ?",
            [(a,) for a, v in accounts.items() if v is None],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?)",
            [(a, v[0], v[1]) for a, v in accounts.items() if v is not None],
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # -- queries ---------------------------------------------------------------------------

    def tx_location(self, txid: str) -> tuple[str, int, int] | None:
        """(block hash, height, position) of a transaction in the active chain."""
        row = self.db.execute(
            "SELECT block_hash, height, idx FROM txindex WHERE txid = ?", (txid,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])


class _Transaction:
    """`with` block around BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
