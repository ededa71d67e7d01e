"""The dealer workshop's fixed data for the demo: technicians' productivity and levels, the
labour-time catalogue, the parts catalogue with its goods received, and the on-site visits."""

from __future__ import annotations

from dataclasses import dataclass

# username -> (productivity, levels by skill code): productivity 90–105 %, levels 1–3.
TECHNICIANS: dict[str, tuple[str, dict[str, int]]] = {
    "han.dong": ("1.02", {"bodywork": 3, "painting": 2}),
    "peng.fei": ("1.05", {"engine": 3, "aircon": 2}),
    "liu.yang": ("0.98", {"engine": 2, "aircon": 2}),
    "chen.gang": ("1.00", {"engine": 3}),
    "zhao.peng": ("0.95", {"auto_electric": 3, "aircon": 3}),
    "sun.hao": ("0.97", {"engine": 2, "auto_electric": 2}),
    "hu.jun": ("0.93", {"bodywork": 2}),
    "gao.feng": ("1.00", {"painting": 3, "bodywork": 1}),
    "zhu.ming": ("0.90", {"engine": 1}),
    "xiao.bin": ("0.92", {"auto_electric": 2}),
}


@dataclass(frozen=True)
class Operation:
    code: str
    name: str
    name_en: str
    hours: str
    work_type: str  # WorkType value
    skill: str  # Skill code, "" for a job any technician does
    parts: tuple[tuple[str, str], ...] = ()  # (part number, quantity): its usual parts


OPERATIONS = [
    Operation(
        "M-10K",
        "1 万公里常规保养",
        "10,000 km service",
        "1.00",
        "maintenance",
        "",
        (("90915-YZZD1", "1"), ("08880-83716", "1")),
    ),
    Operation(
        "M-20K",
        "2 万公里保养",
        "20,000 km service",
        "1.50",
        "maintenance",
        "",
        (("90915-YZZD1", "1"), ("08880-83716", "1"), ("17801-0V020", "1")),
    ),
    Operation(
        "M-40K",
        "4 万公里大保养",
        "40,000 km major service",
        "2.50",
        "maintenance",
        "engine",
        (
            ("90915-YZZD1", "1"),
            ("08880-83716", "1"),
            ("17801-0V020", "1"),
            ("90919-01253", "4"),
            ("87139-0E040", "1"),
        ),
    ),
    Operation(
        "M-OIL",
        "更换机油机滤",
        "Oil and filter change",
        "0.50",
        "maintenance",
        "",
        (("90915-YZZD1", "1"), ("08880-83716", "1")),
    ),
    Operation(
        "M-BRK",
        "更换制动液",
        "Brake fluid change",
        "0.80",
        "maintenance",
        "",
        (("08823-80010", "1"),),
    ),
    Operation(
        "M-AC",
        "更换空调滤芯并清洗蒸发箱",
        "Cabin filter change and A/C clean",
        "0.60",
        "maintenance",
        "aircon",
        (("87139-0E040", "1"),),
    ),
    Operation(
        "M-TYRE",
        "四轮定位及轮胎换位",
        "Wheel alignment and tyre rotation",
        "0.80",
        "maintenance",
        "",
    ),
    Operation(
        "R-BRKP",
        "更换前刹车片",
        "Front brake pads replacement",
        "1.20",
        "repair",
        "engine",
        (("04465-33471", "1"),),
    ),
    Operation(
        "R-SUSP",
        "更换前稳定杆连杆",
        "Front stabiliser links replacement",
        "1.50",
        "repair",
        "engine",
        (("48820-06080", "2"),),
    ),
    Operation(
        "R-TIMING",
        "更换正时皮带及张紧轮",
        "Timing belt and tensioner replacement",
        "3.50",
        "repair",
        "engine",
        (("13568-09130", "1"), ("13505-0V010", "1")),
    ),
    Operation("R-DIAG", "发动机故障诊断", "Engine fault diagnosis", "1.00", "repair", "engine"),
    Operation(
        "E-O2",
        "更换后氧传感器",
        "Rear oxygen sensor replacement",
        "0.80",
        "electrical",
        "auto_electric",
        (("89465-06240", "1"),),
    ),
    Operation(
        "E-BATT",
        "蓄电池检测及更换",
        "Battery test and replacement",
        "0.50",
        "electrical",
        "auto_electric",
        (("28800-0V070", "1"),),
    ),
    Operation(
        "E-AC",
        "空调系统检修并加注冷媒",
        "A/C repair and refrigerant recharge",
        "1.50",
        "electrical",
        "aircon",
        (("88999-R134A", "2"),),
    ),
    Operation("B-DOOR", "车门钣金修复", "Door panel repair", "3.00", "body", "bodywork"),
    Operation(
        "B-BUMP",
        "前保险杠拆装修复",
        "Front bumper repair",
        "2.00",
        "body",
        "bodywork",
        (("52119-06982", "1"),),
    ),
    Operation(
        "P-PANEL",
        "单面喷漆",
        "One-panel paint",
        "2.50",
        "paint",
        "painting",
        (("08800-PRIM", "1"), ("08800-BASE", "1"), ("08800-CLEAR", "1")),
    ),
    Operation(
        "P-BUMP",
        "保险杠喷漆",
        "Bumper paint",
        "2.00",
        "paint",
        "painting",
        (("08800-PRIM", "1"), ("08800-BASE", "1"), ("08800-CLEAR", "1")),
    ),
]

