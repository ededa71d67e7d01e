"""The hand-written stories: what each case of the first three procedures went through."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

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


def guard_values(guard: str | None) -> dict[str, Any]:
    """The `data.x == literal` terms of a guard: the values a form must give to pass it."""
    return {
        key: json.loads('"' + literal[1:-1] + '"' if literal[0] == "'" else literal)
        for key, literal in GUARD_EQ.findall(guard or "")
    }
