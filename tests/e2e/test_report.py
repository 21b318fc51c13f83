"""Issue 21: `jobsub report` writes one HTML file that works offline. It is
opened in headless Chromium (Debian's chromium) with the network off
(`unshare -n`): the page must log nothing to the console (its
Content-Security-Policy turns any request into a console error), its table's
rows are read from the DOM as the browser built it, and a screenshot must show
the parallel-coordinates lines (pixels in d3's viridis colours, which nothing
else on the page uses), read with Pillow (Debian's python3-pil)."""
import html
import os
import pathlib
import re
import shutil
import subprocess

from harness import JobsubTestCase
from test_collect import PROGRAM, SPEC, expected_acc

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PIL_PYTHON = "/usr/bin/python3"

# d3.interpolateViridis at 0, 0.1, ..., 1: a pixel within 30 of one of them is a line's.
VIRIDIS_COUNT = r"""
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
stops = [0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c, 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26,
         0xfde725]
stops = [(s >> 16, (s >> 8) & 255, s & 255) for s in stops]
near = 0
for r, g, b in image.getdata():
    if any((r - s[0]) ** 2 + (g - s[1]) ** 2 + (b - s[2]) ** 2 < 30 ** 2 for s in stops):
        near += 1
print(near)
"""


def chromium(page, *flags, timeout=120):
    """Chromium, headless, with no network at all; returns (stdout, console lines)."""
    run = subprocess.run(["unshare", "-n", CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--enable-logging=stderr", "--log-level=0", "--window-size=1280,1400", *flags,
                          page.as_uri()], capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return run, console


class Report(JobsubTestCase):
    def test_the_report_opens_offline_with_its_rows_and_a_drawn_plot(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        self.jobsub("--yes", "-j", "2", cwd=exp)
        out = self.tmp / "copied" / "report.html"
        out.parent.mkdir()
        made = self.jobsub("report", "-o", str(out), cwd=exp)
        self.assertExit(made, 0)
        self.assertIn(f"wrote {out} (6 jobs", made.stdout)
        page = out.read_text()
        self.assertLess(len(page.encode()), 5_000_000)
        self.assertIn("default-src 'none'", page)  # the browser refuses any request the page might make
        self.assertNotRegex(page, r"<script[^>]*\bsrc=")  # every script is inside
        # The results directory is gone: the file alone must do (a laptop copy).
        shutil.rmtree(exp / "results")

        run, console = chromium(out, "--dump-dom", "--virtual-time-budget=5000")
        self.assertEqual(run.returncode, 0, run.stderr[-2000:])
        self.assertEqual(console, [], "the page logged to the console")
        dom = run.stdout
        self.assertRegex(dom, r'data-ready-ms="\d+"')  # the script ran to its end
        rows = re.findall(r'<tr data-job="(\d+)"[^>]*>(.*?)</tr>', dom)
        self.assertEqual(sorted(int(job) for job, _ in rows), [1, 2, 3, 4, 5, 6])
        head = [html.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", dom)]
        self.assertEqual(head[:8], ["job", "lr", "seed", "dataset", "state", "attempt", "runtime", "step"])
        cells = {int(job): [html.unescape(c) for c in re.findall(r"<td(?:\s[^>]*)?>(.*?)</td>", body)] for job, body in rows}
        acc = head.index("acc")
        self.assertEqual(cells[4][acc], "NaN")
        self.assertEqual(cells[2][acc], "-")  # wrote nothing: missing, not 0
        self.assertEqual(float(cells[1][acc]), expected_acc(0.1, 1))
        self.assertEqual(cells[6][head.index("state")], "failed")
        # Best first by the objective (acc, higher is better): job 6 (2.03, failed but measured) leads.
        self.assertEqual([int(job) for job, _ in rows][:2], [6, 5])

        shot = self.tmp / "report.png"
        run, console = chromium(out, f"--screenshot={shot}", "--virtual-time-budget=5000")
        self.assertEqual(console, [])
        self.assertTrue(shot.exists(), run.stderr[-2000:])
        counted = subprocess.run([PIL_PYTHON, "-c", VIRIDIS_COUNT, str(shot)], capture_output=True, text=True,
                                 timeout=120)
        self.assertEqual(counted.returncode, 0, counted.stderr)
        self.assertGreater(int(counted.stdout), 1000, "no parallel-coordinates lines in the screenshot")

    def test_a_file_that_cannot_be_written_is_a_usage_error_and_leaves_nothing(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        self.jobsub("--yes", "-j", "2", cwd=exp)
        bad = self.jobsub("report", "-o", str(self.tmp / "no" / "such" / "dir" / "r.html"), cwd=exp)
        self.assertExit(bad, 2)
        self.assertIn("cannot write it", bad.stderr)
        self.assertFalse((self.tmp / "no").exists())
        folder = self.jobsub("report", "-o", str(self.tmp), cwd=exp)
        self.assertExit(folder, 2)
        self.assertIn("a directory; name the file", folder.stderr)

    def test_a_value_that_looks_like_html_cannot_break_the_page(self):
        program = ("import json, os\n"
                   "open(os.environ['JOBSUB_METRICS'], 'w').write(json.dumps({'acc': 0.5, "
                   "'note': '<!--<script></script>&amp;'}) + '\\n')\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n",
                              program=program)
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        out = self.tmp / "r.html"
        self.assertExit(self.jobsub("report", "-o", str(out), cwd=exp), 0)
        run, console = chromium(out, "--dump-dom", "--virtual-time-budget=5000")
        self.assertEqual(console, [])
        self.assertRegex(run.stdout, r'data-ready-ms="\d+"')  # the script ran to its end
        self.assertEqual(len(re.findall(r'<tr data-job="', run.stdout)), 2)
        self.assertIn("&lt;!--&lt;script&gt;&lt;/script&gt;&amp;amp;", run.stdout)  # shown as the text it is
