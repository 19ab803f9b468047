"""The demo's fault texts, the path that leads a ticket to each state, who takes each step and the notes
they write: shared by `manage.py seed_demo` (through the services) and the bench's bulk seed
(loadtest/bench/, in SQL), so both build the same kind of tickets and history."""

from __future__ import annotations

from customers.models import FaultCategory
from tickets.models import State

# By fault category, for the bench's bulk seed (any product of the category may have them).
FAULTS = {
    FaultCategory.APPLIANCE: ["开机无反应", "运行时噪音大", "显示屏报 E4 故障码"],
    FaultCategory.BODY: ["车门开关异常", "车窗玻璃松动", "车身异响", "空调出风口损坏"],
    FaultCategory.CHASSIS_ENGINE: ["发动机抖动", "刹车异响", "变速箱换挡困难", "冷却液渗漏"],
    FaultCategory.OTHER: ["其他故障"],
}
# By product model (seed_demo's PRODUCT_MODELS): faults that fit the product (no 制冷 on a washing machine).
MODEL_FAULTS = {
    "KFR-35GW": ["制冷效果差,出风不凉", "室内机漏水", "外机运行噪音大", "开机无反应", "显示屏报 E4 故障码"],
    "XQG100-B14": ["不脱水", "滚筒不转", "门锁打不开", "进水慢,漏水", "开机无反应"],
    "DFB-40": ["不加热", "煮饭夹生", "保温灯不亮", "显示屏报 E1 故障码"],
    "KL6125": ["车门开关异常", "车窗玻璃松动", "车身异响", "空调出风口损坏"],
    "KL6125-D": ["发动机抖动", "刹车异响", "变速箱换挡困难", "冷却液渗漏"],
}
# Where each demo branch's customers live (addresses in the branch's city).
CITY_DISTRICTS = {
    "SH": ("上海市", ["徐汇区", "静安区", "浦东新区", "闵行区", "杨浦区", "嘉定区", "松江区"]),
    "HZ": ("杭州市", ["西湖区", "上城区", "拱墅区", "滨江区", "萧山区", "余杭区"]),
}
# How far a customer in each zone lives from the branch (km), so zone and distance agree.
ZONE_DISTANCES = {"city": (3, 18), "suburb": (20, 45), "remote": (60, 150)}
# When each step happens after the one before it, in hours: a demo ticket's history is written at
# these times (seed_demo travels the clock), so deadlines, KPIs and follow-ups have real dates.
STEP_HOURS = {
    "dispatch": 1,
    "check_in": 3,
    "complete_visit": 2,
    "request_return": 1,
    "approve_return": 4,
    "finish_factory_repair": 72,
    "accept": 20,
    "follow_up": 24 * 7,
    "cancel": 2,
}

# How far each demo ticket is driven: one path per final state.
PATHS = {
    State.REPORTED: [],
    State.DISPATCHED: ["dispatch"],
    State.ON_SITE: ["dispatch", "check_in"],
    State.RMA_REQUESTED: ["dispatch", "check_in", "request_return"],
    State.IN_FACTORY: ["dispatch", "check_in", "request_return", "approve_return"],
    State.AWAITING_PICKUP: [
        "dispatch",
        "check_in",
        "request_return",
        "approve_return",
        "finish_factory_repair",
    ],
    State.AWAITING_ACCEPTANCE: ["dispatch", "check_in", "complete_visit"],
    State.ACCEPTED: ["dispatch", "check_in", "complete_visit", "accept"],
    State.CLOSED: ["dispatch", "check_in", "complete_visit", "accept", "follow_up"],
    State.CANCELLED: ["cancel"],
}
ACTOR_FOR = {
    "dispatch": "dispatcher",
    "check_in": "technician",
    "complete_visit": "technician",
    "request_return": "technician",
    "approve_return": "supervisor",
    "finish_factory_repair": "technician",
    "accept": "supervisor",
    "follow_up": "dispatcher",
    "cancel": "dispatcher",
}
NOTES = {
    "complete_visit": "更换损坏部件,试机正常。",
    "request_return": "现场无法修复,需返厂检测。",
    "finish_factory_repair": "返厂更换主板,测试通过。",
    "cancel": "客户来电取消报修。",
}
# Each demo technician's dispatch facts (issue #18): home zone, zones served, working weekdays (0 = Monday),
# skills as (product category, certificate, months of validity left or None), and leave as (days from today
# to its first day, length in days, reason).
TECHNICIAN_FACTS = {
    "technician": {
        "home_zone": "city",
        "zones_served": ["city", "suburb"],
        "working_weekdays": [0, 1, 2, 3, 4],
        "skills": [("appliance", "制冷设备维修操作证", 18), ("body", "", None)],
        "leave": [(9, 2, "年假")],
    },
    "technician2": {
        "home_zone": "suburb",
        "zones_served": ["suburb", "remote"],
        "working_weekdays": [1, 2, 3, 4, 5],
        "skills": [
            ("appliance", "家电维修工(中级)", 6),
            ("chassis_engine", "汽车维修工(高级)", 24),
            ("body", "", None),
        ],
        "leave": [(3, 3, "培训")],
    },
    "hz_technician": {
        "home_zone": "city",
        "zones_served": ["city", "suburb", "remote"],
        "working_weekdays": [0, 1, 2, 3, 4, 5],
        "skills": [("appliance", "制冷设备维修操作证", 12), ("body", "", None)],
        "leave": [],
    },
}
