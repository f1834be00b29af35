"""Reaching members: ``POST /notifications``, ``POST /dm_channels`` and ``POST /messages``.

Nothing is delivered to anyone; each accepted push or message is recorded as a ``Sent`` so a
test can read what a member would have received. Messages are sent as the app's own user."""

from __future__ import annotations

from typing import Any

from steward.providers.whop.sandbox.state import JSON, Sent, Store, bad_request, iso, not_found

APP_USER: JSON = {"id": "user_sandboxapp0001", "name": "Sandbox App", "username": "sandbox-app"}


def notify(store: Store, params: JSON, idempotency_key: str | None) -> JSON:
    title, content = _text(params, "title"), _text(params, "content")
    experience, account = params.get("experience_id"), params.get("account_id")
    if (experience is None) == (account is None):
        raise bad_request("Exactly one of experience_id or account_id is required")
    for name, value in (("experience_id", experience), ("account_id", account)):
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
    if account is not None and account not in store.companies:
        raise not_found("Account", account)
    user_ids = _user_ids(params.get("user_ids", []), "user_ids")
    sent = Sent("push", user_ids, content, title=title, experience_id=experience,
                account_id=account, idempotency_key=idempotency_key, at=store.now())  # fmt: skip
    store.sent.append(sent)
    return {"success": True}


def open_channel(store: Store, params: JSON) -> JSON:
    """The DM channel between the app and these users: the existing one if there is one."""
    with_users = _user_ids(params.get("with_user_ids"), "with_user_ids")
    if not with_users:
        raise bad_request("with_user_ids must list at least one user")
    unknown = [u for u in with_users if u not in store.users]
    if unknown:
        raise not_found("User", unknown[0])
    account = params.get("account_id")
    if account is not None and account not in store.companies:
        raise not_found("Account", str(account))
    members = frozenset(with_users) | {APP_USER["id"]}
    channel = store.channels.get(members)
    if channel is None:
        channel = {
            "id": store.new_id("feed"), "created_at": str(int(store.now() * 1000)),
            "last_message_at": None, "name": params.get("custom_name"),
            "_members": sorted(members), "_account_id": account,
        }  # fmt: skip
        store.channels[members] = channel
    return _public(channel)


def post_message(store: Store, params: JSON, idempotency_key: str | None) -> JSON:
    channel_id, content = _text(params, "channel_id"), _text(params, "content")
    channel = next((c for c in store.channels.values() if c["id"] == channel_id), None)
    if channel is None:
        raise not_found("Channel", channel_id)
    now = iso(store.now())
    channel["last_message_at"] = now
    recipients = tuple(m for m in channel["_members"] if m != APP_USER["id"])
    sent = Sent("dm", recipients, content, account_id=channel["_account_id"],
                channel_id=channel_id, idempotency_key=idempotency_key, at=store.now())  # fmt: skip
    store.sent.append(sent)
    return {
        "id": store.new_id("post"), "content": content, "created_at": now, "is_edited": False,
        "is_pinned": False, "mentions": [], "mentions_everyone": False,
        "message_type": "regular", "poll": None, "poll_votes": [], "reaction_counts": [],
        "replying_to_message_id": params.get("replying_to_message_id"), "updated_at": now,
        "user": dict(APP_USER), "view_count": None,
    }  # fmt: skip


def _public(channel: JSON) -> JSON:
    return {k: v for k, v in channel.items() if not k.startswith("_")}


def _text(params: JSON, name: str) -> str:
    value: Any = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} is required")
    return value


def _user_ids(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{name} must be a list of user ids")
    return tuple(value)
