"""The week 10 runbook: the template and the worked version agree, and the facts are the code's.

``labs/week10_runbook.md`` (the learner's template, with blanks) and
``solutions/week10_runbook.md`` (the worked runbook) must have the same headings in the same
order; the worked one has no blank left. What it quotes must be what the repository does: the
Reg B numbers are ``lendlab.response``'s constants (and the research file's), the decision
tree's thresholds are ``decide_response``'s defaults, every admin call is a route of the
service's OpenAPI with a body its models accept and the bearer token from
``$LENDLAB_ADMIN_TOKEN``, every ``lendlab`` command parses with the real CLI, and every alert
it names is in ``ops/prometheus/rules``.
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from lendlab import response
from lendlab.cli import build_parser
from lendlab.response.decision_tree import RETENTION_MONTHS
from lendlab.world.schema import POLICY

ROOT = Path(__file__).resolve().parents[2]
WORKED = ROOT / "solutions" / "week10_runbook.md"
TEMPLATE = ROOT / "labs" / "week10_runbook.md"
RESEARCH = ROOT.parent / "shared" / "research" / "lending-world.md"
BLANK = "____"
TITLE = "# Runbook: underwriting decision outages"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _headings(text: str) -> list[str]:
    out, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            out.append(line.strip())
    return out


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^(## .+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _code_lines(text: str) -> list[str]:
    """Lines inside fenced blocks, plus inline `code` spans, joined where a line ends in \\."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(line.strip())
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    joined, buf = [], ""
    for line in lines:
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        joined.append(buf + line)
        buf = ""
    return [j for j in joined if j]


@pytest.fixture(scope="module")
def worked() -> str:
    return _text(WORKED)


@pytest.fixture(scope="module")
def template() -> str:
    return _text(TEMPLATE)


def test_same_headings_in_the_same_order(worked, template):
    assert _headings(worked)[0] == _headings(template)[0] == TITLE
    assert _headings(worked) == _headings(template)
    assert len(_sections(worked)) >= 15


def test_the_worked_runbook_has_no_blank_left_and_the_template_one_in_every_section(
    worked, template
):
    assert BLANK not in worked and "TODO" not in worked
    empty = [h for h, body in _sections(template).items() if BLANK not in body]
    assert not empty, f"template sections without a blank to fill: {empty}"


def test_it_covers_roles_severities_and_the_playbooks_the_issue_lists(worked):
    sections = _sections(worked)
    roles = sections["## 1. Roles"]
    for role in ("Incident commander", "Scribe", "Communications / risk liaison", "Ops lead"):
        assert role in roles
    sev = sections["## 2. Severity levels"]
    for level in ("SEV1", "SEV2", "SEV3"):
        assert f"**{level}**" in sev
    assert "even if the service is up" in sev and "0.80" in sev  # wrong declines / AIR: SEV1
    for playbook in ("stale bureau feed", "inference timeout spike",
                     "threshold misconfiguration", "rollback steps"):  # fmt: skip
        assert any(playbook in h for h in sections), playbook


def _caveat_sentence(text: str) -> str:
    """The sentence (up to the next full stop) that calls 0.80 the four-fifths rule."""
    flat = " ".join(text.split())
    at = flat.find("four-fifths")
    assert at >= 0, "the AIR floor 0.80 is not called the four-fifths rule of thumb"
    begin = flat.rfind(". ", 0, at) + 1
    end = flat.find(". ", at)
    return flat[begin : end if end >= 0 else len(flat)]


@pytest.mark.parametrize(
    "section", ["## 2. Severity levels", "## 9. Freeze or fallback: the decision tree"]
)
def test_the_air_floor_is_called_a_rule_of_thumb_not_a_reg_b_threshold(worked, section):
    body = _sections(worked)[section]
    assert "0.80" in body
    caveat = _caveat_sentence(body)
    assert "rule of thumb" in caveat and "EEOC employment practice" in caveat, caveat
    assert "not a threshold in ECOA or Regulation B" in caveat, caveat
    assert "fair-lending review" in " ".join(body.split())
    if RESEARCH.is_file():
        assert "the four-fifths rule is EEOC employment practice, not codified for lending" in (
            " ".join(_text(RESEARCH).split())
        )


