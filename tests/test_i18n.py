"""Chinese by default whatever the browser asks for; English once the user picks it in the header."""

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.views.i18n import JavaScriptCatalog

from customers.phones import format_phone
from tests.conftest import require


@pytest.mark.django_db
def test_chinese_is_the_default_even_for_an_english_browser(client):
    page = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert "登录售后服务系统" in page.content.decode()
    assert page.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_the_header_switch_turns_the_ui_english(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("tickets:list")}, follow=True
    )
    page = response.content.decode()
    assert "Repair tickets" in page or "Tickets" in page
    assert "维修工单" not in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "维修工单" in client.get(reverse("tickets:list")).content.decode()


def test_phone_extension_reads_in_the_active_language():
    from django.utils import translation

    with translation.override("en"):
        assert format_phone("02161234567-808") == "021-61234567 ext. 808"
    with translation.override("zh-hans"):
        assert format_phone("02161234567-808") == "021-61234567 转 808"


# --- every user-facing string is translated ------------------------------------------------------------
# The UI's source language is Chinese: a Chinese literal that is not in a gettext call, a {% translate %}
# or a JavaScript gettext() stays Chinese for an English reader, and a msgid without an English msgstr
# shows its Chinese msgid. These tests read the sources and the catalogues, so they fail on the commit
# that forgets either.

ROOT = Path(__file__).resolve().parents[1]
# Chinese characters, and the CJK punctuation (、。:) and full-width forms that only Chinese text uses.
HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
SKIPPED_DIRS = {".venv", "node_modules", "staticfiles", "var", "tests", "loadtest", ".git"}


def _sources(pattern: str) -> list[Path]:
    return sorted(path for path in ROOT.glob(pattern) if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts))


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False
    obsolete: bool = False


def read_po(path: Path) -> list[PoEntry]:
    """The entries of a .po file (header excluded): enough of the format for what makemessages writes."""
    entries, entry, target = [], PoEntry(), None

    def unquote(text: str) -> str:
        return ast.literal_eval(text)

    def finish():
        nonlocal entry
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry = PoEntry()

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            finish()
            target = None
        elif line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.fuzzy = entry.fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            entry.msgctxt, target = unquote(line[8:]), "msgctxt"
        elif line.startswith("msgid_plural "):
            entry.msgid_plural, target = unquote(line[13:]), "msgid_plural"
        elif line.startswith("msgid "):
            entry.msgid, target = unquote(line[6:]), "msgid"
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry.msgstr[index], target = unquote(line[line.index("]") + 2 :]), index
        elif line.startswith("msgstr "):
            entry.msgstr[0], target = unquote(line[7:]), 0
        elif line.startswith('"'):
            if isinstance(target, int):
                entry.msgstr[target] += unquote(line)
            else:
                setattr(entry, target, getattr(entry, target) + unquote(line))
    return [entry for entry in entries if entry.msgid and not entry.obsolete]


def _english_catalogues() -> list[Path]:
    return _sources("**/locale/en/LC_MESSAGES/*.po")


def test_the_english_catalogues_exist_for_both_domains():
    names = {path.relative_to(ROOT).as_posix() for path in _english_catalogues()}
    assert {"locale/en/LC_MESSAGES/django.po", "locale/en/LC_MESSAGES/djangojs.po"} <= names


