"""AWS Organizations: which accounts an organisation-wide audit covers.

`organizations:ListAccounts` answers only in the management account or a delegated
administrator account. Accounts that are not `ACTIVE` (`SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`)
are left out: nothing in them can run, and their roles can no longer be assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from auditor.errors import CollectError

PERMISSIONS = ("organizations:ListAccounts",)


@dataclass(frozen=True)
class OrgAccount:
    """One account of the organisation as ListAccounts describes it."""

    id: str
    name: str
    state: str  # ACTIVE | SUSPENDED | PENDING_CLOSURE | CLOSED


def _state(entry: dict[str, Any]) -> str:
    # `State` replaces the older `Status` (retired in 2026); read whichever the answer carries
    return str(entry.get("State") or entry.get("Status") or "UNKNOWN")


def list_accounts(client: Any) -> list[OrgAccount]:
    """Every account of the organisation, in ListAccounts order; CollectError (exit 3) with
    what to do when the caller may not list them."""
    accounts: list[OrgAccount] = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            for entry in page.get("Accounts", []):
                accounts.append(
                    OrgAccount(id=str(entry["Id"]), name=str(entry.get("Name", "")), state=_state(entry))
                )
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = str(exc.response.get("Error", {}).get("Message", "")).splitlines()[0:1]
        raise CollectError(
            f"--org cannot list the organisation's accounts ({code}: {''.join(message)[:200]}): run it "
            "from the management account or a delegated administrator, or name accounts with --account"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise CollectError(f"--org cannot list the organisation's accounts: {exc}"[:300]) from None
    return accounts


def active_accounts(client: Any) -> tuple[list[OrgAccount], list[OrgAccount]]:
    """(accounts to audit, accounts left out because they are not ACTIVE)."""
    accounts = list_accounts(client)
    return [a for a in accounts if a.state == "ACTIVE"], [a for a in accounts if a.state != "ACTIVE"]
