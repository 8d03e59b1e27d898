"""supabase/migrations/ applied in order and recorded as the Supabase CLI records them.

The history is supabase_migrations.schema_migrations (version, name, statements), created with
the CLI's own statements, so `supabase migration list` or `db push` read the same history.
Each file runs in one transaction with its history row: it is applied whole, or not at all.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

# The CLI's pattern: <version>_<name>.sql; it skips other files, and so does this.
MIGRATION_FILE = re.compile(r"^([0-9]+)_(.*)\.sql$")
HISTORY_TABLE = [
    "SET lock_timeout = '4s'",
    "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
    "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations "
    "(version text NOT NULL PRIMARY KEY)",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
]
DOLLAR_QUOTE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    path: Path
    version: str
    name: str

    @classmethod
    def found_in(cls, folder: Path) -> list["Migration"]:
        migrations = []
        for path in sorted(folder.glob("*.sql")):
            if match := MIGRATION_FILE.match(path.name):
                migrations.append(cls(path, match[1], match[2]))
        return sorted(migrations, key=lambda migration: migration.version)

    def statements(self) -> list[str]:
        return split_statements(self.path.read_text())


def split_statements(sql: str) -> list[str]:
    """Split SQL at each semicolon outside quotes, comments, dollar quotes, parentheses and
    BEGIN ATOMIC bodies, as the CLI does; trimmed of the semicolon and space, none empty."""
    statements, start, index = [], 0, 0
    inside: list[str] = []  # the ")" or "END" that closes each open group
    while index < len(sql):
        char = sql[index]
        if sql.startswith("--", index):
            end = sql.find("\n", index)
            index = len(sql) if end < 0 else end + 1
        elif sql.startswith("/*", index):
            depth, index = 1, index + 2
            while depth and index < len(sql):
                if sql.startswith("/*", index):
                    depth, index = depth + 1, index + 2
                elif sql.startswith("*/", index):
                    depth, index = depth - 1, index + 2
                else:
                    index += 1
        elif char in "'\"":
            end = sql.find(char, index + 1)
            index = len(sql) if end < 0 else end + 1  # a doubled quote reopens it at once
        elif char == "\\":
            index += 2
        elif char == "$" and (tag := DOLLAR_QUOTE.match(sql, index)):
            end = sql.find(tag[0], tag.end())
            index = len(sql) if end < 0 else end + len(tag[0])
        elif char == "(":
            inside.append(")")
            index += 1
        elif index > 0 and sql[index - 1].isspace() and sql[index : index + 6].upper() == "ATOMIC":
            inside.append("END")
            index += 6
        elif inside and sql[index : index + len(inside[-1])].upper() == inside[-1]:
            index += len(inside.pop())
        elif char == ";" and not inside:
            statements.append(sql[start : index + 1])
            start = index = index + 1
        else:
            index += 1
    statements.append(sql[start:])
    trimmed = (statement.rstrip(";").strip() for statement in statements)
    return [statement for statement in trimmed if statement]


def applied_versions(connection: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    with connection.transaction():
        for statement in HISTORY_TABLE:
            connection.execute(statement.encode())
    rows = connection.execute(
        "select version from supabase_migrations.schema_migrations"
    ).fetchall()
    return {str(version) for (version,) in rows}


def apply_migrations(dsn: str, folder: Path) -> list[Migration]:
    """Apply, in order, each migration of `folder` not yet in the history; return them."""
    applied = []
    with psycopg.connect(dsn, autocommit=True) as connection:
        done = applied_versions(connection)
        for migration in Migration.found_in(folder):
            if migration.version in done:
                continue
            statements = migration.statements()
            with connection.transaction():
                for number, statement in enumerate(statements, start=1):
                    try:
                        connection.execute(statement.encode())
                    except psycopg.Error as error:
                        raise MigrationError(
                            f"{migration.path.name} failed at statement {number}: {error}\n"
                            "Nothing of it was applied; fix it, then start again."
                        ) from error
                connection.execute(
                    "insert into supabase_migrations.schema_migrations"
                    "(version, name, statements) values (%s, %s, %s)",
                    [migration.version, migration.name, statements],
                )
            applied.append(migration)
    return applied