@pytest.mark.parametrize("catalogue", _english_catalogues(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_msgid_has_an_english_translation(catalogue):
    missing = [
        entry.msgid
        for entry in read_po(catalogue)
        if entry.fuzzy or not all(entry.msgstr.values()) or (entry.msgid_plural and len(entry.msgstr) < 2)
    ]
    assert not missing, f"untranslated or fuzzy in {catalogue.relative_to(ROOT)}: {missing[:20]}"


@pytest.mark.parametrize("catalogue", _english_catalogues(), ids=lambda path: str(path.relative_to(ROOT)))
def test_english_translations_are_english(catalogue):
    chinese = [
        entry.msgid
        for entry in read_po(catalogue)
        if any(HAN.search(text) for text in entry.msgstr.values())
        # The language switch names each language in itself (DESIGN §9) and a list separator that
        # is a Chinese enumeration comma has none in English.
        and entry.msgid not in {"简体中文"}
    ]
    assert not chinese, f"Chinese left in the English of {catalogue.relative_to(ROOT)}: {chinese[:20]}"


def _msgids(catalogue: Path) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in read_po(catalogue)} if catalogue.exists() else set()


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    """`make messages` run on a copy of the sources: what the catalogues would hold if regenerated."""
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext), for makemessages")
    copy = tmp_path_factory.mktemp("sources")
    shutil.copytree(
        ROOT,
        copy,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "staticfiles", "var", "tests", "media", "*.mo", "__pycache__"
        ),
    )
    environment = {**os.environ, "SECRET_KEY": "makemessages-only"}
    environment.pop("DATABASE_URL", None)
    ignore = ["--ignore=static/vendor", "--ignore=staticfiles", "--ignore=var", "--ignore=tests"]
    for arguments in (
        ["-l", "en", "-l", "zh_Hans", *ignore],
        ["-l", "en", "-d", "djangojs", "--ignore=static/vendor", "--ignore=staticfiles"],
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--no-obsolete", "-v", "0", *arguments],
            cwd=copy,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    return copy


def test_the_catalogues_hold_every_string_of_the_sources(fresh_catalogues):
    """A {% translate %} or gettext() added without `make messages` has no English (nor, for the warranty
    rules' English msgids, Chinese): Django would show the msgid."""
    stale = {}
    for fresh in sorted(fresh_catalogues.glob("**/LC_MESSAGES/*.po")):
        relative = fresh.relative_to(fresh_catalogues)
        if relative.parts[-3] == "zh_Hans":
            # Chinese is the source language; only the warranty rules' English msgids need Chinese.
            if not (ROOT / relative).exists():
                continue
            wanted = {(ctx, msgid) for ctx, msgid in _msgids(fresh) if not HAN.search(msgid)}
        else:
            wanted = _msgids(fresh)
        missing = wanted - _msgids(ROOT / relative)
        if missing:
            stale[relative.as_posix()] = sorted(msgid for _ctx, msgid in missing)[:20]
    assert not stale, f"run `make messages` (and translate): {stale}"


# Templates: Chinese only inside {% translate %}, {% blocktranslate %}, _("…") in a tag, or a comment.
TEMPLATE_TRANSLATED = re.compile(
    r"{%\s*(?:blocktranslate|blocktrans)\b.*?{%\s*(?:endblocktranslate|endblocktrans)\s*%}"
    r"|{%\s*(?:translate|trans)\s.*?%}"
    r"|{#.*?#}"
    r"|{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}"
    r"|\b_\(\s*(?:\"[^\"]*\"|'[^']*')\s*\)",
    re.S,
)
# The 500 page is plain HTML in both languages: it is rendered when anything may be broken (no
# template tags, no context), so it cannot follow the reader's choice.
TEMPLATES_IN_BOTH_LANGUAGES = {"templates/500.html"}


def _templates() -> list[Path]:
    return [
        path
        for pattern in (
            "templates/**/*.html",
            "*/templates/**/*.html",
            "*/templates/**/*.txt",
            "*/templates/**/*.js",
        )
        for path in _sources(pattern)
        if path.relative_to(ROOT).as_posix() not in TEMPLATES_IN_BOTH_LANGUAGES
    ]


def test_templates_were_found():
    assert len(_templates()) > 50


def test_no_chinese_in_templates_outside_translate_tags():
    found = []
    for path in _templates():
        text = TEMPLATE_TRANSLATED.sub("", path.read_text(encoding="utf-8"))
        if path.suffix == ".js":
            text = _without_js_comments(text)
        found += [
            f"{path.relative_to(ROOT)}: {line.strip()[:80]}" for line in text.splitlines() if HAN.search(line)
        ]
    assert not found, "\n".join(found)


def test_the_500_page_carries_both_languages():
    page = (ROOT / "templates" / "500.html").read_text(encoding="utf-8")
    assert HAN.search(page) and "Something went wrong" in page


# JavaScript: Chinese only in gettext("…") (the catalogue comes from /jsi18n/, djangojs.po) or comments.
def _js_tokens(source: str):
    """(kind, text, code before it) for each string literal and comment of a script."""
    index, code = 0, []
    while index < len(source):
        char = source[index]
        if source.startswith("//", index):
            end = source.find("\n", index)
            end = len(source) if end < 0 else end
            yield "comment", source[index:end], "".join(code)
            index = end
        elif source.startswith("/*", index):
            end = source.index("*/", index) + 2
            yield "comment", source[index:end], "".join(code)
            index = end
        elif char in "\"'`":
            end = index + 1
            while source[end] != char:
                end += 2 if source[end] == "\\" else 1
            yield "string", source[index + 1 : end], "".join(code)
            code.append("STRING")
            index = end + 1
        else:
            code.append(char)
            index += 1


def _without_js_comments(source: str) -> str:
    return re.sub(r"/\*.*?\*/|^\s*//.*$", "", source, flags=re.S | re.M)


def test_no_chinese_in_scripts_outside_gettext():
    found = []
    scripts = _sources("static/js/*.js")
    assert len(scripts) >= 5
    for path in scripts:
        for kind, text, before in _js_tokens(path.read_text(encoding="utf-8")):
            if kind == "string" and HAN.search(text) and not re.search(r"\bgettext\(\s*$", before):
                found.append(f"{path.relative_to(ROOT)}: {text[:60]}")
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_the_scripts_catalogue_is_served_in_the_readers_language(client):
    """Loaded by a script tag (no inline script under the CSP) before the page's own scripts."""
    page = client.get(reverse("login")).content.decode()
    catalogue, app = page.index(f'<script src="{reverse("javascript-catalog")}">'), page.index("js/app.js")
    assert catalogue < app
    client.cookies["django_language"] = "en"
    english = client.get(reverse("javascript-catalog"))
    assert english.status_code == 200 and english["Content-Type"].startswith("text/javascript")
    assert "Saved on this device" in english.content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "Saved on this device" not in client.get(reverse("javascript-catalog")).content.decode()


@pytest.mark.django_db
def test_the_scripts_catalogue_is_built_once_per_language(client, monkeypatch):
    """Every page loads /jsi18n/: the second request of a language is answered from the cache (the
    catalogue is not built again), each language keeps its own, and no browser keeps a language it may
    switch away from."""
    built = []
    original = JavaScriptCatalog.get_catalog

    def counted(self):
        built.append(translation.get_language())
        return original(self)

    monkeypatch.setattr(JavaScriptCatalog, "get_catalog", counted)
    url = reverse("javascript-catalog")
    chinese = [client.get(url) for _ in range(2)]
    assert built == ["zh-hans"] and chinese[0].content == chinese[1].content
    client.cookies["django_language"] = "en"
    english = [client.get(url) for _ in range(2)]
    assert built == ["zh-hans", "en"] and "Saved on this device" in english[1].content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert "Saved on this device" not in client.get(url).content.decode() and len(built) == 2
    for response in (*chinese, *english):
        assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


def test_the_service_worker_keeps_the_scripts_catalogue_for_offline_pages(client):
    worker = client.get(reverse("service_worker")).content.decode()
    assert f'var CATALOG = "{reverse("javascript-catalog")}"' in worker
    assert "cache.add(CATALOG)" in worker and "cache.match(CATALOG)" in worker


# Python: Chinese string literals only inside gettext calls, except where the Chinese is data.
GETTEXT_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# Modules whose Chinese is data, not UI.
CHINESE_DATA_MODULES = {
    "aftersales/demo.py": "demo records, typed as a Chinese service desk would",
    "parts/demo.py": "demo records",
    "claims/demo.py": "demo records",
    "surveys/demo.py": "demo records",
    "aftersales/management/commands/seed_demo.py": "demo records",
    "claims/money.py": "the amount in Chinese capital numerals (大写) that Chinese finance forms require",
    "tickets/callbook_rules.py": "the call book's Chinese column headers, the words departments write in its "
    "cells, and the template's sample row: what the spreadsheet holds, in any UI language",
    "loadtest/callbook.py": "a generated call book, as a Chinese service desk keeps it",
    "loadtest/management/commands/bench_callbook.py": "the bench's product model and branch: records",
}
CHINESE_DATA_LITERALS = {
    # Each language named in itself, in the language switch (DESIGN §9).
    "aftersales/settings.py": {"简体中文", "示例电器有限公司"},  # and the default company name: data
    # Parses the extension of a phone number as people type it in China (转 808).
    "customers/phones.py": {r"(?:转|ext\.?|x|#)\s*(\d{1,6})\s*$", r"[\s\-()（）.+]"},
    # A part's default unit of measure: a stored value the warehouse types, not a label.
    "parts/models.py": {"个"},
    # Finds the Chinese login button of the default language, and the language's own name in the account
    # menu to switch back, to take the screenshots.
    "aftersales/management/commands/screenshots.py": {
        "登录",
        "简体中文",
        # The customer's channel, signed in on a phone as the customer would (its labels and headings).
        "手机号码",
        "获取验证码",
        "输入验证码",
        "验证码",
        "我的报修",
    },
    # The schema's error examples: what a caller without Accept-Language receives (the default language).
    "aftersales/drf.py": {
        "请输入有效的手机号(11 位)或带区号的座机号。",
        "身份认证信息未提供。",
        "只有客服/调度可以登记报修。",
        "未找到。",
        "工单已被他人更新,请刷新后重试。",
        "请求超过了限速。",
    },
    # The API's documentation is written for integrators in English and names the Chinese document or
    # rule it serves; its examples are data as a Chinese service desk types it (and, for the reports, the
    # labels a caller without Accept-Language reads).
    "claims/api.py": {
        "审批意见 (printed on the write-off form) or the reason.",
        "客户撤回诉求",
        "已与客户协商一致",
        "维修延误造成客户损失",
    },
    "customers/api.py": {"京东自营", "浦东新区张江路 1 号", "王先生", "王芳"},
    "parts/api.py": {"压缩机不启动,需更换", "同意"},
    "reports/api.py": {
        "KFR-35GW 壁挂式空调",
        "上海分公司",
        "不满意",
        "到达时间",
        "及时率",
        "合计",
        "张伟",
        "满意率",
        "表扬与满意",
        "迟到一小时",
    },
    "surveys/api.py": {
        "§7-二十八: the supervisor's (or a delegate's) visit to the customer.",
        "主任上门致歉,调整派工",
        "已上门致歉,客户接受",
        "已致电客户说明处理结果",
        "技术员迟到两小时,未提前告知",
        "登记投诉: on a ticket (its branch), or for a branch; the plan is due in 72 hours.",
    },
    # The full-width punctuation that may end a number in a search text (，。；：、）).
    "tickets/search.py": {" ,.;:)/\uff0c\u3002\uff1b\uff1a\u3001\uff09-"},
    "tickets/api.py": {
        "上午到",
        "室外机电容鼓包",
        "开机五分钟后停机",
        "更换启动电容,试机正常",
        "服务凭证 (A4 PDF)",
        "王芳",
        "电容老化",
    },
}


def _python_modules() -> list[Path]:
    return [path for path in _sources("**/*.py") if "migrations" not in path.parts]


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def test_no_chinese_in_python_outside_gettext():
    found = []
    for path in _python_modules():
        name = path.relative_to(ROOT).as_posix()
        if name in CHINESE_DATA_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Constant) and isinstance(node.value, str) and HAN.search(node.value)
            ):
                continue
            if isinstance(parents.get(node), ast.Expr):
                continue  # a docstring
            if node.value in CHINESE_DATA_LITERALS.get(name, ()):
                continue
            ancestor = parents.get(node)
            while ancestor is not None and _call_name(ancestor) not in GETTEXT_CALLS:
                ancestor = parents.get(ancestor)
            if ancestor is None:
                found.append(f"{name}:{node.lineno}: {node.value[:60]!r}")
    assert not found, "\n".join(found)


