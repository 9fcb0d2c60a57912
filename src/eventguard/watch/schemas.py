"""What the content watch API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from eventguard.inputs import CleanStr, SafeStr

MAX_BATCH = 1000

Sender = Annotated[SafeStr, StringConstraints(min_length=1, max_length=128)]


class MessageIn(BaseModel):
    id: Annotated[SafeStr, StringConstraints(max_length=128)] | None = Field(
        default=None, description="The platform's id of the message (answered back by the hidden list)."
    )
    channel: Literal["chat", "comment", "qa"] = "chat"
    sender: Sender = Field(description="The platform's id of the sender (a pseudonym is enough).")
    text: Annotated[CleanStr, StringConstraints(max_length=4000)]
    sent_at: AwareDatetime | None = None


class MessageBatch(BaseModel):
    messages: list[MessageIn] = Field(max_length=MAX_BATCH, description="At most 1,000 per request.")


class BatchAnswer(BaseModel):
    accepted: int
    queued: int = Field(description="Messages that went to the moderation queue.")
    word_hits: int
    flooded: int


class QueuedRead(BaseModel):
    id: int
    external_id: str | None
    channel: str
    sender: str
    text: str
    sent_at: datetime
    received_at: datetime
    words: list[str]
    reasons: list[str]
    review: str
    reviewed_by: str | None
    sender_marked: bool


class DecisionIn(BaseModel):
    decision: Literal["approve", "hide"]


class SenderIn(BaseModel):
    sender: Sender
    note: Annotated[CleanStr, StringConstraints(max_length=500)] = ""


class SenderRead(BaseModel):
    sender: str
    marked_by: str
    marked_at: datetime
    note: str


class HiddenRead(BaseModel):
    id: int
    external_id: str | None
    sender: str
    reviewed_at: datetime | None
