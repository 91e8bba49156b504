"""The Japanese translation: pages in Japanese for a browser that asks for it, and a
catalogue that is complete, keeps its placeholders and is compiled."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.rules import reason_of
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
PHASES_JA = ["立ち上げ", "均一化", "自動化", "コスト適正化", "廃止"]


def catalogue_dir():
    return Path(settings.LOCALE_PATHS[0]) / "ja" / "LC_MESSAGES"


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """A Japanese request leaves Japanese active in this thread; later tests expect English."""
    yield
    translation.deactivate()


def page(client, url, **params):
    response = client.get(url, params, **JA)
    assert response.status_code == 200
    return response.content.decode()


# --- pages ----------------------------------------------------------------------------


def test_the_sign_in_page_speaks_japanese(client):
    html = page(client, reverse("login"))
    assert '<html lang="ja">' in html
    assert "<h1>ログイン</h1>" in html
    assert "組織で運用しているすべての業務について" in html
    assert "ユーザー名" in html  # Django's own catalogue, for the form's labels
    assert "Sign in" not in html


def test_without_accept_language_the_pages_stay_english(client):
    html = client.get(reverse("login")).content.decode()
    assert "<h1>Sign in</h1>" in html and "ログイン" not in html


@pytest.mark.django_db
def test_the_operations_list(client, member, team):
    OperationFactory(name="Refund approvals", team=team, owner=member)
    client.force_login(member)
    html = page(client, reverse("operations:list"))
    assert "<h1>業務</h1>" in html
    for text in ("業務を登録", "業務 1件", "月額コスト", "未解決フラグ", "責任者"):
        assert text in html, text
    assert '<span class="phase phase-launch">立ち上げ</span>' in html
    assert "Refund approvals" in html  # data stays as entered
    assert ">Monthly cost</th>" not in html


@pytest.mark.django_db
def test_an_operations_page(client, member, team):
    op = OperationFactory(
        name="Refund approvals",
        team=team,
        owner=member,
        phase=Phase.STANDARDIZE,
        performers=[member],
        runbook_url="",
    )
    Flag.objects.create(operation=op, kind=FlagKind.PERSON_DEPENDENT)
    client.force_login(member)
    html = page(client, op.get_absolute_url())
    for text in (
        '<span class="phase phase-standardize">均一化</span>',
        "要対応",
        '<span class="flag flag-person_dependent">属人化</span>',
        "目的",
        "責任者",
        "手順書",
        "未作成",
        "現在のフェーズ：均一化",
        "いま重要なこと：",
        "誰でもできる状態に",  # the phase's guidance
        "完了条件チェックリスト",
        "履歴",
        "フェーズを移行",
    ):
        assert text in html, text
    assert "Needs attention" not in html


@pytest.mark.django_db
def test_the_dashboard_for_a_manager(client, manager, team):
    for phase in Phase:
        OperationFactory(team=team, phase=phase)
    stalled = OperationFactory.days_in_phase(80, name="Old launch", team=team)
    Flag.objects.create(operation=stalled, kind=FlagKind.STALLED)
    client.force_login(manager)
    html = page(client, reverse("dashboard:index"))
    for text in (
        "<h1>ダッシュボード</h1>",
        "自分が管理するチーム",
        "フェーズ別ファネル",
        "立ち上げ停滞",
        "立ち上げ期限間近",
        "属人化",
        "廃止候補",
        "チーム別比較",
        "最近のフェーズ移行",
        "直近12週間の削減効果",
        "12週間",
    ):
        assert text in html, text
    for phase in PHASES_JA:
        assert f">{phase}</th>" in html, phase
    assert "Phase funnel" not in html


@pytest.mark.django_db
def test_chart_days_and_skill_levels_read_in_japanese(client, manager, team):
    """The trend's axis writes 9月15日 (not 「9月 15」), and the skill levels offered in
    a form are worded in Japanese (they were frozen in English when the form loaded)."""
    from datetime import timedelta

    from django.utils import timezone

    from opsmaturity.maturity.models import Snapshot

    for weeks in (3, 2, 1):
        Snapshot.objects.create(
            date=timezone.localdate() - timedelta(weeks=weeks),
            team=team,
            phase=Phase.LAUNCH,
            count=2,
        )
    OperationFactory(team=team)
    client.force_login(manager)
    html = page(client, reverse("dashboard:index"))
    ticks = re.findall(r'class="tick" text-anchor="middle">([^<]+)<', html)
    assert ticks and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", tick) for tick in ticks), ticks
    skills = page(client, reverse("organization:my_skills"))
    assert "2 · 支援があればできる" in skills and "Can do with help" not in skills


@pytest.mark.django_db
def test_an_empty_dashboard_says_where_to_start_in_japanese(client, manager):
    client.force_login(manager)
    html = page(client, reverse("dashboard:index"))
    assert "まだ何も登録されていません" in html
    assert "稼働中の業務は0件です。" in html


@pytest.mark.django_db
def test_the_digest_preview(client, member, team, settings):
    OperationFactory(name="Refund approvals", team=team, owner=member)
    client.force_login(member)
    html = page(client, reverse("digests:preview"))
    headings = ("<h1>週次ダイジェスト</h1>", "宛先", "件名", "送信対象", "メールソフトでの表示")
    for text in headings:
        assert text in html, text
    # The email itself is written in the installation's language.
    settings.LANGUAGE_CODE = "ja"
    html = page(client, reverse("digests:preview"))
    assert "Ann Leeさん、今週対応が必要な項目をお知らせします。" in html
    assert "今週対応が必要な項目はありません" in html  # the subject
    assert "配信停止" in html


@pytest.mark.django_db
def test_a_form_error_comes_in_japanese(client, member, team):
    client.force_login(member)
    data = {
        "name": "",
        "team": team.pk,
        "owner": member.pk,
        "purpose": "Customers get their refund within two days.",
        "monthly_volume": "320",
        "monthly_cost": "-5",
        "monthly_value": "900000",
    }
    response = client.post(reverse("operations:create"), data, **JA)
    assert response.status_code == 200
    html = response.content.decode()
    assert "業務名を入力してください。" in html
    assert "マイナスの値は入力できません。" in html
    assert "手順書のURL" in html
    assert not Operation.objects.exists()


@pytest.mark.django_db
def test_flags_read_in_japanese_whatever_language_the_scan_ran_in(team):
    """The scan stores facts, not words: a Japanese reader gets Japanese reasons."""
    stalled = OperationFactory.days_in_phase(80, team=team)
    lone = OperationFactory(team=team, phase=Phase.STANDARDIZE, runbook_url="")
    run_scan()
    limit = settings.OPS_STALL_DAYS
    with translation.override("ja"):
        reason = reason_of(Flag.objects.get(operation=stalled, kind=FlagKind.STALLED))
        assert reason == f"立ち上げ期間80日（期限の{limit}日を{80 - limit}日超過）"
        assert "手順書なし" in reason_of(
            Flag.objects.get(operation=lone, kind=FlagKind.PERSON_DEPENDENT)
        )


@pytest.mark.django_db
def test_reasons_are_read_in_the_readers_language(client, manager, team):
    """A manager reading in Japanese edits an operation; every page shows them the
    reason in Japanese, and an English reader the same flag in English."""
    limit = settings.OPS_STALL_DAYS
    stalled = OperationFactory.days_in_phase(80, team=team, name="KYC checks")
    lone = OperationFactory(
        team=team, phase=Phase.STANDARDIZE, runbook_url="", performers=[manager], name="Payroll"
    )
    run_scan()
    client.force_login(manager)
    data = {
        "name": "KYC checks",
        "team": team.pk,
        "owner": stalled.owner_id,
        "purpose": stalled.purpose,
        "monthly_volume": "10",
        "monthly_cost": "100",
        "monthly_value": "900",
        "version": stalled.version,
    }
    response = client.post(reverse("operations:edit", args=[stalled.pk]), data, **JA)
    assert response.status_code == 302
    english = f"in launch for 80 days, {80 - limit} past the {limit}-day limit"
    japanese = f"立ち上げ期間80日（期限の{limit}日を{80 - limit}日超過）"
    with translation.override("en"):
        assert reason_of(Flag.objects.get(operation=stalled, kind=FlagKind.STALLED)) == english

    assert japanese in page(client, stalled.get_absolute_url())
    assert f'title="{japanese}"' in page(client, reverse("operations:list"))
    # reasons joined as Japanese writes a list, with 、
    assert "1人、手順書なし" in page(client, lone.get_absolute_url())
    dashboard = page(client, reverse("dashboard:index"))
    assert "手順書なし" in dashboard and "no runbook" not in dashboard
    english_page = client.get(stalled.get_absolute_url()).content.decode()
    assert english in english_page and japanese not in english_page


@pytest.mark.django_db
def test_rewording_for_another_language_costs_no_queries(client, manager, team):
    for i in range(4):
        OperationFactory.days_in_phase(80 + i, team=team)
        OperationFactory(team=team, phase=Phase.AUTOMATE, runbook_url="", performers=[manager])
        OperationFactory(team=team, monthly_cost=900, monthly_value=100)
    run_scan()
    client.force_login(manager)
    for url in (reverse("dashboard:index"), reverse("operations:list") + "?scope=all"):
        client.get(url)
        with CaptureQueriesContext(connection) as english:
            client.get(url)
        with CaptureQueriesContext(connection) as japanese:
            client.get(url, **JA)
        assert len(japanese) == len(english), url


@pytest.mark.django_db
def test_the_shipped_exit_criteria_read_in_japanese_and_edited_ones_as_written(
    client, member, team
):
    from opsmaturity.operations.models import PhaseCriterion

    op = OperationFactory(team=team, owner=member)
    PhaseCriterion.objects.filter(label="Owner named").update(label="Owner named in the wiki")
    client.force_login(member)
    detail = page(client, op.get_absolute_url())
    assert "目的が書かれている" in detail and "Purpose written down" not in detail
    assert "Owner named in the wiki" in detail  # edited by an admin: no translation
    move = page(client, reverse("operations:move", args=[op.pk]))
    assert "手作業の手順を洗い出している" in move
    assert "いま手作業で行っている手順がすべて" in move  # its explanation too
    english = client.get(op.get_absolute_url()).content.decode()
    assert "Purpose written down" in english


# --- the catalogue --------------------------------------------------------------------

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdif]|%%")


def _unquote(text):
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def parse_po(path):
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural, msgstr {index: text}."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and entry.get("msgid") is not None:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):  # obsolete
            continue
        if entry is None:
            entry = {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None}
            entry["msgstr"] = {}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, int):
                entry["msgstr"][field] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
            if match:
                field = int(match.group(1) or 0)
                entry["msgstr"][field] = _unquote(value)
            else:
                assert keyword in ("msgctxt", "msgid", "msgid_plural"), line
                field = keyword
                entry[field] = _unquote(value)
    return entries


# The project's catalogue and every app's own (apps keep their strings beside them).
CATALOGUES = sorted(
    (Path(settings.BASE_DIR) / "opsmaturity").glob("**/locale/ja/LC_MESSAGES/django.po")
)


@pytest.fixture(scope="module", params=CATALOGUES, ids=lambda p: p.parts[-5])
def catalogue(request):
    return request.param


@pytest.fixture(scope="module")
def entries(catalogue):
    return parse_po(catalogue)


@pytest.fixture(scope="module")
def project_entries():
    return parse_po(catalogue_dir() / "django.po")


def test_every_app_with_strings_of_its_own_has_a_catalogue():
    assert catalogue_dir() / "django.po" in CATALOGUES
    assert len(CATALOGUES) > 5, CATALOGUES


def test_the_header_says_japanese_with_one_plural_form(entries):
    header = entries[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: ja\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]


def test_every_message_is_translated(entries):
    messages = entries[1:]
    assert messages
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert not fuzzy, fuzzy
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    assert not untranslated, untranslated
    wrong_forms = [e["msgid"] for e in messages if e["msgid_plural"] and set(e["msgstr"]) != {0}]
    assert not wrong_forms, wrong_forms


def test_translations_keep_their_placeholders_and_links(entries):
    for e in entries[1:]:
        source = e["msgid_plural"] or e["msgid"]
        for translated in e["msgstr"].values():
            if "python-format" in e["flags"]:
                assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(source)), e[
                    "msgid"
                ]
            assert re.findall(r"<[^>]+>", translated) == re.findall(r"<[^>]+>", source), e["msgid"]


def test_the_project_catalogue_holds_the_shared_strings(project_entries):
    assert len(project_entries) > 500


def test_phase_and_flag_names_use_the_methods_terms(project_entries):
    translated = {e["msgid"]: e["msgstr"][0] for e in project_entries[1:]}
    assert [translated[label] for label in Phase.labels] == PHASES_JA
    assert [translated[label] for label in FlagKind.labels] == [
        "立ち上げ停滞",
        "立ち上げ期限間近",
        "目的がコストに見合わない",
        "属人化",
        "責任者が退職",
    ]


def test_the_compiled_catalogue_is_up_to_date(catalogue, entries):
    """compilemessages was run after the last change: the .mo says what the .po says.

    A fresh clone writes both files within moments of each other, in any order, so
    the times are compared with a little slack; the content comparison is exact.
    """
    po, mo = catalogue, catalogue.with_suffix(".mo")
    assert mo.stat().st_mtime >= po.stat().st_mtime - 5, "run compilemessages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for e in entries[1:]:
        key = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"]:
            for index, text in e["msgstr"].items():
                expected[(key, index)] = text
        else:
            expected[key] = e["msgstr"][0]
    compiled.pop("", None)
    assert compiled == expected, "django.mo differs from django.po: run compilemessages"
