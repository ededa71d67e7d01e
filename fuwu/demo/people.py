"""The demo organisation's data: sites, departments, skills, shifts, people and names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from fuwu.core.choices import CalendarKind

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
        # The workshop's day (the scheduling seed's 8 working hours): 08:30–17:30, lunch 12–13.
        "work_start": time(8, 30),
        "lunch_start": time(12, 0),
        "lunch_end": time(13, 0),
        "work_end": time(17, 30),
    },
    # A hotel and a hot-pot restaurant never close either.
    "hotel": {
        "name": "华安大酒店",
        "kind": "酒店",
        "calendar_kind": CalendarKind.ALWAYS,
        "use_statutory_holidays": False,
    },
    "hotpot": {
        "name": "蜀香火锅",
        "kind": "餐饮",
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
        ("sales", "地产销售部", "Property Sales"),
    ],
    "dealer": [
        ("call_center", "用户服务呼叫中心", "Customer Call Centre"),
        ("aftersales", "售后服务部", "After-sales Service"),
        ("project_management", "项目管理部", "Project Management"),
        ("workshop", "车间", "Workshop"),
        ("finance", "财务部", "Finance"),
    ],
    "hotel": [
        ("front_office", "前厅部", "Front Office"),
        ("housekeeping", "房务部", "Housekeeping"),
        ("business_centre", "商务中心", "Business Centre"),
        ("food_beverage", "餐饮部", "Food and Beverage"),
        ("engineering", "工程部", "Engineering"),
        ("finance", "财务部", "Finance"),
    ],
    "hotpot": [
        ("floor", "楼面", "Dining Floor"),
        ("kitchen", "厨房", "Kitchen"),
        ("cashier", "收银台", "Cashier"),
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
SHIFTS = [
    ("早班", time(8), time(16)),
    ("中班", time(16), time(0)),
    ("常白班", time(9), time(18)),
    ("车间班", time(8, 30), time(17, 30)),  # the dealer's workshop
]


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
    all_sites: bool = False
    language: str = "zh-hans"


VP = "wang.jianguo"
PEOPLE = [
    # The VP also heads General Administration, so works its steps as its manager.
    Person(VP, "王建国", "lanting/management", "vp,manager", manages=True, all_sites=True),
    Person("admin", "系统管理员", "lanting/management", "admin", VP, all_sites=True),
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
    # A finance clerk without the manager role: she reads the fee lists, not the other reports.
    Person("zhou.li", "周丽", "lanting/finance", "finance", "huang.mei"),
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
    # The service advisors (服务顾问 / 业务接待) book and receive the cars at the desk.
    Person("song.jia", "宋佳", "dealer/aftersales", "service_advisor", "yang.fan", shift="早班"),
    Person(
        "liang.chen",
        "梁晨",
        "dealer/aftersales",
        "service_advisor",
        "yang.fan",
        shift="中班",
        language="en",
    ),
    Person("feng.bo", "冯波", "dealer/aftersales", "engineer", "tang.lei", "engine,aircon"),
    Person("cao.yu", "曹宇", "dealer/aftersales", "engineer", "tang.lei", "auto_electric,aircon"),
    Person("xie.lin", "谢琳", "dealer/project_management", "manager,agent", VP, manages=True),
    Person(
        "deng.hui", "邓辉", "dealer/workshop", "dispatcher,manager,qc", "yang.fan", manages=True
    ),
    # The workshop's ten technicians (车间班 08:30–17:30): fuwu.demo.workshop gives them their
    # productivity and skill levels.
    Person(
        "han.dong",
        "韩冬",
        "dealer/workshop",
        "technician",
        "deng.hui",
        "bodywork,painting",
        "车间班",
    ),
    Person(
        "peng.fei",
        "彭飞",
        "dealer/workshop",
        "technician,qc",
        "deng.hui",
        "engine,aircon",
        "车间班",
    ),
    *(
        Person(username, name, "dealer/workshop", "technician", "deng.hui", skills, "车间班")
        for username, name, skills in [
            ("liu.yang", "刘洋", "engine,aircon"),
            ("chen.gang", "陈刚", "engine"),
            ("zhao.peng", "赵鹏", "auto_electric,aircon"),
            ("sun.hao", "孙浩", "engine,auto_electric"),
            ("hu.jun", "胡军", "bodywork"),
            ("gao.feng", "高峰", "painting,bodywork"),
            ("zhu.ming", "朱明", "engine"),
            ("xiao.bin", "肖斌", "auto_electric"),
        ]
    ),
    Person("luo.xia", "罗霞", "dealer/finance", "finance,manager", VP, manages=True),
    Person("fang.zhi", "方志", "lanting/sales", "manager,agent", VP, manages=True),
    Person("ren.jie", "任洁", "lanting/sales", "agent", "fang.zhi"),
    # 华安大酒店: the front office manager also runs the hotel's day; each department has its head.
    Person("qian.hui", "钱慧", "hotel/front_office", "manager,agent", VP, manages=True),
    Person("jiang.yan", "蒋燕", "hotel/front_office", "agent", "qian.hui", shift="早班"),
    Person(
        "shen.tao", "沈涛", "hotel/front_office", "agent", "qian.hui", shift="中班", language="en"
    ),
    Person("yu.fang", "于芳", "hotel/housekeeping", "manager,technician", "qian.hui", manages=True),
    Person("du.juan", "杜鹃", "hotel/housekeeping", "technician", "yu.fang", shift="早班"),
    Person("lu.ming", "陆明", "hotel/business_centre", "manager,agent", "qian.hui", manages=True),
    Person("jin.xin", "金鑫", "hotel/business_centre", "agent,technician", "lu.ming"),
    Person("kong.bin", "孔斌", "hotel/food_beverage", "manager,agent", "qian.hui", manages=True),
    Person(
        "cui.hao",
        "崔浩",
        "hotel/engineering",
        "manager,dispatcher,engineer",
        "qian.hui",
        "plumbing_electric,aircon",
        manages=True,
    ),
    Person(
        "fan.lei",
        "范磊",
        "hotel/engineering",
        "technician",
        "cui.hao",
        "plumbing_electric,elevator",
    ),
    Person("pan.li", "潘丽", "hotel/finance", "finance,manager", "qian.hui", manages=True),
    # 蜀香火锅: the floor manager runs the restaurant.
    Person("tian.yu", "田雨", "hotpot/floor", "manager,qc,agent", VP, manages=True),
    Person("bai.xue", "白雪", "hotpot/floor", "agent", "tian.yu", shift="早班"),
    Person("shi.lei", "石磊", "hotpot/floor", "agent", "tian.yu", shift="中班"),
    Person("qin.chuan", "秦川", "hotpot/kitchen", "manager,technician", "tian.yu", manages=True),
    Person("yao.jie", "姚杰", "hotpot/kitchen", "technician", "qin.chuan"),
    Person("wei.na", "魏娜", "hotpot/cashier", "finance,manager", "tian.yu", manages=True),
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
    "hotel": [("淋浴花洒", "85.00"), ("床头灯泡", "12.00"), ("打印机硒鼓", "260.00")],
    "hotpot": [("牛油锅底料", "38.00"), ("鸳鸯锅", "120.00")],
}
LABOUR = {
    "lanting": ["上门检查维修", "拆装及试水试电"],
    "dealer": ["故障诊断", "拆装更换配件", "路试检验"],
    "hotel": ["客房设施检修", "设备调试"],
    "hotpot": ["备料切配", "锅底熬制"],
}


# Hotel guests: what the front office knows about them (a VIP's profile starts from these).
GUEST_PREFERENCES: list[dict[str, Any]] = [
    {"floor": "high", "bed": "king", "smoking": False, "pillow": "荞麦枕"},
    {"floor": "low", "bed": "twin", "smoking": False, "newspaper": "参考消息"},
    {"floor": "high", "bed": "king", "smoking": True},
    {"floor": "any", "bed": "king", "smoking": False, "diet": "清真"},
    {"floor": "high", "bed": "twin", "smoking": False, "language": "en"},
    {"floor": "low", "bed": "king", "smoking": False, "allergy": "花粉"},
]
ROOM_TYPES = [
    ("deluxe_king", "king", "豪华大床房"),
    ("deluxe_twin", "twin", "豪华双床房"),
    ("executive_suite", "king", "行政套房"),
]
# Equipment on the compound, for the valve overhaul: (label, attributes).
EQUIPMENT = [
    ("V-B1-07 DN100 闸阀", {"type": "gate_valve", "dn": 100, "location": "地下一层水泵房"}),
    ("V-B1-12 DN150 蝶阀", {"type": "butterfly_valve", "dn": 150, "location": "地下一层水泵房"}),
    ("V-R-03 DN80 截止阀", {"type": "globe_valve", "dn": 80, "location": "3栋屋面水箱间"}),
]