def test_the_reg_b_facts_are_the_codes_constants_and_the_research_files(worked):
    regb = _sections(worked)["## 10. Regulation B: notices and records"]
    days = re.search(r"within (\d+) days\*\* after a completed application", regb)
    months = re.search(r"kept (\d+) months after the notice", regb)
    assert days and int(days.group(1)) == response.NOTICE_DAYS == 30
    assert months and int(months.group(1)) == RETENTION_MONTHS == 25
    assert "12 CFR 1002.9(a)(1)" in regb and "12 CFR 1002.12(b)(1)" in regb
    assert f"NOTICE_DAYS` = {response.NOTICE_DAYS}" in regb
    assert f"RETENTION_MONTHS` = {RETENTION_MONTHS}" in regb
    assert "lending-world.md" in regb
    if RESEARCH.is_file():  # the course's facts file, when the shared folder is at hand
        facts = _text(RESEARCH)
        assert "within 30 days of a completed application" in facts
        assert "25 months after notice for consumer credit" in facts


def test_the_decision_tree_is_the_codes(worked):
    tree = _sections(worked)["## 9. Freeze or fallback: the decision tree"]
    defaults = {
        name: p.default
        for name, p in inspect.signature(response.decide_response).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    assert f">= {round(100 * defaults['approval_tolerance']):d} points" in tree
    assert f">= {defaults['air_drop']:.2f}" in tree
    assert f"below {defaults['air_floor']:.2f}" in tree
    assert f"<= {defaults['max_review_wait_hours']:g} hours" in tree
    for action in response.ACTIONS:
        assert f"**{action}**" in tree
    # the order of the tree: continue, rollback, freeze, fallback (as decide_response walks it)
    diagram = re.search(r"```\n(.*?)```", tree, flags=re.DOTALL).group(1)
    leaves = [w for w in diagram.split() if w in response.ACTIONS]
    assert list(dict.fromkeys(leaves)) == ["continue", "rollback", "freeze", "fallback"]
    knockout = (f"fico >= {POLICY['fico_min']:g}, dti <= {POLICY['dti_max']:g}, "
                f"inquiries <= {POLICY['inquiries_max']:g}")  # fmt: skip
    assert knockout in tree
    src = inspect.getsource(response.decide_response)
    assert knockout in src  # the tree's own description of the fallback


def _admin_models():
    from lendlab.serving import app as app_module

    return {
        "/admin/model": app_module.ModelSwitch,
        "/admin/cutoff": app_module.CutoffChange,
        "/admin/faults": app_module.FaultChange,
        "/admin/rollout": app_module.RolloutChange,
    }


def test_every_admin_call_is_a_route_with_a_valid_body_and_the_token_from_the_env(worked, tmp_path):
    from lendlab.serving.app import create_app

    paths = create_app(db=str(tmp_path / "d.db")).openapi()["paths"]
    calls = [c for c in _code_lines(worked) if c.startswith("curl ")]
    assert len(calls) >= 6
    seen = set()
    models = _admin_models()
    for call in calls:
        words = shlex.split(call.replace("$LENDLAB_ADMIN_TOKEN", "TOKEN"))
        assert "Authorization: Bearer $LENDLAB_ADMIN_TOKEN" in call, call
        method = words[words.index("-X") + 1].lower() if "-X" in words else "get"
        url = next(w for w in words if w.startswith("http"))
        route = "/" + url.split("/", 3)[3]
        assert route in paths and method in paths[route], f"{method.upper()} {route} not served"
        if "-d" in words:
            body = json.loads(words[words.index("-d") + 1])
            models[route].model_validate(body)  # raises on a body the service refuses
        seen.add((method, route))
    for route in ("/admin/model", "/admin/cutoff", "/admin/faults"):
        assert ("post", route) in seen, f"no POST {route} in the rollback steps"


def test_every_lendlab_command_parses_with_the_real_cli(worked):
    commands = [c for c in _code_lines(worked) if c.startswith("lendlab ")]
    assert any(c.startswith("lendlab incident bundle") for c in commands)
    assert any(c.startswith("lendlab incident verify") for c in commands)
    parser = build_parser()
    for command in commands:
        argv = shlex.split(command)[1:]
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse refuses: the runbook's command would not run
            pytest.fail(f"{command!r} does not parse (exit {exc.code})")
        if argv[:2] == ["incident", "bundle"]:
            assert args.checkpoint and args.start < args.end
            assert not Path(args.checkpoint).is_relative_to(Path(args.out))


def test_every_alert_it_names_exists(worked):
    rules = {
        r["alert"]
        for path in (ROOT / "ops" / "prometheus" / "rules").glob("*.yml")
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    named = set(re.findall(r"\bLendlab[A-Z]\w+", worked))
    assert named and named <= rules, sorted(named - rules)