def test_no_gettext_inside_an_f_string():
    """xgettext does not read inside f-strings: such a text never reached the catalogue and stayed
    Chinese in English (the board's 昨日遗留 and 客户自助 badges, seen by a helper)."""
    found = []
    for path in _python_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                found += [
                    f"{path.relative_to(ROOT).as_posix()}:{call.lineno}"
                    for call in ast.walk(node)
                    if _call_name(call) in GETTEXT_CALLS
                ]
    assert not found, "\n".join(found)


def test_the_allowed_chinese_literals_are_still_there():
    """An allow-list entry whose literal is gone is removed, so the list stays a list of reasons."""
    for name, literals in CHINESE_DATA_LITERALS.items():
        source = (ROOT / name).read_text(encoding="utf-8")
        constants = {node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)}
        assert literals <= constants, name
    for name in CHINESE_DATA_MODULES:
        assert (ROOT / name).exists(), name


def _is_call_to(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _import_time_calls(node: ast.AST, names: set[str]) -> list[int]:
    """The lines of calls to `names` that run when the module is imported: anywhere but in a function's
    body (its default values and decorators do run at import)."""
    lines = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            evaluated = [*child.args.defaults, *filter(None, child.args.kw_defaults)]
            evaluated += getattr(child, "decorator_list", [])
            lines += [
                call.lineno for part in evaluated for call in ast.walk(part) if _is_call_to(call, names)
            ]
            continue
        if _is_call_to(child, names):
            lines.append(child.lineno)
        lines += _import_time_calls(child, names)
    return lines


def test_no_eager_gettext_at_import_time():
    """gettext() at module or class level runs once, in the language active at import (Chinese): a form
    label, a model's verbose_name or an admin's column title made so stays Chinese in English."""
    found = []
    for path in _python_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
            if alias.name in {"gettext", "ngettext", "pgettext", "npgettext"}
        }
        found += [f"{path.relative_to(ROOT)}:{line}" for line in _import_time_calls(tree, eager)]
    assert not found, "gettext at import time (use gettext_lazy):\n" + "\n".join(found)


