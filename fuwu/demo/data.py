"""Demo data that looks real: 华安服务集团 with a residential compound and a Toyota dealership.

`build()` creates the organisation, staff with a reporting line up to one VP, customers with
their units and vehicles, and a few dozen cases standing in many different steps. Every case
change goes through `fuwu.cases.actions` as a real staff actor, so the events, clocks,
notifications and queued tasks are exactly what real use writes (and they replay). The same
seed gives the same data; procedures that are not loaded are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.choices import WorkKind
from fuwu.cases.models import Case, Event, WorkLog
from fuwu.core.actors import Actor, actor_for
from fuwu.core.choices import CalendarKind, RoleCode
from fuwu.core.models import Department, Organisation, Role, Shift, Site, Skill, Staff
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.definition import ChecklistItem, ChecklistKind, FieldDef, FieldType
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of, sync_library

User = get_user_model()
PASSWORD = "fuwu-demo"
DEFAULT_SEED = 2025
WORKERS = ("technician", "engineer")
TZ = ZoneInfo("Asia/Shanghai")


class DemoError(Exception):
    """The demo cannot be built (for example, the procedure library has problems)."""


# -- organisation and people -------------------------------------------------------------------

SITES: dict[str, dict[str, Any]] = {
    "lanting": {
        "name": "兰亭苑小区",
        "kind": "物业",
        "calendar_kind": CalendarKind.WORKING,
        "work_start": time(8, 30),
        "work_end": time(17, 30),
    },
    # The dealer's hotline and workshop are open every day of the year.
    "dealer": {
        "name": "华安丰田 4S 店",
        "kind": "4S 店",
        "calendar_kind": CalendarKind.ALWAYS,
        "use_statutory_holidays": False,
    },
}
DEPARTMENTS = {
    "lanting": [
        ("service_center", "客服中心", "Customer Service Centre"),
        ("engineering", "工程部", "Engineering"),
        ("security", "秩序维护部", "Security and Order"),
        ("finance", "财务部", "Finance"),
        ("management", "综合管理部", "General Administration"),
    ],
    "dealer": [
        ("call_center", "用户服务呼叫中心", "Customer Call Centre"),
        ("aftersales", "售后服务部", "After-sales Service"),
        ("project_management", "项目管理部", "Project Management"),
        ("workshop", "车间", "Workshop"),
        ("finance", "财务部", "Finance"),
    ],
}
SKILLS = [
    ("plumbing_electric", "水电", "Plumbing and electrics"),
    ("elevator", "电梯", "Elevators"),
    ("civil", "土建", "Building works"),
    ("access_control", "门禁", "Access control"),
    ("bodywork", "钣金", "Bodywork"),
    ("engine", "发动机", "Engine"),
    ("auto_electric", "电气", "Vehicle electrics"),
    ("aircon", "空调", "Air conditioning"),
    ("painting", "喷漆", "Paintwork"),
]
SHIFTS = [("早班", time(8), time(16)), ("中班", time(16), time(0)), ("常白班", time(9), time(18))]


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    department: str  # "site/code"
    roles: str  # comma-separated RoleCode values
    boss: str = ""
    skills: str = ""
    shift: str = "常白班"
    manages: bool = False
    both_sites: bool = False
    language: str = "zh-hans"


VP = "wang.jianguo"
PEOPLE = [
    Person(VP, "王建国", "lanting/management", "vp", manages=True, both_sites=True),
    Person("admin", "系统管理员", "lanting/management", "admin", VP, both_sites=True),
    Person("li.na", "李娜", "lanting/service_center", "manager,agent", VP, manages=True),
    Person("chen.jing", "陈静", "lanting/service_center", "agent", "li.na", shift="早班"),
    Person("zhao.min", "赵敏", "lanting/service_center", "agent", "li.na", shift="中班"),
    Person("liu.qiang", "刘强", "lanting/engineering", "manager", VP, manages=True),
    Person("sun.li", "孙丽", "lanting/engineering", "dispatcher", "liu.qiang", shift="早班"),
    Person(
        "zhou.jun",
        "周军",
        "lanting/engineering",
        "technician",
        "liu.qiang",
        "plumbing_electric,civil",
        "早班",
    ),
    Person(
        "wu.gang",
        "吴刚",
        "lanting/engineering",
        "technician",
        "liu.qiang",
        "elevator,plumbing_electric",
        "中班",
    ),
    Person(
        "zheng.hai",
        "郑海",
        "lanting/engineering",
        "technician",
        "liu.qiang",
        "access_control,civil",
        "早班",
    ),
    Person("huang.mei", "黄梅", "lanting/finance", "finance,manager", VP, manages=True),
    Person("he.yong", "何勇", "lanting/security", "security,manager", VP, manages=True),
    Person("ma.chao", "马超", "lanting/security", "security", "he.yong", "access_control", "中班"),
    Person("lin.xiaoyu", "林晓雨", "dealer/call_center", "manager,agent", VP, manages=True),
    Person("guo.ting", "郭婷", "dealer/call_center", "agent", "lin.xiaoyu", shift="早班"),
    Person(
        "xu.wen", "徐文", "dealer/call_center", "agent", "lin.xiaoyu", "", "中班", language="en"
    ),
    Person("yang.fan", "杨帆", "dealer/aftersales", "manager", VP, manages=True),
    Person(
        "tang.lei",
        "唐磊",
        "dealer/aftersales",
        "specialist,engineer",
        "yang.fan",
        "engine,auto_electric",
        language="en",
    ),
    Person("feng.bo", "冯波", "dealer/aftersales", "engineer", "tang.lei", "engine,aircon"),
    Person("cao.yu", "曹宇", "dealer/aftersales", "engineer", "tang.lei", "auto_electric,aircon"),
    Person("xie.lin", "谢琳", "dealer/project_management", "manager,agent", VP, manages=True),
    Person(
        "deng.hui", "邓辉", "dealer/workshop", "dispatcher,manager,qc", "yang.fan", manages=True
    ),
    Person("han.dong", "韩冬", "dealer/workshop", "technician", "deng.hui", "bodywork,painting"),
    Person("peng.fei", "彭飞", "dealer/workshop", "technician,qc", "deng.hui", "engine,aircon"),
    Person("luo.xia", "罗霞", "dealer/finance", "finance,manager", VP, manages=True),
]

SURNAMES = [
    ("张", "zhang"),
    ("王", "wang"),
    ("李", "li"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("高", "gao"),
    ("梁", "liang"),
    ("宋", "song"),
    ("许", "xu"),
    ("邓", "deng"),
    ("叶", "ye"),
]
GIVEN = [
    ("建华", "jianhua"),
    ("秀英", "xiuying"),
    ("志强", "zhiqiang"),
    ("丽娟", "lijuan"),
    ("海燕", "haiyan"),
    ("国栋", "guodong"),
    ("晓明", "xiaoming"),
    ("春梅", "chunmei"),
    ("文博", "wenbo"),
    ("雅琴", "yaqin"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("玉兰", "yulan"),
    ("德胜", "desheng"),
    ("佳怡", "jiayi"),
    ("俊杰", "junjie"),
]
CAR_MODELS = [
    "凯美瑞 2.0G 豪华版",
    "汉兰达 2.5L 双擎",
    "雷凌 1.5L 先锋版",
    "卡罗拉 双擎 E+",
    "RAV4 荣放 2.0L",
    "威兰达 2.0L",
    "赛那 2.5L 双擎",
    "亚洲龙 2.5L",
]
PARTS = {
    "lanting": [
        ("角阀 DN15", "35.00"),
        ("PPR 直接头 20mm", "6.50"),
        ("LED 灯管 T8 18W", "28.00"),
        ("空气开关 C32", "45.00"),
        ("防水涂料 5kg", "168.00"),
        ("耐候密封胶", "32.00"),
    ],
    "dealer": [
        ("机油滤清器", "58.00"),
        ("全合成机油 4L", "398.00"),
        ("空调滤芯", "120.00"),
        ("后氧传感器", "860.00"),
        ("稳定杆连杆", "285.00"),
        ("冷媒 R134a", "95.00"),
    ],
}
LABOUR = {
    "lanting": ["上门检查维修", "拆装及试水试电"],
    "dealer": ["故障诊断", "拆装更换配件", "路试检验"],
}

# Text for form fields a story does not fill itself, by field key.
TEXTS: dict[str, list[str]] = {
    "contact_time": ["工作日晚上 7 点后", "周末全天", "上午 9–11 点"],
    "wait_reason": ["需要客户在场配合，客户本周出差"],
    "cancel_reason": ["业主已自行联系外部师傅维修", "来电无人说话，回拨无人接听"],
    "withdraw_reason": ["业主表示已与对方协商解决，撤回投诉"],
    "escalation_reason": ["按维修手册排查两次仍无法确定原因，需上级技术支持"],
    "transfer_note": ["请核实当班人员情况，两日内反馈处理结果"],
    "analysis": ["经调阅值班记录并现场核实，投诉情况属实"],
    "explanation": ["已向业主说明该问题属开发商保修范围，物业将协助联系维保单位"],
    "assistance": ["已协助业主联系开发商维保单位，约定三日内上门处理"],
    "result_told": ["已将调查结果和整改措施告知业主，业主表示理解"],
    "customer_request": ["尽快解决并给予书面答复", "希望物业加强管理，避免再次发生"],
    "feedback": ["师傅上门及时，处理干净利落", "满意，感谢"],
    "customer_opinion": ["处理及时，态度诚恳，满意"],
    "user_feedback": ["问题已解决，服务顾问态度很好"],
    "answer": ["首保为 5000 公里或 6 个月，项目为更换机油机滤及全车检查，免工时费"],
    "engineer_answer": ["混动电池享 8 年或 20 万公里保修，首任车主不限里程"],
    "coordination": ["属合同外项目，已报价并向用户说明费用构成"],
    "specialist_notes": ["建议读取冻结帧数据后检查燃油压力和相关线束"],
    "manager_decision": ["增派一名技师协助，今日内完成"],
    "vp_instructions": ["请售后部联系厂家技术支持到店会诊，并为用户提供代步车"],
    "archive_note": ["Case 记录表已归档"],
}
OPTIONAL = ("contact_name", "contact_phone", "product")  # filled although not required
UNHAPPY = ["维修后仍有渗水，要求再次处理", "问题没有根本解决，不满意"]
GUARD_EQ = re.compile(r"data\.(\w+)\s*==\s*(true|false|\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?)")


# -- the stories: what each case went through ----------------------------------------------------


@dataclass(frozen=True)
class Story:
    procedure: str  # the library file's name without .yaml (the procedure key)
    site: str
    title: str
    days: float  # opened this many days ago
    moves: tuple[str, ...]  # transition keys, in order
    channel: str = "phone"
    priority: str = "normal"
    category: str = ""
    hints: dict[str, Any] = field(default_factory=dict)  # form values this story chooses
    opening_note: str = ""  # a remark the receiving agent adds at once
    notes: tuple[str, ...] = ()  # internal remarks where the story stops
    common_area: bool = False  # about the compound, not the customer's own unit
    pause: str = ""  # pause the clock at the end, with this reason
    transfer: tuple[str, str] | None = None  # (department code, note) at the end
    major: bool = False  # the department manager flags it major at the end

    @property
    def description(self) -> str:
        return str(self.hints.get("description") or f"客户反映：{self.title}，请尽快处理。")


REPAIR = {
    "new": (),
    "dispatch": ("issue_work_order",),
    "cancelled": ("cancel",),
    "booked": ("issue_work_order", "book"),
    "repair": ("issue_work_order", "repair_now"),
    "waiting": ("issue_work_order", "repair_now", "wait_for_owner"),
    "result": ("issue_work_order", "repair_now", "complete"),
    "finance": ("issue_work_order", "book", "arrive", "complete", "to_finance"),
    "visit": ("issue_work_order", "repair_now", "complete", "to_return_visit"),
    "archived": ("issue_work_order", "repair_now", "complete", "to_return_visit", "archive"),
    "paid": ("issue_work_order", "book", "arrive", "complete", "to_finance", "entered", "archive"),
    "reopened": ("issue_work_order", "repair_now", "complete", "to_return_visit", "reopen"),
    "resumed": (
        "issue_work_order",
        "repair_now",
        "wait_for_owner",
        "owner_ready",
        "complete",
        "to_return_visit",
    ),
}
COMMON = ("外墙", "消防通道", "楼道", "单元门", "电梯", "屋面", "地下车库")


def _repair(
    where: str,
    item: str,
    paid: bool,
    skill: str,
    channel: str,
    priority: str,
    days: float,
    path: str,
    diagnosis: str = "",
    solution: str = "",
    **extra: Any,
) -> Story:
    hints = {
        "repair_item": item,
        "location": where,
        "service_type": "paid" if paid else "free",
        "diagnosis": diagnosis or "现场检查确认故障",
        "solution": solution or "更换损坏部件",
    }
    return Story(
        "property_repair",
        "lanting",
        where + item,
        days,
        REPAIR[path],
        channel,
        priority,
        skill,
        hints | extra.pop("hints", {}),
        common_area=where.endswith(COMMON),
        **extra,
    )


REPAIRS = [
    _repair(
        "卫生间",
        "下水管漏水",
        False,
        "plumbing_electric",
        "phone",
        "high",
        27,
        "archived",
        "下水管接口胶圈老化渗漏",
        "更换胶圈并重新打胶密封",
        opening_note="业主要求下午 3 点后上门",
    ),
    _repair(
        "厨房",
        "水龙头滴水",
        False,
        "plumbing_electric",
        "wechat",
        "normal",
        22,
        "archived",
        "龙头阀芯磨损",
        "更换陶瓷阀芯",
    ),
    _repair(
        "客厅",
        "插座跳闸",
        True,
        "plumbing_electric",
        "phone",
        "normal",
        20,
        "paid",
        "插座内部接线松动短路",
        "更换五孔插座并紧固线路",
    ),
    _repair(
        "入户门",
        "锁芯损坏",
        True,
        "civil",
        "walk_in",
        "normal",
        18,
        "paid",
        "锁芯弹子卡死",
        "更换 C 级防盗锁芯",
    ),
    _repair(
        "阳台",
        "墙面渗水",
        False,
        "civil",
        "phone",
        "normal",
        16,
        "reopened",
        "阳台窗台外侧密封胶开裂",
        "重新打耐候密封胶",
        notes=("回访时业主反映雨后仍有渗水，已安排原维修师傅复查",),
    ),
    _repair(
        "空调",
        "冷凝水管堵塞",
        True,
        "plumbing_electric",
        "wechat",
        "normal",
        11,
        "finance",
        "冷凝水管积垢堵塞",
        "疏通冷凝水管并加装防虫帽",
    ),
    _repair(
        "单元门",
        "门禁刷卡无反应",
        False,
        "access_control",
        "phone",
        "high",
        10,
        "visit",
        "读卡模块受潮损坏",
        "更换读卡模块并加装防雨罩",
    ),
    _repair("卫生间", "更换热水器", True, "plumbing_electric", "phone", "normal", 9, "cancelled"),
    _repair(
        "3号电梯",
        "运行异响",
        False,
        "elevator",
        "phone",
        "high",
        7,
        "result",
        "曳引机导靴靴衬磨损",
        "更换导靴靴衬并调整间隙",
    ),
    _repair(
        "卧室",
        "吊顶开裂",
        False,
        "civil",
        "web",
        "normal",
        6,
        "waiting",
        hints={"wait_reason": "业主出差，需等业主回来确认维修方案"},
    ),
    _repair(
        "入户",
        "水表接口漏水",
        False,
        "plumbing_electric",
        "phone",
        "urgent",
        5,
        "resumed",
        "水表前端活接垫片老化",
        "关闭总阀后更换垫片",
        hints={"wait_reason": "需关闭整栋总阀，等待业主与物业约定停水时间"},
    ),
    _repair(
        "屋面",
        "防水层渗漏",
        False,
        "civil",
        "phone",
        "high",
        4,
        "booked",
        pause="等待连续晴天后再做防水施工",
    ),
    _repair(
        "厨房",
        "下水道堵塞",
        True,
        "plumbing_electric",
        "phone",
        "high",
        3,
        "repair",
        notes=("已电话告知业主师傅 30 分钟内到达",),
    ),
    _repair("窗户", "密封条老化漏风", True, "civil", "wechat", "low", 2, "booked"),
    _repair(
        "地下车库",
        "道闸抬杆失灵",
        False,
        "access_control",
        "phone",
        "normal",
        1.5,
        "dispatch",
        transfer=("security", "车库道闸由秩序维护部负责维保，转秩序维护部处理"),
    ),
    _repair(
        "2号电梯",
        "困人",
        False,
        "elevator",
        "phone",
        "urgent",
        0.8,
        "repair",
        major=True,
        opening_note="秩序维护员已到场安抚被困人员，并已通知电梯维保单位",
    ),
    _repair("可视对讲", "门铃无声音", False, "access_control", "wechat", "normal", 0.1, "new"),
    _repair("阳台", "晾衣架卡住", True, "civil", "sms", "low", 0.05, "new"),
]

COMPLAINT = {
    "new": (),
    "analyse": ("analyse",),
    "withdrawn": ("withdraw",),
    "investigate": ("analyse", "responsible", "transfer"),
    "feedback": ("analyse", "responsible", "transfer", "report_result"),
    "closed": ("analyse", "responsible", "transfer", "report_result", "fed_back", "close"),
    "explained": ("analyse", "not_responsible", "explained", "close"),
    "assisted": ("analyse", "not_responsible", "assist", "assisted", "fed_back"),
    "again": ("analyse", "responsible", "transfer", "report_result", "fed_back", "handle_again"),
}
INTAKE = {
    "phone": "call_record",
    "letter": "letter_summary",
    "visit": "visit_record",
    "walk_in": "visit_record",
}


def _complaint(
    title: str,
    path: str,
    department: str,
    channel: str,
    priority: str,
    days: float,
    cause: str = "",
    remedy: str = "",
    **extra: Any,
) -> Story:
    hints = {
        "responsible_department": department,
        "cause": cause or "经调查情况属实",
        "remedy": remedy or "已落实整改",
        "intake_method": INTAKE.get(channel, "online"),
    }
    return Story(
        "complaint",
        "lanting",
        "投诉：" + title,
        days,
        COMPLAINT[path],
        channel,
        priority,
        hints=hints | extra.pop("hints", {}),
        **extra,
    )


COMPLAINTS = [
    _complaint(
        "楼上漏水多次报修未解决",
        "closed",
        "engineering",
        "phone",
        "high",
        21,
        "楼上卫生间防水层破损，前两次维修只处理了表面",
        "重做楼上卫生间防水并修补楼下吊顶",
        hints={"compensation": "300.00"},
    ),
    _complaint(
        "夜间装修噪音扰民",
        "closed",
        "security",
        "visit",
        "normal",
        15,
        "夜间巡查未制止违规装修",
        "向违规装修户下发整改通知，夜间巡查增加装修楼层",
    ),
    _complaint(
        "车库雨后积水无人处理",
        "explained",
        "engineering",
        "wechat",
        "normal",
        12,
        hints={
            "analysis": "经核实，积水系暴雨时市政管网倒灌，非物业服务责任",
            "explanation": "已说明积水成因，物业已加装挡水板并在暴雨时及时抽排",
        },
    ),
    _complaint(
        "邻居在公共楼道堆放杂物",
        "assisted",
        "security",
        "phone",
        "low",
        10,
        hints={
            "analysis": "经核实，杂物系邻居个人堆放，非物业服务责任",
            "explanation": "已向业主说明物业将上门劝导邻居清理",
            "assistance": "秩序维护部已上门劝导，邻居当日清理完毕",
        },
    ),
    _complaint(
        "秩序维护员态度生硬",
        "feedback",
        "security",
        "walk_in",
        "normal",
        9,
        "当班秩序维护员解释访客登记规定时语气生硬",
        "对当事人批评教育并组织礼仪培训",
    ),
    _complaint(
        "绿化带垃圾清运不及时",
        "again",
        "management",
        "letter",
        "normal",
        7,
        "保洁外包单位周末人手不足",
        "要求外包单位周末增派两人",
    ),
    _complaint("宠物狗未拴绳吓到小孩", "withdrawn", "security", "wechat", "normal", 5),
    _complaint("物业费账单金额有误", "investigate", "finance", "phone", "normal", 3),
    _complaint("快递柜占用消防通道", "analyse", "security", "web", "low", 1),
    _complaint("电梯停运未提前通知", "new", "engineering", "phone", "high", 0.2),
]

CALL = {
    "new": (),
    "consult": ("answer_on_spot",),
    "ask": ("ask_engineer", "answered"),
    "cancelled": ("cancel",),
    "declined": ("coordinate", "decline"),
    "engineer": ("open_case",),
    "waiting": ("open_case", "wait_for_user"),
    "specialist": ("open_case", "to_specialist"),
    "vp": ("open_major_case", "to_specialist", "to_manager", "to_vp"),
    "close_out": ("open_case", "solve"),
    "visit": ("open_case", "solve", "close_case"),
    "closed": ("open_case", "solve", "close_case", "close"),
    "escalated": ("open_case", "to_specialist", "solve", "close_case", "close"),
    "reopened": ("open_case", "solve", "close_case", "reopen"),
}


def _call(
    title: str,
    path: str,
    kind: str,
    skill: str,
    channel: str,
    priority: str,
    days: float,
    diagnosis: str = "",
    actions_taken: str = "",
    department: str = "aftersales",
    **extra: Any,
) -> Story:
    hints = {
        "request_type": kind,
        "handling_department": department,
        "diagnosis": diagnosis or "初步检查，原因待确认",
        "actions_taken": actions_taken or "已检修",
    }
    return Story(
        "after_sales_call_center",
        "dealer",
        title,
        days,
        CALL[path],
        channel,
        priority,
        skill,
        hints | extra.pop("hints", {}),
        **extra,
    )


CALLS = [
    _call(
        "发动机故障灯常亮",
        "closed",
        "support",
        "engine",
        "phone",
        "high",
        24,
        "后氧传感器信号异常，故障码 P0136",
        "更换后氧传感器并清除故障码，路试正常",
    ),
    _call(
        "空调不制冷",
        "closed",
        "support",
        "aircon",
        "phone",
        "normal",
        19,
        "高压管接头 O 形圈老化导致冷媒泄漏",
        "更换 O 形圈，抽真空后加注冷媒 550g",
    ),
    _call("首保时间及项目咨询", "consult", "consultation", "", "phone", "low", 17),
    _call(
        "保养后底盘异响",
        "reopened",
        "complaint",
        "engine",
        "phone",
        "high",
        14,
        "右前稳定杆连杆球头松旷",
        "更换右前稳定杆连杆",
    ),
    _call("混动电池保修政策咨询", "ask", "consultation", "", "wechat", "low", 13),
    _call(
        "倒车影像黑屏",
        "escalated",
        "support",
        "auto_electric",
        "web",
        "normal",
        11,
        "倒车摄像头插接器进水腐蚀",
        "更换插接器并做防水处理",
    ),
    _call(
        "左前车门凹陷",
        "visit",
        "support",
        "bodywork",
        "phone",
        "normal",
        9,
        "左前门外板凹陷约 8cm，漆面未破损",
        "无损凹陷修复",
        department="workshop",
    ),
    _call(
        "原厂导航地图升级收费",
        "declined",
        "support",
        "",
        "email",
        "low",
        8,
        hints={"in_contract": "no"},
    ),
    _call(
        "行驶中突然熄火",
        "vp",
        "complaint",
        "engine",
        "phone",
        "urgent",
        4,
        "多次路试未能复现，怀疑燃油泵间歇性故障",
        opening_note="用户情绪激动，要求给出书面检测报告",
        hints={"manager_decision": "技术专员与车间会诊仍未找到原因，需厂家技术支持"},
    ),
    _call(
        "电动车窗无法升降",
        "waiting",
        "support",
        "auto_electric",
        "wechat",
        "normal",
        3,
        hints={"wait_reason": "用户出差，车辆下周回店检查"},
    ),
    _call("钥匙遥控距离变短", "specialist", "support", "auto_electric", "phone", "low", 2),
    _call("胎压报警灯亮", "engineer", "support", "auto_electric", "phone", "normal", 1),
    _call(
        "刹车异响",
        "close_out",
        "support",
        "engine",
        "wechat",
        "high",
        0.6,
        "前刹车片磨损到极限",
        "更换前刹车片并打磨刹车盘",
    ),
    _call("来电无人说话", "cancelled", "consultation", "", "phone", "low", 0.3),
    _call("预约保养时间咨询", "new", "consultation", "", "phone", "low", 0.1),
]
STORIES = sorted([*REPAIRS, *COMPLAINTS, *CALLS], key=lambda s: -s.days)


# -- building ---------------------------------------------------------------------------------


@dataclass
class Summary:
    logins: list[tuple[str, str, str, str]]
    counts: dict[str, int]
    problems: list[str]  # stories that stopped early, and why


def load_library() -> None:
    """Load the procedure library if none is stored yet (a fresh database)."""
    if ProcedureVersion.objects.exists():
        return
    result = sync_library()
    if result.problems:
        raise DemoError("The procedure library has problems:\n" + "\n".join(result.problems))


def build(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> Summary:
    """Create the whole demo in one transaction: all or nothing, and one commit is fastest."""
    load_library()
    with transaction.atomic():
        builder = _Builder(Random(seed), now or timezone.now())
        builder.organisation()
        builder.people()
        builder.customers()
        for story in STORIES:
            builder.play(story)
    return builder.summary()


def _guard_values(guard: str | None) -> dict[str, Any]:
    """The `data.x == literal` terms of a guard: the values a form must give to pass it."""
    return {
        key: json.loads('"' + literal[1:-1] + '"' if literal[0] == "'" else literal)
        for key, literal in GUARD_EQ.findall(guard or "")
    }


class _Builder:
    def __init__(self, rng: Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.sites: dict[str, Site] = {}
        self.departments: dict[str, Department] = {}  # "site/code"
        self.actors: dict[str, Actor] = {}
        self.by_id: dict[int | None, Actor] = {}
        self.skills: dict[int, set[str]] = {}  # user id -> skill codes
        self.customers_of: dict[str, list[Customer]] = {}
        self.asset_of: dict[int, Asset] = {}  # customer id -> unit or vehicle
        self.turn: dict[str, int] = {}
        self.problems: list[str] = []
        self.story: Story = STORIES[0]
        self.customer: Customer | None = None
        self.asset: Asset | None = None

    def phone(self) -> str:
        prefix = self.rng.choice(["139", "138", "136", "158", "159", "186", "188", "177", "133"])
        return prefix + "".join(self.rng.choice("0123456789") for _ in range(8))

    def organisation(self) -> None:
        org = Organisation.objects.create(name="华安服务集团")
        for code, spec in SITES.items():
            self.sites[code] = site = Site.objects.create(organisation=org, code=code, **spec)
            for dcode, name, name_en in DEPARTMENTS[code]:
                self.departments[f"{code}/{dcode}"] = Department.objects.create(
                    site=site, code=dcode, name=name, name_en=name_en
                )
        Role.objects.bulk_create([Role(code=c) for c in RoleCode.values], ignore_conflicts=True)
        Skill.objects.bulk_create(
            [Skill(code=c, name=n, name_en=e) for c, n, e in SKILLS], ignore_conflicts=True
        )
        Shift.objects.bulk_create([Shift(name=n, start=s, end=e) for n, s, e in SHIFTS])

    def people(self) -> None:
        hashed = make_password(PASSWORD)  # hashed once: PBKDF2 per user would take seconds
        roles = {r.code: r for r in Role.objects.all()}
        skills = {s.code: s for s in Skill.objects.all()}
        shifts = {s.name: s for s in Shift.objects.filter(name__in=[n for n, _, _ in SHIFTS])}
        staff: dict[str, Staff] = {}
        for p in PEOPLE:
            admin = p.username == "admin"
            user = User.objects.create(
                username=p.username,
                email=f"{p.username}@example.com",
                password=hashed,
                last_name=p.name[0],
                first_name=p.name[1:],
                is_staff=admin,
                is_superuser=admin,
                date_joined=self.now - timedelta(days=400),
            )
            department = self.departments[p.department]
            staff[p.username] = member = Staff.objects.create(
                user=user,
                display_name=p.name,
                phone=self.phone(),
                department=department,
                shift=shifts[p.shift],
                language=p.language,
            )
            member.sites.set(self.sites.values() if p.both_sites else [department.site])
            member.roles.set([roles[c] for c in p.roles.split(",")])
            member.skills.set([skills[c] for c in p.skills.split(",") if c])
            if p.manages:
                department.manager = user
                department.save(update_fields=["manager"])
            self.skills[user.pk] = set(filter(None, p.skills.split(",")))
        for p in PEOPLE:
            if p.boss:
                Staff.objects.filter(pk=staff[p.username].pk).update(reports_to=staff[p.boss])
        self.actors = {name: actor_for(s.user) for name, s in staff.items()}
        self.by_id = {actor.user_id: actor for actor in self.actors.values()}

    def customers(self) -> None:
        rng = self.rng
        names = rng.sample([(s, sp, g, gp) for s, sp in SURNAMES for g, gp in GIVEN], 30)
        labels: set[str] = set()
        for i, (surname, s_py, given, g_py) in enumerate(names):
            code = "lanting" if i < 18 else "dealer"
            customer = Customer.objects.create(
                site=self.sites[code],
                name=surname + given,
                phone=self.phone(),
                email=f"{g_py}.{s_py}{rng.randint(1, 99)}@example.com" if i % 5 < 2 else "",
                preferences={"contact_time": TEXTS["contact_time"][i % 3]} if i % 3 == 0 else {},
                consent_contact=rng.random() > 0.1,
                created_at=self.now - timedelta(days=rng.randint(60, 900)),
            )
            self.customers_of.setdefault(code, []).append(customer)
            self.asset_of[customer.pk] = (
                self.unit(customer, labels) if code == "lanting" else self.vehicle(customer)
            )
        for _ in range(2):  # vacant units: no owner yet
            self.unit(None, labels)

    def unit(self, owner: Customer | None, labels: set[str]) -> Asset:
        rng = self.rng
        while True:
            building, unit = rng.randint(1, 12), rng.randint(1, 3)
            room = f"{rng.randint(2, 32)}{rng.randint(1, 4):02d}"
            label = f"{building}栋{unit}单元{room}"
            if label not in labels:
                labels.add(label)
                break
        attributes = {
            "building": building,
            "unit": unit,
            "room": room,
            "area_m2": rng.choice([89.5, 96.0, 118.3, 132.6, 143.0]),
            "occupied": owner is not None,
        }
        return Asset.objects.create(
            site=self.sites["lanting"],
            kind=AssetKind.UNIT,
            label=label,
            owner=owner,
            attributes=attributes,
        )

    def vehicle(self, owner: Customer) -> Asset:
        rng = self.rng
        plate = "粤B·" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        vin = "LVGB" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(13))
        attributes = {
            "vin": vin,
            "model": rng.choice(CAR_MODELS),
            "odometer_km": rng.randint(30, 1200) * 100,
        }
        return Asset.objects.create(
            site=self.sites["dealer"],
            kind=AssetKind.VEHICLE,
            label=plate,
            owner=owner,
            attributes=attributes,
        )

    # -- cases --------------------------------------------------------------------------------

    def pick(
        self,
        site_id: int,
        department_id: int | None,
        roles: Sequence[str],
        *,
        prefer: int | None = None,
        skill: str = "",
        same_department: bool = False,
    ) -> Actor:
        """Who would do this: the person named, then the department's own people, then by role."""
        chosen = self.find(
            site_id,
            department_id,
            roles,
            prefer=prefer,
            skill=skill,
            same_department=same_department,
        )
        if chosen is None:
            raise EngineError("role_not_allowed", transition="-", roles=", ".join(roles))
        return chosen

    def find(
        self,
        site_id: int,
        department_id: int | None,
        roles: Sequence[str],
        *,
        prefer: int | None = None,
        skill: str = "",
        same_department: bool = False,
    ) -> Actor | None:
        best: tuple[Any, ...] | None = None
        chosen = None
        for actor in self.actors.values():
            held = [i for i, role in enumerate(roles) if role in actor.roles]
            other = actor.department_id != department_id
            if actor.superuser or site_id not in actor.site_ids or not held:
                continue
            if same_department and other:
                continue
            lacks_skill = bool(skill) and skill not in self.skills.get(actor.user_id or 0, set())
            key = (
                actor.user_id != prefer,
                other,
                held[0],
                lacks_skill,
                "vp" in actor.roles,
                self.rng.random(),
            )
            if best is None or key < best:
                best, chosen = key, actor
        return chosen

    def opened_at(self, days: float) -> datetime:
        if days < 1:
            return self.now - timedelta(days=days)
        day = (self.now - timedelta(days=days)).astimezone(TZ)
        return day.replace(hour=self.rng.randint(8, 19), minute=self.rng.randint(0, 59))

    def play(self, story: Story) -> None:
        version = ProcedureVersion.objects.filter(key=story.procedure, is_current=True).first()
        if version is None:
            return  # that procedure is not in the library (yet)
        procedure = definition_of(version)
        site = self.sites[story.site]
        n = self.turn[story.site] = self.turn.get(story.site, -1) + 1
        people = self.customers_of[story.site]
        self.story, self.customer = story, people[n % len(people)]
        self.asset = None if story.common_area else self.asset_of.get(self.customer.pk)
        start = procedure.steps[procedure.start]
        owner = (start.owner.department if start.owner else None) or procedure.owner.department
        department = self.departments.get(f"{story.site}/{owner}")
        role = start.owner.role if start.owner and start.owner.role else "agent"
        opener = self.pick(site.pk, department.pk if department else None, [role, "manager"])
        fields = [*procedure.fields, *start.form]
        data = self.fill(fields, [f.key for f in fields if f.required], {}, {})
        channel = story.channel if story.channel in procedure.channels else procedure.channels[0]
        step = ""
        try:
            case = actions.open_case(
                opener,
                procedure_key=version.key,
                site_id=site.pk,
                channel=channel,
                title=story.title,
                description=story.description,
                priority=story.priority,
                category=story.category,
                customer_id=self.customer.pk,
                asset_id=self.asset.pk if self.asset else None,
                data=data,
                now=self.opened_at(story.days),
            )
            case = self.staff_step(case, prefer=opener.user_id)
            actor = opener
            if story.opening_note:
                actions.comment(opener, case.pk, text=story.opening_note)
            for key in story.moves:
                step = case.step
                case, actor = self.move(case, key)
                case = self.staff_step(case)
            step = case.step
            self.finish(case, actor)
        except EngineError as error:
            fields_text = ", ".join(f"{k}: {e.code}" for k, e in error.fields.items())
            self.problems.append(
                f"{story.procedure} «{story.title}» at {step or 'open'}: "
                f"{error} {fields_text}".strip()
            )

    def finish(self, case: Case, actor: Actor) -> None:
        story = self.story
        for text in story.notes:
            actions.comment(actor, case.pk, text=text, internal=True)
        if story.pause:
            by = self.pick(
                case.site_id,
                case.department_id,
                ["dispatcher", "manager", "agent"],
                prefer=case.assignee_id,
            )
            actions.pause_clock(by, case.pk, version=None, reason=story.pause)
        if story.transfer:
            code, note = story.transfer
            by = self.pick(case.site_id, case.department_id, ["dispatcher", "manager"])
            actions.transfer(by, case.pk, department_code=code, version=None, note=note)
        if story.major:
            by = self.pick(case.site_id, case.department_id, ["manager"], same_department=True)
            actions.flag_major(by, case.pk, version=None)

    def move(self, case: Case, key: str) -> tuple[Case, Actor]:
        procedure = definition_of(case.procedure)
        step = procedure.steps[case.step]
        transition = next((t for t in step.transitions if t.key == key), None)
        if transition is None:
            raise EngineError("unknown_transition", step=case.step, transition=key)
        actor = self.pick(
            case.site_id,
            case.department_id,
            transition.roles,
            prefer=case.assignee_id,
            skill=case.category,
        )
        defs = {f.key: f for f in [*procedure.fields, *step.form, *transition.fields]}
        editable = {f.key for f in [*step.form, *transition.fields]}
        guard = {
            k: v
            for k, v in _guard_values(transition.guard).items()
            if k in editable or (k in defs and case.data.get(k) in (None, ""))
        }
        keys = dict.fromkeys(
            [
                *(f.key for f in step.form),
                *(f.key for f in transition.fields),
                *transition.require,
                *guard,
            ]
        )
        fresh = {f.key for f in transition.fields}  # this move's own fields: always given anew
        current = {k: v for k, v in case.data.items() if k not in fresh}
        form = self.fill([defs[k] for k in keys if k in defs], transition.require, guard, current)
        checklist = {item.key: self.check(item) for item in step.checklist}
        with transaction.atomic():  # the work log and the move stand or fall together
            if step.owner and step.owner.role in WORKERS and actor.roles & set(WORKERS):
                self.log_work(actor, case)
            moved = actions.take_transition(
                actor, case.pk, key, version=None, form=form, checklist=checklist
            )
        return moved, actor

    def staff_step(self, case: Case, *, prefer: int | None = None) -> Case:
        """Most steps get a person from the owning department, as a dispatcher would do it."""
        step = definition_of(case.procedure).steps[case.step]
        role = step.owner.role if step.owner else None
        if case.is_closed or not role:
            return case
        roles = [role, *WORKERS] if role in WORKERS else [role]
        holder = self.by_id.get(case.assignee_id or 0)
        if (holder and holder.roles & set(roles)) or self.rng.random() < 0.15:
            return case  # already with someone who does this step, or left in the queue
        worker = self.find(
            case.site_id,
            case.department_id,
            roles,
            prefer=prefer,
            skill=case.category,
            same_department=True,
        )
        if worker is None:
            return case
        boss = self.find(
            case.site_id, case.department_id, ["dispatcher", "manager"], same_department=True
        )
        # Managers take their own steps; others are given the work by their dispatcher or manager.
        mine = worker.user_id == prefer or "manager" in worker.roles
        by = worker if mine or boss is None else boss
        return actions.assign(by, case.pk, assignee_id=worker.user_id, version=None)

    def log_work(self, actor: Actor, case: Case) -> None:
        rng, code = self.rng, self.story.site
        hours = Decimal(rng.choice(["0.5", "1.0", "1.5", "2.0", "3.0"]))
        actions.log_work(
            actor,
            case.pk,
            actions.WorkEntry(WorkKind.LABOUR, rng.choice(LABOUR[code]), hours=hours),
        )
        if rng.random() < 0.6:
            part, price = rng.choice(PARTS[code])
            quantity = Decimal(rng.choice([1, 1, 2]))
            actions.log_work(
                actor,
                case.pk,
                actions.WorkEntry(
                    WorkKind.PART, part, quantity=quantity, unit_price=Decimal(price)
                ),
            )

    def fill(
        self,
        fields: list[FieldDef],
        required: Iterable[str],
        fixed: dict[str, Any],
        current: dict[str, Any],
    ) -> dict[str, Any]:
        """Form values: what the guard needs, then the story's own, then plausible ones."""
        need = set(required)
        out: dict[str, Any] = {}
        for f in fields:
            if f.key in fixed:
                out[f.key] = fixed[f.key]
            elif f.key in self.story.hints:
                out[f.key] = self.story.hints[f.key]
            elif current.get(f.key) not in (None, ""):
                continue
            elif f.required or f.key in need or f.key in TEXTS or f.key in OPTIONAL:
                out[f.key] = self.value(f, out)
        return out

    def value(self, f: FieldDef, so_far: dict[str, Any]) -> Any:
        rng = self.rng
        match f.type:
            case FieldType.BOOL:
                return True
            case FieldType.CHOICE:
                return rng.choice([o.value for o in f.options or []])
            case FieldType.NUMBER:
                return min(max(1, f.min or 0), f.max if f.max is not None else 1)
            case FieldType.MONEY:
                return f"{rng.choice([50, 80, 120, 150, 200, 260]):.2f}"
            case FieldType.DATETIME:
                day = (self.now + timedelta(days=rng.randint(1, 3))).astimezone(TZ)
                return day.replace(
                    hour=rng.choice([9, 10, 14, 15]), minute=0, second=0, microsecond=0
                ).isoformat()
            case FieldType.DATE:
                return (self.now + timedelta(days=2)).astimezone(TZ).date().isoformat()
            case FieldType.PERSON:
                site = self.sites[self.story.site]
                worker = self.find(site.pk, None, WORKERS)
                return worker.user.username if worker else None
        return self.text(f, so_far)

    def text(self, f: FieldDef, so_far: dict[str, Any]) -> str:
        key, story, customer = f.key, self.story, self.customer
        unhappy = False in (so_far.get("satisfied"), so_far.get("fully_solved"))
        if unhappy and key in ("feedback", "customer_opinion", "user_feedback"):
            return self.rng.choice(UNHAPPY)
        if key in TEXTS:
            return self.rng.choice(TEXTS[key])
        if key == "result":
            return f"已{story.hints.get('solution', '处理')}，试用正常"
        if key.endswith("_no"):
            return f"SJ{self.now.astimezone(TZ):%Y%m}{self.rng.randint(1000, 9999)}"
        if customer and "name" in key:
            return customer.name
        if customer and "phone" in key:
            return customer.phone
        if key == "product" and self.asset:
            return str(self.asset.attributes.get("model", ""))
        return story.title if "summary" in key else story.description

    def check(self, item: ChecklistItem) -> Any:
        if item.type is ChecklistKind.MEASUREMENT:  # a bound is inside the accepted range
            return item.min if item.min is not None else item.max
        return True if item.type is ChecklistKind.YES_NO else "正常"

    def summary(self) -> Summary:
        names = {code: site.name for code, site in self.sites.items()}
        both = " + ".join(names.values())
        logins = [
            (
                p.username,
                p.name,
                p.roles,
                both if p.both_sites else names[p.department.partition("/")[0]],
            )
            for p in PEOPLE
        ]
        counts = {
            "staff": Staff.objects.count(),
            "customers": Customer.objects.count(),
            "assets": Asset.objects.count(),
            "cases": Case.objects.count(),
            "events": Event.objects.count(),
            "work_log": WorkLog.objects.count(),
        }
        return Summary(logins, counts, self.problems)
