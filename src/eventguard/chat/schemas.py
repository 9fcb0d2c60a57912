"""Request and answer bodies of the chat API (secrets go in, never come out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eventguard.inputs import SafeStr


class ChatAppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_id: SafeStr = Field(
        min_length=1,
        max_length=200,
        description="Slack app id, Feishu app_id, DingTalk AppKey, WeCom CorpID.",
    )
    secrets: dict[SafeStr, SafeStr] = Field(
        default_factory=dict,
        description="slack: bot_token, signing_secret; feishu: app_secret, verification_token, encrypt_key; "
        "dingtalk: app_secret; wecom: corp_secret, callback_token, encoding_aes_key. Left out: kept.",
    )
    settings: dict[SafeStr, Any] = Field(
        default_factory=dict, description="Non-secret options (slack: team_id; dingtalk, wecom: owner)."
    )
    base_url: SafeStr | None = Field(
        default=None, max_length=500, description="API base URL (default: the platform's)."
    )


class ChatAppRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: str
    app_id: str
    base_url: str
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="Names of the secrets stored (their values are never shown).")
    token_expires_at: datetime | None
    callback_path: str = Field(description="Where the platform sends buttons and messages.")
    updated_at: datetime
    updated_by: str


class WarRoomIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platforms: list[SafeStr] = Field(
        default_factory=list, description="Empty: the plan's, else every platform set up."
    )


class WarRoomRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    platform: str
    status: str = Field(description="pending (being created), open, failed")
    name: str
    chat_id: str | None
    link: str | None
    members: list[str]
    last_error: str | None
    created_at: datetime
    opened_at: datetime | None


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: SafeStr = Field(min_length=1, max_length=200, description="The user's id on the platform.")


class IdentityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: str
    external_id: str
    username: str
