#!/usr/bin/env python3
"""Takes the README's screenshots of the web console (docs/console/*.png):
a live gateway with --admin-listen and usage statistics every 5 s, a few
users with buckets, limits and a quota, S3 traffic from boto3, and headless
Chromium drawing the pages. Not a test (no meson suite runs it): run it
again after the pages change.

    /usr/bin/python3 tests/console/screenshots.py [OUTPUT_DIR]

OUTPUT_DIR defaults to docs/console. Needs what the console suite needs
(chromium, chromium-driver, python3-selenium, boto3) and a built gateway.
"""

import os
import sys
import time
import unittest

from console_common import ConsoleCase
import harness  # noqa: E402  (console_common puts it on the path)

OUTPUT = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                         os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'console'))


class Screenshots(ConsoleCase):
    gw_conf = '# Enable usage statistics collection.\nS3_GW_COLLECT_STAT=1\nS3_GW_STAT_PERIOD=5\n'

    def shot(self, name):
        time.sleep(1)  # the plots' animation ends
        self.driver.save_screenshot(os.path.join(OUTPUT, name + '.png'))

    def customer(self, email, sizes):
        s3 = self.gw.client(self.gw.create_user(email))
        bucket = harness.unique_bucket(email.split('@')[0])
        s3.create_bucket(Bucket=bucket)
        for i, size in enumerate(sizes):
            s3.put_object(Bucket=bucket, Key=f'photos/{i}.jpg', Body=os.urandom(size))
            s3.get_object(Bucket=bucket, Key=f'photos/{i}.jpg')['Body'].read()
        s3.list_objects_v2(Bucket=bucket)
        return s3, bucket

    def test_screenshots(self):
        from selenium.webdriver.common.by import By
        os.makedirs(OUTPUT, exist_ok=True)
        self.shot('sign-in')
        s3, bucket = self.customer('alice@example.com', [300_000, 120_000, 80_000])
        for email, sizes in (('bob@example.com', [50_000]), ('carol@example.net', [10_000, 20_000])):
            self.customer(email, sizes)
        alice = self.user_id('alice@example.com')
        self.assertEqual(self.admin('PUT', [('ostor-limits', None), ('userId', alice), ('limit-type', 'ops'),
                                            ('limit-resource', 'get'), ('limit-value', '200')])[0], 200)
        self.assertEqual(self.admin('PUT', [('ostor-quotas', None), ('userId', alice), ('quota-size', '50')])[0], 200)
        # A few periods of traffic for the usage plots.
        for _ in range(4):
            for i in range(3):
                s3.get_object(Bucket=bucket, Key=f'photos/{i}.jpg')['Body'].read()
            s3.put_object(Bucket=bucket, Key='notes.txt', Body=os.urandom(40_000))
            time.sleep(5)
        self.sign_in(self.gw.access_key, self.gw.secret_key)
        self.wait_for(lambda d: len(self.rows()) >= 4, 'the users are not listed')
        self.shot('users')
        self.setUp()  # signed out again: open_user_page signs in
        self.open_user_page('alice@example.com')
        self.wait_for(lambda d: self.driver.find_elements(By.CSS_SELECTOR, '#buckets-table tr[data-bucket]'),
                      'no buckets listed')
        self.wait_for(lambda d: self.chart('usage-ops-chart'), 'no usage plot')
        self.shot('user')
        self.driver.execute_script('document.getElementById("usage-card").scrollIntoView()')
        self.shot('usage')
        self.driver.find_element(By.CSS_SELECTOR, '#buckets-table button[data-action="history"]').click()
        self.wait_for(lambda d: self.chart('size-history-chart'), 'no size history')
        self.driver.execute_script('document.getElementById("size-history-card").scrollIntoView()')
        self.shot('size-history')
        self.driver.execute_script('document.getElementById("limits-form").scrollIntoView()')
        self.shot('limits-quota')
        self.health(s3, bucket)

    def health(self, s3, bucket):
        """The Health page after half a minute of its readings (every 5 s)
        with traffic: reads, misses, and dave's gets throttled at 2/s."""
        from botocore.exceptions import ClientError
        dave_s3 = self.gw.client(self.gw.create_user('dave@example.com'))
        dave = self.user_id('dave@example.com')
        self.assertEqual(self.admin('PUT', [('ostor-limits', None), ('userId', dave), ('limit-type', 'ops'),
                                            ('limit-resource', 'get'), ('limit-value', '2')])[0], 200)
        dave_s3.create_bucket(Bucket='dave-logs')
        dave_s3.put_object(Bucket='dave-logs', Key='today.log', Body=os.urandom(5000))
        self.driver.get(self.console + '#health')
        end = time.monotonic() + 32
        while time.monotonic() < end:
            for i in range(3):
                s3.get_object(Bucket=bucket, Key=f'photos/{i}.jpg')['Body'].read()
            for key in ('photos/9.jpg', 'today.log', 'today.log', 'today.log'):
                try:
                    (s3 if key.startswith('photos') else dave_s3).get_object(
                        Bucket=bucket if key.startswith('photos') else 'dave-logs', Key=key)['Body'].read()
                except ClientError:
                    pass
            time.sleep(0.2)
        self.shot('health')

    def chart(self, canvas_id):
        return self.driver.execute_script(
            'const c = Chart.getChart(document.getElementById(arguments[0]));'
            'return c && c.data.datasets.some((d) => d.data.length > 0);', canvas_id)


if __name__ == '__main__':
    unittest.main()
