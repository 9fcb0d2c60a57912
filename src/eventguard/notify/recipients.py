"""Who gets told: a level's (or escalation step's) notify targets resolved to people through the
on-call schedules, each with their contact methods in failover order, plus group channels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventguard.notify.channels import facts_for
from eventguard.plans.schemas import Channel, ChannelTarget, Person, PersonTarget, PlanSpec, TeamTarget

OnCallLookup = Callable[[str], list[str]]  # team id -> person ids on call now


@dataclass(frozen=True)
class ContactMethod:
    """One way to reach someone: a channel kind, where, and how (secrets only by env var name)."""

    kind: str
    address: str
    channel_id: str | None = None
    secret_env: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str]:
        return self.kind, self.address


@dataclass(frozen=True)
class Recipient:
    """A notified role (the SLA is kept per ``target``) and its contact methods in failover order."""

    target: str  # e.g. "team:tech:lead#zhang-wei", "person:li-na", "channel:tech-wecom"
    person: Person | None
    methods: tuple[ContactMethod, ...]


def channel_method(channel: Channel, mention: str | None = None) -> ContactMethod:
    """How to post to a plan channel; secrets stay as environment variable names until sending."""
    options: dict[str, Any] = dict(channel.config)  # the channel kind's own settings (its config schema)
    if channel.signing_secret_env:
        options["signing_secret_env"] = channel.signing_secret_env
    if channel.keywords:
        options["keywords"] = list(channel.keywords)
    if mention:
        options["mentions"] = [mention]
    return ContactMethod(
        kind=channel.type,
        address=channel.target,
        channel_id=channel.id,
        secret_env=channel.secret_env,
        options=options,
    )


def contact_methods(spec: PlanSpec, person: Person) -> tuple[ContactMethod, ...]:
    """The person's methods, fastest first: their teams' IM groups (with a mention of them), their
    e-mail, then paging gateways (webhook channels of their teams) with their phone number."""
    teams = [team for team in spec.teams if person.id == team.lead or person.id in team.members]
    channels = [
        spec_channel for team in teams for cid in team.channels if (spec_channel := _channel(spec, cid))
    ]
    methods: list[ContactMethod] = []
    for channel in channels:
        field = facts_for(channel.type).im_handle  # which of the person's IM handles this channel uses
        handle = getattr(person.im, field, None) if field else None
        if handle:
            methods.append(channel_method(channel, mention=handle))
    if person.email:
        methods.append(ContactMethod(kind="email", address=person.email, options={"person": person.id}))
    if person.phone:
        for channel in channels:
            if facts_for(channel.type).pages_by_phone:
                method = channel_method(channel)
                methods.append(
                    ContactMethod(
                        kind=method.kind,
                        address=method.address,
                        channel_id=method.channel_id,
                        secret_env=method.secret_env,
                        options={**method.options, "phone": person.phone},
                    )
                )
    return tuple(_unique(methods))


def _unique(methods: Sequence[ContactMethod]) -> list[ContactMethod]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for method in methods:
        marker = (*method.key(), str(method.options.get("mentions") or method.options.get("phone") or ""))
        if marker not in seen:
            seen.add(marker)
            unique.append(method)
    return unique


def _channel(spec: PlanSpec, channel_id: str) -> Channel | None:
    return next((channel for channel in spec.channels if channel.id == channel_id), None)


def _person(spec: PlanSpec, person_id: str) -> Person | None:
    return next((person for person in spec.people if person.id == person_id), None)


def resolve(
    spec: PlanSpec, targets: Sequence[TeamTarget | PersonTarget | ChannelTarget], on_call: OnCallLookup
) -> list[Recipient]:
    """Targets -> recipients. A team's ``lead`` is whoever is on call for it now (its lead when it has
    no schedule); ``members`` are its members; ``all`` both. Each team also gets its group channels."""
    recipients: dict[str, Recipient] = {}

    def add(target: str, person: Person | None, methods: tuple[ContactMethod, ...]) -> None:
        if methods and target not in recipients:
            recipients[target] = Recipient(target=target, person=person, methods=methods)

    for item in targets:
        if isinstance(item, ChannelTarget):
            channel = _channel(spec, item.channel)
            if channel is not None:
                add(f"channel:{channel.id}", None, (channel_method(channel),))
        elif isinstance(item, PersonTarget):
            person = _person(spec, item.person)
            if person is not None:
                add(f"person:{person.id}", person, contact_methods(spec, person))
        else:
            _add_team(spec, item, on_call, add)
    # A group that already gets the message with a mention of someone is not posted to twice.
    mentioned_in = {r.methods[0].channel_id for r in recipients.values() if r.person and r.methods}
    return [
        r for key, r in recipients.items() if not (key.startswith("channel:") and key[8:] in mentioned_in)
    ]


def _add_team(
    spec: PlanSpec,
    item: TeamTarget,
    on_call: OnCallLookup,
    add: Callable[[str, Person | None, tuple[ContactMethod, ...]], None],
) -> None:
    team = spec.team(item.team)
    if team is None:
        return
    people_ids: list[str] = []
    if item.role in ("lead", "all"):
        people_ids += on_call(team.id) or ([team.lead] if team.lead else [])
    if item.role in ("members", "all"):
        people_ids += team.members
    for person_id in dict.fromkeys(people_ids):
        person = _person(spec, person_id)
        if person is not None:
            add(f"team:{team.id}:{item.role}#{person.id}", person, contact_methods(spec, person))
    for channel_id in team.channels:  # the team's group channels hear about it too
        channel = _channel(spec, channel_id)
        if channel is not None and not facts_for(channel.type).pages_by_phone:  # it needs a person
            add(f"channel:{channel.id}", None, (channel_method(channel),))
