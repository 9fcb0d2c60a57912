"""The demo's history after the fact: one finished drill (the example plan's data-leak tabletop
exercise, answered and scored) and one postmortem (of a rehearsed livestream stall, resolved, edited
once, with an action item), made through the real services on a clock set a few hours back, so that
the console's drill and postmortem pages have something to show. Made once: a demo database that
already has a drill run or a postmortem is left as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock, SystemClock
from eventguard.drills import service as drills
from eventguard.events import service as events
from eventguard.incidents import service as incidents
from eventguard.plans import service as plans
from eventguard.reviews import service as reviews

TABLETOP = "data-leak-tabletop"
ANSWERS = (
    (2, "tech", "技术负责人立即封堵导出接口并保全日志;5 分钟内电话通知法务和活动负责人。"),
    (
        2,
        "legal",
        "按国家网络安全事件报告管理办法,4 小时内向主管部门报告:经过、数据类别、原因与危害、已采取措施。",
    ),
    (1, "pr", "公关起草告知,法务审核;但没有说出需指挥官批准发布。"),
)


def seed_history(db: Session, *, slug: str, language: str) -> tuple[int | None, int | None]:
    """The finished drill run and the postmortem (their ids), or (None, None) when the event
    already has either."""
    event = events.get_by_slug(db=db, slug=slug)
    if drills.list_runs(db=db, event_id=event.id, limit=1) or reviews.list_postmortems(
        db=db, event_id=event.id, limit=1
    ):
        return None, None
    spec = plans.get_active_plan(db=db, event_id=event.id)
    clock = FrozenClock(SystemClock().now() - timedelta(hours=3))
    facilitator, ops, boss = (
        Actor.cli("刘洋 (facilitator)"),
        Actor.cli("王强 (ops)"),
        Actor.cli("张伟 (commander)"),
    )
    run_id: int | None = None
    if spec.drill(TABLETOP) is not None:
        run = drills.start(db=db, event=event, drill_id=TABLETOP, actor=boss, clock=clock)
        for position, (rating, team, answer) in enumerate(ANSWERS, start=1):
            clock.advance(timedelta(minutes=9))
            drills.record_answer(
                db=db,
                run=run,
                spec=spec,
                position=position,
                answer=answer,
                rating=rating,
                team=team,
                actor=facilitator,
                clock=clock,
            )
        clock.advance(timedelta(minutes=5))
        notes = "法务对报告时限很熟悉;公关需要补上“指挥官批准发布”这一步。"
        drills.finish(db=db, run=run, notes=notes, actor=boss, clock=clock)
        run_id = run.id
    clock.advance(timedelta(minutes=20))
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="主会场直播卡顿(演练)",
        level=2,
        scenario_id="livestream-interruption" if spec.scenario("livestream-interruption") else None,
        core_functions=None,
        impact="主会场观众画面冻结约 20 分钟",
        phase=None,
        actor=ops,
        clock=clock,
        is_drill=True,
    )
    clock.advance(timedelta(minutes=3))
    incidents.acknowledge(db=db, incident=incident, actor=ops, clock=clock)
    clock.advance(timedelta(minutes=6))
    incidents.add_progress(
        db=db,
        incident=incident,
        text="主推流编码器过载,已切换到备用直播平台",
        eta=None,
        team=None,
        actor=ops,
        clock=clock,
    )
    clock.advance(timedelta(minutes=12))
    incidents.resolve(db=db, incident=incident, actor=ops, clock=clock, note="备用平台稳定,主推流已恢复")
    postmortem = reviews.create_for_incident(
        db=db, incident=incident, actor=reviews.SYSTEM, clock=clock, language=language
    )
    clock.advance(timedelta(minutes=30))
    reviews.edit(
        db=db,
        postmortem=postmortem,
        sections={
            "root_causes": "主推流编码器 CPU 长时间 100%,没有容量告警。",
            "went_well": "3 分钟内确认,备用平台切换按预案步骤完成。",
            "went_badly": "公告晚于切换 10 分钟发布。",
            "lucky": "卡顿发生在茶歇前后,观众较少。",
            "lessons": "编码器需要容量告警;公告模板应预先填好备用链接。",
        },
        participants_affected=1800,
        actor=ops,
        clock=clock,
    )
    team = "tech" if spec.team("tech") else spec.teams[0].id
    reviews.add_item(
        db=db,
        postmortem=postmortem,
        title="为主推流编码器添加 CPU 容量告警",
        owner_team=team,
        due_at=clock.now() + timedelta(days=7),
        actor=ops,
        clock=clock,
    )
    return run_id, postmortem.id
