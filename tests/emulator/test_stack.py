"""The real local stack: runner container (Compose, from scratch), sample extension,
`python -m emulator` on a free port, and the production gateway image beside it.

Everything goes through `http://127.0.0.1:<port>` exactly as a browser would.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.emulator.stack import (
    FUNCTIONS_IMAGE,
    GATEWAY_TIMEOUT_MS,
    REPO,
    Stack,
    free_port,
    loud_skip,
    require_image,
    start_stack,
    stop_stack,
    wait_until,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

GATEWAY_ERRORS = {"runner_unreachable", "runner_timeout", "runner_invalid_response"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:
    started = start_stack(tmp_path_factory.mktemp("emulator-stack"))
    yield started
    stop_stack(started)


def hello(stack: Stack, **kwargs) -> requests.Response:
    return requests.get(f"{stack.url}/api/ext/sample/hello", **{"timeout": 30} | kwargs)


def test_the_sample_api_answers_through_the_emulator(stack):
    resp = hello(stack, params={"name": "emulator"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["message"] == "Hello, emulator!"
    assert (body["tenant"], body["extension"]) == ("dev", "sample")
    first = requests.post(f"{stack.url}/api/ext/sample/counter", timeout=30).json()
    second = requests.post(f"{stack.url}/api/ext/sample/counter", timeout=30).json()
    assert second["value"] == first["value"] + 1  # storage in the runner's data volume


def test_the_host_page_frames_the_sample_and_its_assets_revalidate(stack):
    page = requests.get(stack.url + "/", timeout=10)
    assert page.status_code == 200
    match = re.search(r'<iframe id="ext-sample"[^>]* src="([^"]+)"', page.text)
    assert match, page.text
    src = match.group(1).replace("&amp;", "&")
    assert src.startswith(f"/runner/ext-ui/sample/{stack.content_hash}/")  # same origin
    html = requests.get(stack.url + src, timeout=10)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    etag = html.headers["etag"]
    again = requests.get(stack.url + src, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html.text)
    assert scripts, "the sample UI loads a script"
    base = src.split("?", 1)[0].rsplit("/", 1)[0]
    script = requests.get(f"{stack.url}{base}/{scripts[0].lstrip('./')}", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_healthz_and_status_report_the_docker_backend_and_container(stack):
    health = requests.get(f"{stack.url}/healthz", timeout=10)
    assert health.status_code == 200
    body = health.json()
    assert body["backend"] == {"kind": "docker", "base_url": stack.runner_url}
    assert body["runner"]["reachable"] is True
    status = requests.get(f"{stack.url}/_emulator/status.json", timeout=10).json()
    runner = status["runner"]
    assert runner["mode"] == "docker" and runner["compose_project"] == stack.project
    assert runner["container"] == stack.container().name
    assert (runner["status"], runner["health"]) == ("running", "healthy")
    assert runner["image"] == "extgate/runner:dev"
    assert [i["extension_id"] for i in status["extensions"]["installs"]] == ["sample"]


def test_fifty_concurrent_requests_all_succeed(stack):
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: hello(stack, timeout=60).status_code, range(50)))
    assert statuses == [200] * 50


def test_runner_stopped_mid_traffic_fails_fast_and_comes_back_by_itself(stack):
    """Stop the container under load: every answer is 200 or a gateway JSON error within
    the gateway timeout, none hangs, and the watchdog brings the runner back."""
    outcomes: list[tuple[float, int, str | None]] = []
    lock = threading.Lock()
    stop_traffic = threading.Event()

    def traffic() -> None:
        session = requests.Session()
        for _ in range(2000):  # bounded
            if stop_traffic.is_set():
                return
            started = time.monotonic()
            try:
                resp = session.get(f"{stack.url}/api/ext/sample/hello", timeout=60)
                code = None if resp.status_code == 200 else resp.json().get("error")
                outcome = (time.monotonic() - started, resp.status_code, code)
            except requests.RequestException as exc:
                outcome = (time.monotonic() - started, -1, type(exc).__name__)
            with lock:
                outcomes.append(outcome)

    workers = [threading.Thread(target=traffic) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: len(outcomes) >= 20, 60, "traffic to flow")
        stack.container().stop(timeout=5)
        wait_until(
            lambda: any(s != 200 for _, s, _ in outcomes[-50:]), 60, "requests to see the outage"
        )
        recovered_from = len(outcomes)
        wait_until(
            lambda: any(s == 200 for _, s, _ in outcomes[recovered_from:]),
            180, "the watchdog to bring the runner back", stack,
        )  # fmt: skip
    finally:
        stop_traffic.set()
        for worker in workers:
            worker.join(timeout=120)
    failures = [o for o in outcomes if o[1] != 200]
    assert failures, "the outage was not observed"
    assert {s for _, s, _ in failures} <= {502, 503, 504}, failures[:5]
    assert {c for _, _, c in failures} <= GATEWAY_ERRORS, failures[:5]
    limit_s = GATEWAY_TIMEOUT_MS / 1000 + 5
    assert max(elapsed for elapsed, _, _ in outcomes) < limit_s
    status = requests.get(f"{stack.url}/_emulator/status.json", timeout=10).json()
    assert status["runner"]["watchdog_recoveries"] >= 1
    assert status["runner"]["status"] == "running"


def test_the_production_function_image_answers_the_same_requests(stack):
    require_image(stack.client, FUNCTIONS_IMAGE)
    ports = {"execute": free_port(), "ui_proxy": free_port(), "health": free_port()}
    stack.env.update(
        GATEWAY_EXECUTE_PORT=str(ports["execute"]),
        GATEWAY_UI_PROXY_PORT=str(ports["ui_proxy"]),
        GATEWAY_HEALTH_PORT=str(ports["health"]),
    )
    started = stack.dev_runner("gateway")
    assert started.returncode == 0, started.stdout + started.stderr
    execute = f"http://127.0.0.1:{ports['execute']}"
    wait_until(
        lambda: requests.get(f"{execute}/livez", timeout=5).status_code == 200,
        120, "the execute function container",
    )  # fmt: skip
    via_image = requests.get(f"{execute}/api/ext/sample/hello?name=prod", timeout=30)
    via_emulator = hello(stack, params={"name": "prod"})
    assert via_image.status_code == via_emulator.status_code == 200
    strip = lambda body: {k: v for k, v in body.items() if k != "requestId"}  # noqa: E731
    assert strip(via_image.json()) == strip(via_emulator.json())
    missing = requests.get(f"{execute}/api/ext/nope/x", timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "not_installed"

    health = requests.get(f"http://127.0.0.1:{ports['health']}/healthz", timeout=30)
    assert health.status_code == 200
    assert health.json()["backend"] == {
        "kind": "knative",
        "base_url": "http://extension-runner:8080",
    }

    page = requests.get(stack.url + "/", timeout=10).text
    src = re.search(r'<iframe id="ext-sample"[^>]* src="([^"]+)"', page).group(1)
    src = src.replace("&amp;", "&")
    ui = requests.get(f"http://127.0.0.1:{ports['ui_proxy']}{src}", timeout=30)
    assert ui.status_code == 200
    assert ui.content == requests.get(stack.url + src, timeout=10).content


@pytest.mark.browser
def test_a_browser_sees_the_extension_ui_call_its_api_on_one_origin(stack):
    """Headless Chromium (Debian's, through chromedriver) on the host page: the iframe
    comes from the same origin, its script calls the extension API and shows the answer."""
    import shutil

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        loud_skip("chromium/chromedriver missing: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    screenshot = REPO / "artifacts" / "emulator-browser.png"
    try:
        driver.set_page_load_timeout(60)
        driver.get(stack.url + "/")
        wait = WebDriverWait(driver, 60)
        frame = wait.until(ec.presence_of_element_located((By.ID, "ext-sample")))
        assert frame.get_property("src").startswith(stack.url + "/runner/ext-ui/sample/")
        driver.switch_to.frame(frame)
        assert driver.execute_script("return window.location.origin") == stack.url
        hello_text = wait.until(
            lambda d: (t := d.find_element(By.ID, "hello-result").text) and "Hello" in t and t
        )
        assert "Hello" in hello_text
        counter = driver.find_element(By.ID, "counter-value")
        wait.until(lambda d: counter.text.strip().isdigit())
        before = int(counter.text)
        driver.find_element(By.ID, "counter-button").click()
        wait.until(lambda d: counter.text.strip() == str(before + 1))
        driver.switch_to.default_content()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
        print(f"\nscreenshot: {screenshot}")
    except Exception:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot.with_name("emulator-browser-failure.png")))
        raise
    finally:
        driver.quit()
    history = requests.get(f"{stack.url}/_emulator/status.json", timeout=10).json()["requests"]
    paths = {r["path"] for r in history}
    assert "/api/ext/sample/hello" in paths and "/api/ext/sample/counter" in paths


def test_extgate_dev_watch_reinstalls_and_the_next_request_uses_it(stack, tmp_path):
    """The author loop: `extgate dev DIR --watch`, edit the UI, the host page frames the
    new content hash and serves the edited file. (The component is reused: UI-only edits
    are re-packed without componentize-py.)"""
    import json
    import shutil
    import subprocess

    from runner.bundles.extract import extract_bundle
    from tests.emulator.stack import SAMPLE_SRC, sample_bundle

    src = tmp_path / "sample"
    shutil.copytree(SAMPLE_SRC, src, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    unpacked = tmp_path / "unpacked"
    extract_bundle(sample_bundle(), unpacked)
    (src / "dist").mkdir()
    shutil.copyfile(unpacked / "dist" / "main.wasm", src / "dist" / "main.wasm")
    registry = stack.state_dir / "installs.json"

    def installed_hash() -> str:
        installs = json.loads(registry.read_text())["installs"]
        return next(i["content_hash"] for i in installs if i["extension_id"] == "sample")

    env = dict(stack.env, INSTALL_REGISTRY_FILE=str(registry))
    dev = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "extgate"), "dev", str(src), "--watch", "--interval", "0.3",
         "--runner-url", stack.runner_url],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(dev.stdout), daemon=True)
    reader.start()
    installs = lambda: sum(line.startswith("installed ") for line in lines)  # noqa: E731
    try:
        wait_until(lambda: installs() >= 1 or dev.poll() is not None, 300, "the first install")
        assert dev.poll() is None, "".join(lines)
        first = installed_hash()
        time.sleep(1.1)
        index = src / "ui" / "index.html"
        index.write_text(index.read_text().replace("</body>", "<!-- edited-by-test --></body>"))
        wait_until(lambda: installs() >= 2, 300, "the reinstall after an edit")
        second = installed_hash()
        assert second != first
    finally:
        dev.terminate()
        dev.wait(timeout=30)
        reader.join(timeout=10)
    out = "".join(lines)
    assert "building" not in out, "a UI-only edit must not rebuild the component"
    page = requests.get(stack.url + "/", timeout=10).text
    src_url = re.search(r'<iframe id="ext-sample"[^>]* src="([^"]+)"', page).group(1)
    assert second in src_url
    html = requests.get(stack.url + src_url.replace("&amp;", "&"), timeout=30)
    assert html.status_code == 200 and "edited-by-test" in html.text
    assert hello(stack).status_code == 200
