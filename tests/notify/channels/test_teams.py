"""Microsoft Teams: a message with one Adaptive Card attachment, posted to the workflow URL."""

from __future__ import annotations

import pytest

from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.teams import TeamsChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply

PATH = "/workflows/3f2a/triggers/manual/paths/invoke"


def target(receiver: HttpReceiver, **options: object) -> ChannelTarget:
    address = f"{receiver.url}{PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t"
    return ChannelTarget(kind="teams", address=address, options=options)


def test_it_posts_an_adaptive_card_message(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(202, b""))
    receipt = TeamsChannel(context).send(
        sample_notification(mentions=["li.na@example.com"]), target(http_receiver)
    )
    request = http_receiver.last
    assert receipt.status_code == 202
    assert request.path == PATH and request.query["sig"] == ["s3cr3t"]
    body = request.json()
    assert body["type"] == "message" and len(body["attachments"]) == 1
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title = card["body"][0]
    assert title["text"] == "[L1] 直播中断" and title["color"] == "Attention" and title["weight"] == "Bolder"
    assert any(block["type"] == "FactSet" for block in card["body"])
    assert [action["type"] for action in card["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert card["actions"][0]["url"] == "https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead"
    [mention] = card["msteams"]["entities"]
    assert mention == {
        "type": "mention",
        "text": "<at>li.na@example.com</at>",
        "mentioned": {"id": "li.na@example.com", "name": "li.na@example.com"},
    }
    assert any("<at>li.na@example.com</at>" in str(block.get("text")) for block in card["body"])


def test_a_drill_card_says_so(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(202, b""))
    TeamsChannel(context).send(sample_notification(is_drill=True), target(http_receiver))
    texts = [
        block.get("text", "") for block in http_receiver.last.json()["attachments"][0]["content"]["body"]
    ]
    assert texts[0].startswith("【演练】") and any("这是一次演练" in text for text in texts)


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [
        (Reply(429, b"", headers={"Retry-After": "9"}), False),
        (Reply(502, b"bad gateway"), False),
        (Reply(400, b"BadRequest"), True),
        (Reply(401, b"DirectApiAuthorizationRequired"), True),
        (Reply(404, b"WorkflowNotFound"), True),
        (
            Reply(
                200,
                b"Webhook message delivery failed with error: "
                b"Microsoft Teams endpoint returned HTTP error 429",
            ),
            False,
        ),
        (Reply(200, b"Webhook message delivery failed with error: ConnectorConfigurationNotFound"), True),
    ],
)
def test_answers_are_temporary_or_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, reply: Reply, permanent: bool
) -> None:
    http_receiver.reply(reply)
    with pytest.raises(TransportError) as error:
        TeamsChannel(context).send(sample_notification(), target(http_receiver))
    assert error.value.permanent is permanent
    if reply.status == 429:
        assert error.value.retry_after == 9.0
