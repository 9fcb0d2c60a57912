"""The reporting duties EventGuard ships (docs/compliance.md gives their sources and wording).

A plan's ``compliance.rules`` replaces the whole list; without it these apply:

* 国家网络安全事件报告管理办法 (CAC, 2025-09-11, in force 2025-11-01), Art. 4: incidents of grade
  较大 (significant) and above are reported by a critical-information-infrastructure operator to its
  protection department and the public security organ within 1 hour at the latest, by a central or
  state body to its own cyberspace-affairs office within 2 hours, by any other operator to the
  provincial cyberspace administration within 4 hours.
* PIPL (个人信息保护法) Art. 57: personal information leaked, tampered with or lost (or likely so):
  remedial measures at once and notice to the authority and the individuals; the law says
  "立即" (without delay) and sets no hours, so the 4-hour deadline here is an internal target.
* GDPR Art. 33: personal data of EU residents: the supervisory authority without undue delay and,
  where feasible, within 72 hours of awareness; information may be given in phases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eventguard.plans.schemas import Compliance, ComplianceRule, OperatorType

_CAC_SOURCE = (
    "国家网络安全事件报告管理办法 第四条 (国家互联网信息办公室 2025-09-11, 2025-11-01 起施行); "
    "docs/compliance.md"
)
_CAC_CONTENT = [
    (
        "事发单位名称、事件发生与发现时间、地点、类型和级别",
        "Operator, time of the incident and of its discovery, place, type and grade",
    ),
    ("已造成的影响和危害", "Impact and harm so far"),
    ("已采取的应急处置措施及效果", "Response measures taken and their effect"),
    ("事态发展趋势及可能造成的进一步影响和危害", "How it may develop and the further harm it may cause"),
    ("事件原因初步分析意见", "First analysis of the cause"),
    ("拟进一步采取的应对措施以及请求支援事项", "Further measures planned and support requested"),
    ("事件现场保护情况", "How the evidence on site is preserved"),
    ("联系人及联系方式", "Contact person and how to reach them"),
]
_PIPL_CONTENT = [
    ("发生了什么:泄露、篡改、丢失的经过", "What happened: how the information leaked, was altered or lost"),
    ("涉及的个人信息种类", "The categories of personal information concerned"),
    ("原因和可能造成的危害", "The causes and the possible harm"),
    ("个人信息处理者已采取的补救措施", "The remedial measures taken"),
    ("个人可以采取的减轻危害的措施", "What individuals can do to reduce the harm"),
    ("个人信息处理者的联系方式", "How to contact the personal information handler"),
]
_GDPR_CONTENT = [
    (
        "泄露的性质,包括所涉数据主体与记录的类别和大致数量",
        "The nature of the breach, with the categories and approximate numbers of data subjects and records",
    ),
    ("数据保护官或其他联系人的姓名与联系方式", "Name and contact details of the DPO or other contact point"),
    ("可能的后果", "The likely consequences"),
    ("已采取或拟采取的处置与减轻措施", "Measures taken or proposed, including mitigation"),
    ("超过 72 小时报告时的迟延理由", "Reasons for the delay when reported after 72 hours"),
]


def _texts(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"zh-CN": zh, "en": en} for zh, en in pairs]


def _cac(
    rule_id: str, operator: OperatorType, hours: int, zh: str, en: str, authority: tuple[str, str]
) -> Any:
    return {
        "id": rule_id,
        "name": {"zh-CN": f"网络安全事件报告({zh})", "en": f"Network security incident report ({en})"},
        "source": _CAC_SOURCE,
        "authority": {"zh-CN": authority[0], "en": authority[1]},
        "within": timedelta(hours=hours),
        "min_grade": "significant",
        "operator_types": [operator],
        "phased": True,  # Art. 5: what is not known yet is reported later (补报)
        "content": _texts(_CAC_CONTENT),
    }


def default_rules() -> list[ComplianceRule]:
    """The shipped duties (see the module text); every call builds new objects."""
    raw: list[dict[str, Any]] = [
        _cac(
            "cn-cac-cii",
            "cii",
            1,
            "关键信息基础设施运营者",
            "critical information infrastructure operator",
            ("保护工作部门、公安机关", "The protection department and the public security organ"),
        ),
        _cac(
            "cn-cac-central",
            "central_state",
            2,
            "中央和国家机关",
            "central and state bodies",
            ("本部门网信工作机构", "The body's own cyberspace-affairs office"),
        ),
        _cac(
            "cn-cac-other",
            "other",
            4,
            "其他网络运营者",
            "other network operators",
            ("属地省级网信部门", "The provincial cyberspace administration where the operator is"),
        ),
        {
            "id": "cn-pipl-57",
            "name": {
                "zh-CN": "个人信息泄露通知(个保法第五十七条)",
                "en": "Personal information breach notice (PIPL Art. 57)",
            },
            "source": "中华人民共和国个人信息保护法 第五十七条 (2021-11-01 起施行); docs/compliance.md",
            "authority": {
                "zh-CN": "履行个人信息保护职责的部门及相关个人",
                "en": "The authority with personal-information-protection duties, and the individuals",
            },
            "within": timedelta(hours=4),
            "statutory": False,  # the law says 立即 (without delay): 4 h is EventGuard's internal target
            "min_grade": "general",
            "applies_to": "personal_data",
            "notify_individuals": True,
            "content": _texts(_PIPL_CONTENT),
        },
        {
            "id": "eu-gdpr-33",
            "name": {
                "zh-CN": "个人数据泄露报告(GDPR 第 33 条)",
                "en": "Personal data breach notification (GDPR Art. 33)",
            },
            "source": "Regulation (EU) 2016/679 (GDPR) Art. 33; docs/compliance.md",
            "authority": {
                "zh-CN": "主管监管机构(第 55 条)",
                "en": "The competent supervisory authority (Art. 55)",
            },
            "within": timedelta(hours=72),
            "min_grade": "general",
            "applies_to": "eu_personal_data",
            "phased": True,
            "content": _texts(_GDPR_CONTENT),
        },
    ]
    return [ComplianceRule.model_validate(item) for item in raw]


def rules_of(settings: Compliance) -> list[ComplianceRule]:
    """The plan's rules, or the shipped defaults when it has none."""
    return list(settings.rules) if settings.rules else default_rules()