@pytest.mark.django_db
def test_models_fields_and_choices_read_in_english():
    """The admin's and the forms' labels come from verbose_name(s) and choices: gettext_lazy, translated."""
    from django.apps import apps

    project_apps = {
        "accounts",
        "customers",
        "warranty",
        "notifications",
        "tickets",
        "parts",
        "claims",
        "surveys",
        "reports",
    }
    found = []
    with translation.override("en"):
        for model in apps.get_models():
            if model._meta.app_label not in project_apps:
                continue
            names = [model._meta.verbose_name, model._meta.verbose_name_plural]
            for model_field in model._meta.get_fields():
                if model_field.auto_created and not model_field.concrete:
                    continue
                names.append(getattr(model_field, "verbose_name", ""))
                names += [label for _value, label in getattr(model_field, "flatchoices", None) or []]
            found += [f"{model._meta.label}: {name}" for name in map(str, names) if HAN.search(name)]
    assert not found, "\n".join(found)


def test_no_template_comment_spans_lines():
    """Django's {# … #} ends on its line: one left open is printed on the page (the scanner's was, on every
    page with a scan button). Longer notes use {% comment %}."""
    open_comments = [
        f"{path.relative_to(ROOT).as_posix()}:{number}"
        for path in _sources("**/templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.rfind("{#") > line.rfind("#}")
    ]
    assert not open_comments, "\n".join(open_comments)
