"""Manage API keys (docs/security.md); needs DATABASE_URL.

    python -m services.admin.api_keys create --role viewer --client acme --name "Acme portal"
    python -m services.admin.api_keys create --role publisher --client acme \
        --agreement acme-helpdesk --connector zendesk --name "Acme Zendesk"
    python -m services.admin.api_keys list
    python -m services.admin.api_keys revoke sw_AbCdEfGhIjKl
    python -m services.admin.api_keys grant sw_AbCdEfGhIjKl agent_detail [--withdraw]

`create` prints the token once: only its hash is stored, so a lost token cannot be shown
again (revoke it and create another). Revoking takes effect on the next request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.auth import key_store as store
from services.core.auth.access import ApiKeyRecord, Role, check_scope, issue_key
from services.core.settings import DatabaseSettings
from services.core.storage.session import make_engine, make_sessionmaker


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m services.admin.api_keys", description=__doc__)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    commands = p.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print its token once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--client", help="the one client a viewer sees or a publisher feeds")
    create.add_argument(
        "--agreement",
        action="append",
        dest="agreements",
        help="publishers: may write only this agreement of the client (repeatable)",
    )
    create.add_argument("--connector", help="publishers: events must carry this `source`")
    create.add_argument("--name", required=True, help="who or what uses the key")
    commands.add_parser("list", help="list the keys (never their tokens)")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the id `list` shows (the token's first 15 characters)")
    grant = commands.add_parser("grant", help="let a key read per-agent breakdowns")
    grant.add_argument("key_id", help="the id `list` shows")
    grant.add_argument("grant", choices=["agent_detail"], help="what to grant")
    grant.add_argument("--withdraw", action="store_true", help="take the grant back")
    args = p.parse_args(argv)
    if args.command == "create":
        try:
            check_scope(Role(args.role), args.client, _agreements(args), args.connector)
        except ValueError as exc:
            p.error(str(exc))
    return args


_HEADER = "\t".join(
    [
        "key_id",
        "role",
        "client",
        "agreements",
        "connector",
        "created_at",
        "revoked_at",
        "grants",
        "name",
    ]
)


def _agreements(args: argparse.Namespace) -> frozenset[str] | None:
    return None if args.agreements is None else frozenset(args.agreements)


def _row(record: ApiKeyRecord) -> str:
    revoked = record.revoked_at.isoformat(timespec="seconds") if record.revoked_at else "-"
    created = record.created_at.isoformat(timespec="seconds")
    agreements = ",".join(sorted(record.agreements)) if record.agreements is not None else "*"
    scope = [record.client or "*", agreements, record.connector or "*"]
    grants = "agent_detail" if record.agent_detail else "-"
    return "\t".join([record.key_id, record.role, *scope, created, revoked, grants, record.name])


async def _carry_out(session: AsyncSession, args: argparse.Namespace) -> tuple[int, str, str]:
    now = datetime.now(UTC)
    if args.command == "create":
        token, record = issue_key(
            Role(args.role),
            args.client,
            args.name,
            now,
            agreements=_agreements(args),
            connector=args.connector,
        )
        await store.insert_key(session, record)
        return 0, token, f"created {record.key_id}; the token is shown only now"
    if args.command == "list":
        rows = [_row(record) for record in await store.list_keys(session)]
        return 0, "\n".join([_HEADER, *rows]), ""
    if args.command == "grant":
        if await store.grant_agent_detail(session, args.key_id, not args.withdraw):
            done = "withdrew" if args.withdraw else "granted"
            return 0, "", f"{done} {args.grant} for {args.key_id}"
        return 1, "", f"no live key {args.key_id!r}"
    if await store.revoke_key(session, args.key_id, now):
        return 0, "", f"revoked {args.key_id}"
    return 1, "", f"no live key {args.key_id!r}"


async def run(args: argparse.Namespace, database: DatabaseSettings) -> int:
    """Carry out one command in one transaction, then print; the exit status."""
    engine = make_engine(database)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            status, out, err = await _carry_out(session, args)
    finally:
        await engine.dispose()
    # Only after the commit: a printed token is a stored key.
    if out:
        print(out)
    if err:
        print(err, file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv), DatabaseSettings()))


if __name__ == "__main__":
    sys.exit(main())
