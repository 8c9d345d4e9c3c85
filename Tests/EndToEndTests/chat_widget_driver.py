#!/usr/bin/env python3
"""Drives the Pishkhan chat widget in a real headless Chromium (Debian's chromium and chromium-driver,
through Selenium) for ChatWidgetEndToEndTests.

The Swift test sends one JSON command per line on stdin and reads one JSON answer per line on stdout:

  {"cmd": "open", "url": "..."}                         load a page
  {"cmd": "type", "text": "..."}                        type into the widget's box and press Enter
  {"cmd": "click", "selector": ".pk-launcher"}          click an element of the widget
  {"cmd": "wait", "text": "...", "from": "agent", "timeout": 20}
                                                        until a message of that sender containing the text is shown
  {"cmd": "waitState", "state": "online", "timeout": 20}
  {"cmd": "waitSent", "timeout": 20}                    until no message of the visitor is still pending
  {"cmd": "snapshot"}                                   the widget as it is (state, direction, notice, messages)
  {"cmd": "script", "js": "return ..."}                 run JavaScript in the page (to tamper with its storage)
  {"cmd": "visibleText"}                                the conversation's rendered text, as a reader sees it
  {"cmd": "screenshot", "path": "/tmp/x.png"}        for a person looking into a failure
  {"cmd": "reload"}
  {"cmd": "quit"}

Every answer has "ok"; a failed wait answers ok=false with the last snapshot and the browser console.
The first line printed is {"ready": true, "pids": [chromedriver, chromium...]} so the test can stop
them by pid whatever happens to this script.
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

SNAPSHOT = """
const host = document.querySelector('[data-pishkhan-chat]');
if (!host || !host.shadowRoot) return {mounted: false, messages: []};
const root = host.shadowRoot.querySelector('.pk-root');
return {
  mounted: true,
  state: host.dataset.state,
  status: host.shadowRoot.querySelector('.pk-status').textContent,
  dir: root.getAttribute('dir'),
  lang: root.getAttribute('lang'),
  open: !host.shadowRoot.querySelector('.pk-panel').hidden,
  notice: host.shadowRoot.querySelector('.pk-notice').hidden ? null : host.shadowRoot.querySelector('.pk-notice').textContent,
  messages: [...host.shadowRoot.querySelectorAll('.pk-msg')].map((m) => ({
    from: m.dataset.from,
    text: m.querySelector('.pk-text').textContent,
    meta: m.querySelector('.pk-meta').textContent,
    dir: m.getAttribute('dir'),
    state: m.dataset.state || null,
    seq: m.dataset.seq ? Number(m.dataset.seq) : null,
    id: m.dataset.id || null,
  })),
};
"""


def children_of(pid):
    """Processes whose parent is pid (Chromium under chromedriver), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found


def start():
    profile = tempfile.mkdtemp(prefix="pishkhan-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--user-data-dir={profile}", "--window-size=900,1000", "--lang=fa-IR",
                     "--no-first-run", "--disable-background-networking", "--disable-extensions"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    return driver, profile


def main():
    driver, profile = start()
    driver_pid = driver.service.process.pid
    stopping = []

    def stop(*_):
        if stopping:
            return
        stopping.append(True)
        try:
            driver.quit()
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(json.dumps({"ready": True, "pids": [driver_pid] + children_of(driver_pid)}), flush=True)

    def snapshot():
        return driver.execute_script(SNAPSHOT)

    def console():
        try:
            return [entry.get("message", "") for entry in driver.get_log("browser")]
        except Exception as error:  # noqa: BLE001 - only diagnostics
            return [f"(console unavailable: {error})"]

    def wait(predicate, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = snapshot()
            if predicate(last):
                return {"ok": True, "snapshot": last}
            time.sleep(0.1)
        return {"ok": False, "snapshot": last, "console": console()}

    def shadow(selector):
        host = driver.find_element(By.CSS_SELECTOR, "[data-pishkhan-chat]")
        return host.shadow_root.find_element(By.CSS_SELECTOR, selector)

    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        name = command.get("cmd")
        timeout = float(command.get("timeout", 20))
        try:
            if name == "open":
                driver.get(command["url"])
                answer = {"ok": True}
            elif name == "type":
                box = shadow(".pk-input")
                box.send_keys(command["text"])
                box.send_keys(Keys.ENTER)
                answer = {"ok": True}
            elif name == "click":
                shadow(command["selector"]).click()
                answer = {"ok": True}
            elif name == "wait":
                text, sender = command["text"], command.get("from")
                answer = wait(lambda s: any(text in m["text"] and (sender is None or m["from"] == sender)
                                            for m in s["messages"]), timeout)
            elif name == "waitState":
                answer = wait(lambda s: s.get("state") == command["state"], timeout)
            elif name == "waitSent":
                answer = wait(lambda s: any(m["from"] == "visitor" for m in s["messages"])
                              and all(m["state"] == "sent" for m in s["messages"] if m["from"] == "visitor"), timeout)
            elif name == "script":
                answer = {"ok": True, "value": driver.execute_script(command["js"])}
            elif name == "snapshot":
                answer = {"ok": True, "snapshot": snapshot()}
            elif name == "visibleText":
                answer = {"ok": True, "text": shadow(".pk-log").text}
            elif name == "screenshot":
                answer = {"ok": driver.save_screenshot(command["path"])}
            elif name == "reload":
                driver.refresh()
                answer = {"ok": True}
            elif name == "quit":
                print(json.dumps({"ok": True}), flush=True)
                stop()
            else:
                answer = {"ok": False, "error": f"unknown command {name}"}
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}", "console": console()}
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    stop()


if __name__ == "__main__":
    main()
