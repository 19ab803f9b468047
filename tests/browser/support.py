"""What the browser tests share besides fixtures: launch options, viewports, page steps."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image
from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD
from tickets.models import RepairTicket

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the fake camera films (tests/browser/conftest.py `camera_browser`): a unit's QR label.
CAMERA_LABEL = "https://example.com/card?sn=CAM-SN-20261204"
CAMERA_SERIAL = "CAM-SN-20261204"
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# The technician's tablet (DESIGN §1): touch, but not a phone user agent.
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": False}


def log_in(page: Page, username: str) -> None:
    """Through the real login form, as a person would."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    # Logged in once the logout form is on the page (it may sit in the collapsed menu on a phone).
    expect(page.locator("form[action='/logout/']")).to_be_attached()


def switch_language(page: Page, language: str) -> None:
    """Through the account menu, as a person would: the technician's service worker hears of it (a cookie
    set behind its back would leave it giving back pages kept in the other language)."""
    names = {"zh-hans": "简体中文", "en": "English"}
    if page.locator("html").get_attribute("lang") == language:
        return
    page.get_by_test_id("account-menu").click()
    page.get_by_role("button", name=names[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll at {page.viewport_size['width']} px: {widths}"


STEPS = {
    1: {"客户反映": "空调开机五分钟后自动停机"},
    2: {"运行时间/里程/工作小时": "约 1200 小时"},
    3: {"检查结果": "室外机电容鼓包", "故障原因分析": "电容老化"},
    4: {"处理措施": "更换启动电容,试机正常", "工时(小时)": "1.5"},
}


def checked_in_tablet(open_page, job: RepairTicket, **options) -> Page:
    tablet = open_page(**{**TABLET, **options})
    log_in(tablet, "liqiang")
    tablet.get_by_test_id(f"check-in-{job.number}").tap()
    expect(tablet.locator("#messages")).to_contain_text("上门处理中")
    tablet.get_by_test_id(f"job-{job.number}").get_by_role("link", name="打开任务").tap()
    tablet.get_by_test_id("open-report").tap()
    expect(tablet.get_by_test_id("step-count")).to_contain_text("第 1 步 / 共 6 步")
    return tablet


def fill_step(tablet: Page, step: int) -> None:
    expect(tablet.get_by_test_id("step-count")).to_contain_text(f"第 {step} 步 / 共 6 步")
    for label, value in STEPS.get(step, {}).items():
        tablet.get_by_label(label, exact=False).first.fill(value)
    if step == 2:
        tablet.get_by_text("否,未拆过").tap()
    save = tablet.get_by_test_id("save-step")
    assert save.bounding_box()["height"] >= 44
    save.tap()
    expect(tablet.locator("#messages")).to_contain_text(f"第 {step} 步已保存")


def draw_signature(tablet: Page) -> None:
    canvas = tablet.get_by_test_id("signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    tablet.mouse.move(x + 30, y + 150)
    tablet.mouse.down()
    for index, (dx, dy) in enumerate([(80, 40), (140, 170), (200, 50), (260, 160), (330, 60), (400, 140)]):
        tablet.mouse.move(x + dx, y + dy, steps=8 + index)
    tablet.mouse.up()


def csrf_token(tablet: Page) -> str:
    return tablet.locator("input[name=csrfmiddlewaretoken]").first.input_value()


def qr_y4m(text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 2) -> Path:
    """A video of a QR code held in front of the camera, for Chromium's
    `--use-file-for-fake-video-capture`: YUV4MPEG2 (a text header, then per frame `FRAME\n` and the
    Y, U and V planes, 4:2:0). Black on white has no colour: U and V are all 128."""
    code = qrcode.make(text, box_size=8, border=4).get_image().convert("L")
    side = min(width, height) - 40
    frame = Image.new("L", (width, height), 255)
    frame.paste(
        code.resize((side, side), Image.Resampling.NEAREST), ((width - side) // 2, (height - side) // 2)
    )
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path