# (number, name, English name, unit, price, reorder level, received a week ago: the week's
# consumables). A few are short of their reorder level, so the low-stock list has something to say.
PARTS = [
    ("90915-YZZD1", "机油滤清器", "Oil filter", "个", "58.00", "10", "240"),
    (
        "08880-83716",
        "全合成机油 0W-20 4L",
        "Synthetic engine oil 0W-20 4 L",
        "桶",
        "398.00",
        "10",
        "240",
    ),
    ("17801-0V020", "空气滤清器", "Air filter", "个", "95.00", "6", "120"),
    ("87139-0E040", "空调滤芯", "Cabin air filter", "个", "120.00", "8", "80"),
    ("90919-01253", "火花塞", "Spark plug", "个", "88.00", "8", "160"),
    ("08823-80010", "制动液 DOT4 1L", "Brake fluid DOT4 1 L", "瓶", "85.00", "6", "30"),
    ("04465-33471", "前刹车片", "Front brake pads", "套", "520.00", "4", "30"),
    ("48820-06080", "前稳定杆连杆", "Front stabiliser link", "根", "285.00", "4", "12"),
    ("13568-09130", "正时皮带", "Timing belt", "条", "680.00", "2", "3"),
    ("13505-0V010", "正时皮带张紧轮", "Timing belt tensioner", "个", "460.00", "2", "0"),
    ("89465-06240", "后氧传感器", "Rear oxygen sensor", "个", "860.00", "2", "0"),
    ("28800-0V070", "蓄电池 12V 60Ah", "Battery 12 V 60 Ah", "个", "750.00", "3", "30"),
    ("88999-R134A", "冷媒 R134a", "Refrigerant R134a", "罐", "95.00", "10", "60"),
    ("08800-PRIM", "中涂底漆 1L", "Primer 1 L", "升", "160.00", "4", "30"),
    ("08800-BASE", "色漆 1L", "Base coat 1 L", "升", "320.00", "4", "24"),
    ("08800-CLEAR", "清漆 1L", "Clear coat 1 L", "升", "280.00", "4", "30"),
    ("52119-06982", "前保险杠皮", "Front bumper cover", "个", "1450.00", "1", "1"),
    ("85222-0E020", "雨刮片", "Wiper blade", "根", "120.00", "6", "16"),
    ("23390-0V010", "燃油滤清器", "Fuel filter", "个", "210.00", "3", "8"),
    ("04152-YZZA1", "机油滤芯（混动）", "Oil filter element (hybrid)", "个", "65.00", "6", "4"),
]

# What customers book, with how often: the seed's work classification, 保养 70 % / 修理 30 %.
BOOKINGS: list[tuple[tuple[str, ...], int, str]] = [
    (("M-10K",), 14, "1 万公里保养"),
    (("M-20K",), 10, "2 万公里保养"),
    (("M-40K",), 6, "4 万公里保养，顺便检查底盘异响"),
    (("M-OIL", "M-TYRE"), 6, "换机油，做四轮定位"),
    (("M-10K", "M-AC"), 6, "保养，空调有异味"),
    (("M-20K", "M-BRK"), 4, "保养并更换制动液"),
    (("R-BRKP",), 5, "刹车有异响"),
    (("R-SUSP",), 3, "过减速带前轮咯噔响"),
    (("E-AC",), 3, "空调不凉"),
    (("E-BATT",), 3, "早上打不着车"),
    (("R-DIAG",), 3, "发动机故障灯亮"),
    (("B-BUMP", "P-BUMP"), 2, "前保险杠刮蹭"),
    (("B-DOOR", "P-PANEL"), 1, "右前门凹陷"),
]

# The on-site visits (上门服务) of the day, round the field base in Futian, Shenzhen:
# (address, lat, lon, window start, window end, minutes, skill code, note).
BASE = ("华安丰田 4S 店外勤基地", "22.543100", "114.057900")
VISITS = [
    (
        "福田区车公庙泰然九路 8 号停车场",
        "22.536200",
        "114.024600",
        "09:00",
        "11:00",
        40,
        "auto_electric",
        "上门搭电并检测蓄电池",
    ),
    (
        "南山区科技园科苑路 15 号",
        "22.541200",
        "113.951800",
        "10:00",
        "12:00",
        60,
        "",
        "上门保养（1 万公里）",
    ),
    (
        "罗湖区东门中路 2018 号",
        "22.548900",
        "114.120300",
        "13:30",
        "15:30",
        45,
        "auto_electric",
        "更换遥控钥匙电池并匹配",
    ),
    (
        "福田区香蜜湖路 3 号小区地库",
        "22.553400",
        "114.030100",
        "09:30",
        "12:00",
        30,
        "",
        "轮胎补胎",
    ),
    (
        "南山区深南大道 9678 号",
        "22.537800",
        "113.983600",
        "14:00",
        "16:30",
        50,
        "aircon",
        "空调不制冷上门检查",
    ),
    (
        "龙华区民治大道 336 号",
        "22.618700",
        "114.042900",
        "13:00",
        "16:00",
        60,
        "",
        "上门取送车并检查底盘",
    ),
]
