#!/usr/bin/env python3
"""Drives Titan's web UI in headless Chromium against a real cluster.

Run by Tests/ClusterTests/WebUITests.swift (which starts etcd, two masters with --ui-listen and a
worker). Every check has a deadline; the first failed check prints one line naming what it
waited for and exits 1. Side effects are counted from the job's own progress file.
"""
import argparse
import json
import os
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright


def fail(message):
    print("ui_check: FAIL: " + message, file=sys.stderr, flush=True)
    sys.exit(1)


def note(message):
    print("ui_check: " + message, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leader-ui", required=True)
    parser.add_argument("--standby-ui", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--cli", required=True, help="path of titan-cli")
    parser.add_argument("--master", required=True, help="TITAN_MASTER for titan-cli")
    parser.add_argument("--work", required=True, help="a directory for the jobs' progress files")
    parser.add_argument("--screenshots", required=True, help="where the page pictures go")
    args = parser.parse_args()
    token = open(args.token_file).read().strip()
    env = dict(os.environ, TITAN_MASTER=args.master, TITAN_TOKEN_FILE=args.token_file)

    def cli(*arguments):
        run = subprocess.run([args.cli, *arguments], env=env, capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            fail("titan-cli %s exited %d: %s" % (" ".join(arguments), run.returncode, run.stderr.strip()))
        return run.stdout.strip()

    def submit(script, *flags):
        return cli("submit", "--runtime", "exec", "--script", script, *flags).splitlines()[-1].strip()

    def state(job):
        return json.loads(cli("status", job, "--output", "json"))["status"]["state"]

    def wait_until(what, seconds, predicate):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        fail("%s did not happen within %s s" % (what, seconds))

    progress = os.path.join(args.work, "progress")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(10_000)
        try:
            run_checks(args, page, token, submit, state, wait_until, progress)
        except Exception as error:  # a Playwright timeout: say where the page was
            body = page.text_content("body") or ""
            fail("%s (page %s shows: %s)" % (str(error).splitlines()[0], page.url, " ".join(body.split())[:400]))
        browser.close()
    note("all checks passed")


def run_checks(args, page, token, submit, state, wait_until, progress):
    if True:

        # 1. A wrong token gets nothing: the login page again with a sentence, 401 from the API.
        page.goto(args.leader_ui + "/")
        if not page.url.endswith("/login"):
            fail("an anonymous visit to / ended at %s, not at /login" % page.url)
        page.fill("#token", "not-the-token")
        page.click("#login")
        page.wait_for_selector("#login-error")
        for path in ["/api/jobs", "/api/nodes", "/api/events", "/app.js"]:
            status = page.request.get(args.leader_ui + path, max_redirects=0).status
            if status not in (401, 303):
                fail("GET %s after a wrong token answered %d, not 401/303" % (path, status))
        status = page.request.get(args.leader_ui + "/api/jobs", headers={"Authorization": "Bearer wrong"}).status
        if status != 401:
            fail("a wrong bearer token got %d from /api/jobs, not 401" % status)
        note("wrong token refused (login page says so, API answers 401)")

        # 2. The right token logs in.
        page.fill("#token", token)
        page.click("#login")
        page.wait_for_selector("#jobs", state="attached")
        note("logged in with the cluster token")

        # Some history for the list: one job that succeeds, one that fails.
        done = submit("echo done", "--name", "quick-ok", "--label", "team=blue")
        broken = submit("echo broken >&2; exit 3", "--name", "quick-fail", "--label", "team=blue")
        wait_until("the quick jobs ending", 20, lambda: state(done) == "succeeded" and state(broken) == "failed")

        # 3. A job submitted with the CLI appears within 1 s.
        script = "for i in $(seq 1 200); do echo line $i; echo $i >> %s; sleep 0.3; done" % progress
        job = submit(script, "--name", "ui-follow", "--label", "team=red")
        submitted = time.monotonic()
        page.wait_for_selector('tr[data-job="%s"]' % job, timeout=1000)
        note("job %s appeared in the list %.0f ms after submit returned" % (job, (time.monotonic() - submitted) * 1000))
        page.wait_for_selector('tr[data-job="%s"] .state-running' % job, timeout=10_000)

        # The label filter: team=red shows the job, team=blue does not.
        page.goto(args.leader_ui + "/#/jobs?label=team%3Dblue")
        page.wait_for_selector('tr[data-job="%s"]' % done)
        if page.query_selector('tr[data-job="%s"]' % job):
            fail("the filter label=team=blue shows job %s (labelled team=red)" % job)
        page.goto(args.leader_ui + "/#/jobs")
        page.wait_for_selector('tr[data-job="%s"]' % broken)
        page.screenshot(path=os.path.join(args.screenshots, "ui-jobs.png"))

        # 4. Its log lines stream into the job page while it runs.
        page.click('tr[data-job="%s"] a' % job)
        # (Locators, not evaluated strings: the page's Content-Security-Policy forbids eval.)
        page.locator("#log", has_text="line 3").wait_for()
        first = len(page.text_content("#log").splitlines())
        time.sleep(1.5)
        later = len(page.text_content("#log").splitlines())
        if later <= first:
            fail("the log did not grow while the job ran (%d lines, then %d)" % (first, later))
        note("log streams live (%d lines, 1.5 s later %d)" % (first, later))
        page.screenshot(path=os.path.join(args.screenshots, "ui-job.png"), full_page=True)

        # The nodes page shows the worker, its capacity and what the running job takes of it.
        page.goto(args.leader_ui + "/#/nodes")
        page.locator("tr[data-node] td.num", has_text="1").wait_for()
        page.screenshot(path=os.path.join(args.screenshots, "ui-nodes.png"))
        page.goto(args.leader_ui + "/#/jobs/" + job)
        page.locator('[data-fact="State"] .state-running').wait_for()

        # 5. A cancel from the UI cancels it: the state, and the job's own side effect stops.
        page.click("#cancel")
        wait_until("job %s cancelled (titan-cli status)" % job, 5, lambda: state(job) == "cancelled")
        page.wait_for_selector('[data-fact="State"] .state-cancelled')
        time.sleep(0.5)
        count = len(open(progress).read().split())
        time.sleep(2)
        if len(open(progress).read().split()) != count:
            fail("job %s kept writing after the UI cancelled it" % job)
        note("cancel from the UI stopped job %s after %d lines" % (job, count))

        # 6. A standby's UI redirects to the leader's.
        page.goto(args.standby_ui + "/#/nodes")
        if not page.url.startswith(args.leader_ui):
            fail("the standby's UI stayed at %s instead of redirecting to %s" % (page.url, args.leader_ui))
        note("standby redirected to the leader's UI")


if __name__ == "__main__":
    main()
