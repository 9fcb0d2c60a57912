"""Delivery tests: the example plan with every channel pointed at local receivers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.events import service as events
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.conftest import EXAMPLE_PLAN
from tests.notify.receivers import (
    HttpReceiver,
    RecordedRequest,
    Reply,
    SmtpReceiver,
    http_receiver,
    smtp_receiver,
)

__all__ = ["http_receiver", "smtp_receiver"]

VENDOR_URLS = {
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send": "/wecom",
    "https://oapi.dingtalk.com/robot/send": "/dingtalk",
    "https://open.feishu.cn/open-apis/bot/v2/hook": "/feishu",
    "https://hooks.slack.com/services": "/slack",
    "https://sms-gateway.example.com/v1/page": "/sms",
    "https://dysmsapi.aliyuncs.com/": "/aliyun/",
    "https://api.twilio.com": "/twilio",
}
SECRETS = {
    "EG_WECOM_TECH_KEY": "wecom-key",
    "EG_DINGTALK_OPS_TOKEN": "ding-token",
    "EG_DINGTALK_OPS_SIGN": "SECdingsigningsecret",
    "EG_FEISHU_PR_HOOK_TOKEN": "feishu-hook",
    "EG_FEISHU_PR_SIGN": "feishu-signing-secret",
    "EG_SLACK_WEBHOOK_PATH": "T000/B000/XXXX",
    "EG_SMS_GATEWAY_TOKEN": "sms-token",
    "EG_SMS_GATEWAY_HMAC": "whsec_c21zLWdhdGV3YXktc2lnbmluZy1zZWNyZXQtMzJieXRlcw==",
    "EG_ALIYUN_SMS_KEY_ID": "LTAI5tExampleKeyId",
    "EG_ALIYUN_SMS_KEY_SECRET": "aliyun-access-key-secret+/=",
    "EG_TWILIO_AUTH_TOKEN": "twilio-auth-token-0001",
}


VENDOR_OK = {
    "/wecom": b'{"errcode":0,"errmsg":"ok"}',
    "/dingtalk": b'{"errcode":0,"errmsg":"ok"}',
    "/feishu": b'{"code":0,"msg":"success","data":{}}',
    "/slack": b"ok",
    "/sms": b'{"accepted":true}',
    "/aliyun": b'{"Code":"OK","Message":"OK","BizId":"900619746936^0","RequestId":"r-1"}',
    "/twilio": b'{"sid":"CAffffffffffffffffffffffffffffffff","status":"queued"}',
}


def vendor_ok(request: RecordedRequest) -> Reply:
    """What each vendor answers to a good request."""
    return Reply(200, VENDOR_OK.get("/" + request.path.split("/")[1], b"ok"))


@pytest.fixture
def local_event(
    db: Session, clock: FrozenClock, http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> Event:
    """The example plan, its robots and gateways at the HTTP receiver, their secrets in the env."""
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    for vendor, path in VENDOR_URLS.items():
        source = source.replace(vendor, http_receiver.url.rstrip("/") + path)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    http_receiver.answer_with(vendor_ok)
    version = plans.apply_plan(
        db=db, source=source, filename="local.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    event = events.get(db=db, event_id=version.event_id)
    db.commit()
    return event


@pytest.fixture
def worker_context(clock: FrozenClock, smtp_receiver: SmtpReceiver) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url="sqlite://",
        secret_key="test-secret-key",
        base_url="http://eg.test",
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
    )
    with httpx.Client() as client:
        yield WorkerContext(clock=clock, settings=settings, http=client, name="test-worker")
