"""The demo's fault texts, the path that leads a ticket to each state, who takes each step and the notes
they write: shared by `manage.py seed_demo` (through the services) and the bench's bulk seed
(loadtest/bench/, in SQL), so both build the same kind of tickets and history."""

from __future__ import annotations

from customers.models import FaultCategory
from tickets.models import State

FAULTS = {
    FaultCategory.APPLIANCE: [
        "开机无反应",
        "制冷效果差,出风不凉",
        "运行时噪音大",
        "漏水",
        "显示屏报 E4 故障码",
    ],
    FaultCategory.BODY: ["车门开关异常", "车窗玻璃松动", "车身异响", "空调出风口损坏"],
    FaultCategory.CHASSIS_ENGINE: ["发动机抖动", "刹车异响", "变速箱换挡困难", "冷却液渗漏"],
    FaultCategory.OTHER: ["其他故障"],
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
