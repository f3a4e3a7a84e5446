"""The console's plots: Chart.js vendored in console/vendor/, served by the
gateway with its licence, in headless Chromium against a live gateway.

Needs Debian's chromium, chromium-driver and python3-selenium
(scripts/install-deps.sh): without them the suite FAILS, it does not skip.
"""

import hashlib

from console_common import ConsoleCase, fetch
import harness  # noqa: E402  (console_common puts it on the path)

# Debian 12's libjs-chart.js 3.9.1+~0.2.1-2, /usr/share/javascript/chart.js/chart.min.js.
CHART_JS_SHA256 = 'fbc45926e6b46845a0f905552a0e0b1331049bff1115ecf94dbe0904d895e710'


class ConsoleUsageTest(ConsoleCase):
    # ---- the vendored library ---------------------------------------------------
    def test_chart_js_is_served_from_the_gateway_with_its_licence(self):
        status, headers, body = fetch(self.base + '/console/vendor/chart.min.js')
        self.assertEqual((status, headers['Content-Type']), (200, 'text/javascript; charset=utf-8'))
        self.assertEqual(hashlib.sha256(body).hexdigest(), CHART_JS_SHA256)
        status, headers, body = fetch(self.base + '/console/vendor/LICENSE-chart.js.txt')
        self.assertEqual((status, headers['Content-Type']), (200, 'text/plain; charset=utf-8'))
        self.assertIn(b'Chart.js Contributors', body)
        self.assertIn(b'MIT License', body)
        # The page loads it from there, and nothing from another origin.
        self.assertEqual(self.driver.execute_script('return Chart.version'), '3.9.1')
        sources = self.driver.execute_script(
            'return Array.from(document.scripts, (s) => s.src).concat('
            'Array.from(document.querySelectorAll("link[href]"), (l) => l.href))')
        self.assertTrue(sources)
        for source in sources:
            self.assertTrue(source.startswith(self.console), source)


if __name__ == '__main__':
    harness.main()
