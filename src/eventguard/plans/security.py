"""Who may change a plan's security policy: only an admin.

The ``security`` section of a plan (the roles that must use two-factor authentication, and any
security setting added to it later) is compared field by field with the event's plan in force (the
defaults for an event's first plan). A change is refused unless the caller acts as an admin: a user
or token whose effective role is admin, or the operator at the server's command line (``Actor.cli``,
the system), who holds the database itself. The refusal names the fields; the plan is not applied.
"""

from __future__ import annotations

from typing import Any

from eventguard.audit.service import Actor
from eventguard.auth.models import Role
from eventguard.errors import Forbidden
from eventguard.i18n import Message
from eventguard.plans.schemas import Security

# Actors that act with the database's own rights: the command line and the system itself.
OPERATOR_ACTORS = frozenset({"cli", "system"})


def _comparable(value: Any) -> Any:
    # A list of names is a set: [admin, commander] and [commander, admin] are the same policy.
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return sorted(set(value))
    return value


def policy(security: Security) -> dict[str, Any]:
    """The security settings as stored in audit entries (JSON values)."""
    return {name: _comparable(value) for name, value in security.model_dump(mode="json").items()}


def changed_fields(before: Security, after: Security) -> list[str]:
    """``security.<field>`` for every setting whose value differs."""
    old, new = policy(before), policy(after)
    return [f"security.{name}" for name in Security.model_fields if old.get(name) != new.get(name)]


def may_change(actor: Actor, role: Role | None) -> bool:
    """Whether the caller may change security settings: an admin role, or the operator."""
    return role is Role.admin or (role is None and actor.type in OPERATOR_ACTORS)


def check_change(*, actor: Actor, role: Role | None, before: Security, after: Security) -> list[str]:
    """The changed fields; Forbidden ``security_policy_admin_only`` if the caller may not change them."""
    changed = changed_fields(before, after)
    if changed and not may_change(actor, role):
        raise Forbidden(
            Message(
                "Only an admin may change the plan's security policy ({fields}); the plan was not "
                "applied. Keep these settings as they are, or ask an admin to apply it.",
                {"fields": ", ".join(changed)},
            ),
            code="security_policy_admin_only",
            details={"fields": changed, "role": role.value if role is not None else actor.type},
        )
    return changed
