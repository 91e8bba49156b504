"""Lighthouse on the pages people use most, as a manager on the demo data, with DEBUG off.

    make lighthouse            (or: python -m opsmaturity.tooling.lighthouse)

Loads the demo into a database of its own (var/lighthouse/, made once), collects the
static files (served by whitenoise as in production), starts the app on a free port,
signs in as the demo manager, runs npm's ``lighthouse`` with Debian's chromium on the
phone profile (its default) three times for each page and prints the median of the
performance, accessibility and best-practices scores (and the audits below 0.9 in any
run); each run's full report is kept in var/lighthouse/. The
server it started is stopped by its process id when it ends. Needs node and npm
(``npm install --prefix var/npm lighthouse``, no browser download) and /usr/bin/chromium.
Not part of ``make test``: a run takes a few minutes.
"""

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "var" / "npm" / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
# name → path; {op} and {team} are found on the list and the team plan
PAGES = {
    "dashboard": "/dashboard/",
    "operations list": "/ops/",
    "operation detail": "/ops/{op}/",
    "create form": "/ops/new/",
    "move page": "/ops/{op}/move/",
    "team plan (gap)": "/team-plan/teams/{team}/",
}


def environment(var):
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "lighthouse-only-secret-key-never-used-in-production-0123456789",
        "OPS_VAR_DIR": str(var),
        "STATIC_ROOT": str(var / "static"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "EMAIL_URL": "locmem://",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env, var):
    fresh = not (var / "db.sqlite3").exists()
    manage(env, "migrate", "--no-input", "-v0")
    if fresh:
        manage(env, "seed_demo", "--demo-logins")
    manage(env, "collectstatic", "--no-input", "-v0")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped before answering: see var/lighthouse/server.log")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {base} in {seconds} s")


def sign_in(base, username, password):
    """A real form sign-in: the session and CSRF cookies, and an opener that sends them."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{base}/accounts/login/"
    html = opener.open(login).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(login, data=data, headers={"Referer": login})
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not sign in as {username}")
    return opener, "; ".join(f"{k}={v}" for k, v in cookies.items())


def find_ids(opener, base):
    ops = opener.open(f"{base}/ops/").read().decode()
    teams = opener.open(f"{base}/team-plan/").read().decode()
    return {
        "op": re.search(r'href="/ops/(\d+)/"', ops).group(1),
        "team": re.search(r'href="/team-plan/teams/(\d+)/"', teams).group(1),
    }


def run_lighthouse(url, headers, out):
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--extra-headers={json.dumps(headers)}",
        ],
        env={**os.environ, "CHROME_PATH": CHROME},
        check=True,
    )
    report = json.loads(out.read_text())
    scores = {key: round(100 * report["categories"][key]["score"]) for key in CATEGORIES}
    failing = [
        f"{key}: {audit['id']}"
        for key in CATEGORIES
        for ref in report["categories"][key]["auditRefs"]
        if ref["weight"]
        and (audit := report["audits"][ref["id"]])["score"] is not None
        and audit["score"] < 0.9
    ]
    return scores, failing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="manager")
    parser.add_argument("--only", nargs="*", choices=list(PAGES), help="some pages only")
    parser.add_argument("--lang", default="en", help="Accept-Language of the run (en, ja)")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median counts")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse is missing: npm install --prefix var/npm lighthouse")
    var = ROOT / "var" / "lighthouse"
    var.mkdir(parents=True, exist_ok=True)
    env = environment(var)
    prepare(env, var)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(var / "server.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(base, server)
        opener, cookie = sign_in(base, args.user, args.password)
        headers = {"Cookie": cookie, "Accept-Language": args.lang}
        ids = find_ids(opener, base)
        rows = []
        for name, path in PAGES.items():
            if args.only and name not in args.only:
                continue
            slug = re.sub(r"\W+", "-", name).strip("-")
            runs = [
                run_lighthouse(base + path.format(**ids), headers, var / f"{slug}-{n}.json")
                for n in range(1, args.runs + 1)
            ]
            # the median of each score: a busy machine's CPU moves the blocking time
            scores = {k: statistics.median_low([r[0][k] for r in runs]) for k in CATEGORIES}
            failing = sorted({item for _scores, items in runs for item in items})
            rows.append((name, path.format(**ids), scores, failing))
            each = " / ".join(" ".join(str(r[0][k]) for k in CATEGORIES) for r in runs)
            print(f"{name:18} {each}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=15)
    print()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"median of {args.runs} run(s), Accept-Language: {args.lang}, load average {load}")
    print(f"{'page':18} {'path':22} " + " ".join(f"{k[:13]:>13}" for k in CATEGORIES))
    for name, path, scores, failing in rows:
        print(f"{name:18} {path:22} " + " ".join(f"{scores[k]:13}" for k in CATEGORIES))
        for item in failing:
            print(f"{'':18}   below 0.9: {item}")
    low = [name for name, _p, scores, _f in rows if min(scores.values()) < 95]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
