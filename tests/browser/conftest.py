"""Browser tests of the console: Playwright driving Debian's chromium against the real platform.

They run in a pytest process of their own, without eventlet (`make test` runs
`pytest --confcutdir=tests/browser tests/browser` after the rest): under the suite's eventlet monkey
patching Playwright cannot stop its driver. In that main run these tests are not collected."""
import sys

if "eventlet" in sys.modules and sys.modules["eventlet"].patcher.is_monkey_patched("socket"):
    collect_ignore_glob = ["test_*.py"]
else:
    import json
    import re
    import shutil
    from contextlib import contextmanager
    from pathlib import Path

    import pytest

    ROOT = Path(__file__).resolve().parent.parent.parent
    SCREENSHOTS = ROOT / "docs" / "screenshots"
    AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
    PAGE_BUDGET_BYTES = 100 * 1024
    # A bare internal code (deadline_breached, referral_outcome...) printed where a person expects words.
    BARE_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")

    def bare_codes(page) -> list[str]:
        """The snake_case codes in what the page shows (form field values are not part of inner_text).
        The one exception: a <code> element, where a page shows a machine identifier on purpose, for
        someone to look up elsewhere (a message id, a parked message's queue as RabbitMQ names it)."""
        return sorted(set(BARE_CODE.findall(page.evaluate(VISIBLE_TEXT_BUT_CODE))))

    # The body's visible text with each <code> element set aside for the reading (put back, the same nodes,
    # in the same task, before anything is drawn): a word shown elsewhere is read even when a <code> holds it.
    VISIBLE_TEXT_BUT_CODE = """() => {
        const codes = [...document.querySelectorAll("code")];
        const blanks = codes.map(code => {
            const blank = document.createElement("span");
            blank.textContent = " ";
            code.replaceWith(blank);
            return blank;
        });
        const text = document.body.innerText;
        blanks.forEach((blank, index) => blank.replaceWith(codes[index]));
        return text;
    }"""

    @contextmanager
    def organisation_provider(urls):
        """An OpenID provider for "Sign in with IOM Keycloak"; whoever the test puts in signed_in_as signs in."""
        from tests.browser.platform import free_port
        from tests.fakes.oidc_provider import OidcProvider
        with OidcProvider(free_port(), "cfm-console", "provider-client-secret",
                          f"{urls['identity']}/v1/sso/keycloak/callback") as provider:
            yield provider, {"CFM__PROVIDERS": json.dumps({"keycloak": {
                "name": "IOM Keycloak", "issuer": provider.issuer, "client_id": "cfm-console",
                "client_secret": "provider-client-secret",
                "mapping": [{"claim": "groups", "value": "cfm-gn-agents", "role": "agent", "countries": ["GN"]}]}})}

    @pytest.fixture(scope="session")
    def platform():
        from tests.browser.platform import running_platform
        with running_platform(with_extra=organisation_provider) as running:
            yield running

    @pytest.fixture(scope="session")
    def browser():
        from playwright.sync_api import sync_playwright
        executable = shutil.which("chromium")
        assert executable, "chromium is missing: apt-get install -y chromium (make test installs it)"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            yield browser
            browser.close()

    class Visit:
        """One person's browser: a page that records what each navigation weighed and any CSP violation."""

        def __init__(self, browser, base_url: str, *, phone: bool = False):
            viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 768}
            self.context = browser.new_context(viewport=viewport, base_url=base_url, locale="fr-FR",
                                               is_mobile=phone, has_touch=phone)
            self.page = self.context.new_page()
            self.violations: list[str] = []
            self.page.on("console", lambda message: self.violations.append(f"{message.text} at {message.location}")
                         if "Content Security Policy" in message.text else None)
            self.responses = []
            self.page.on("response", lambda response: self.responses.append(response))

        def weight(self) -> int:
            total = 0
            for response in self.responses:
                try:
                    total += len(response.body())
                except Exception:  # a redirect has no body
                    pass
            return total

        def mark(self):
            self.responses = []

        def check(self, name: str | None = None, *, full_page: bool = True):
            """Accessibility (axe-core: no serious or critical violation), no CSP violation, no bare code
            where words belong, the page's weight since the last mark under budget; and a screenshot for
            the README when named."""
            page = self.page
            page.wait_for_load_state("networkidle")
            page.evaluate(AXE_SOURCE)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            serious = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
                       for v in result["violations"] if v["impact"] in ("serious", "critical")]
            assert not serious, json.dumps(serious, indent=1)
            assert not self.violations, self.violations
            bare = bare_codes(page)
            assert not bare, f"{page.url} shows bare codes instead of words: {bare}"
            weight = self.weight()
            assert weight < PAGE_BUDGET_BYTES, f"{page.url} weighed {weight} bytes"
            if name:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
            self.mark()

        def close(self):
            self.context.close()

    @pytest.fixture
    def visit(browser):
        opened = []

        def open_visit(base_url: str, **kwargs) -> Visit:
            opened.append(Visit(browser, base_url, **kwargs))
            return opened[-1]
        yield open_visit
        for each in opened:
            each.close()
