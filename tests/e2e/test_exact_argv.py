"""Issue 2, point 8: every formatter's argv reaches the program byte for byte,
through the local scheduler's batch script, and no value can run a command."""
import ast
import json
import re

from harness import JobsubTestCase

NASTY = [
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "`touch PWNED_backtick`",
    "$(touch PWNED_subshell)",
    "a; touch PWNED_semicolon",
    "*",
    "line1\nline2",
    "ünïcødé ✓",
    "",
    "-leading-dash",
    "tab\there",
    "back\\slash",
    "a'b\"c$d`e\\f",
]


def hydra_unquote(text):
    """Reads a value the way the hydra formatter documents its quoting (Hydra
    itself is not packaged for Debian, so this stands in for its parser)."""
    if not text.startswith("'"):
        return text
    body = text[1:-1]
    out, i = "", 0
    while i < len(body):
        if body[i] == "\\":
            run = re.match(r"\\+", body[i:]).group(0)
            after = body[i + len(run):i + len(run) + 1]
            if after == "'":  # escaped backslashes, then an escaped quote
                out += "\\" * ((len(run) - 1) // 2) + "'"
                i += len(run) + 1
                continue
            if after == "$" and len(run) == 1:
                out += "$"
                i += 2
                continue
            if after == "":  # a run before the closing quote is doubled
                out += "\\" * (len(run) // 2)
                i += len(run)
                continue
            out += run
            i += len(run)
            continue
        out += body[i]
        i += 1
    return out


def sacred_reads(word):
    """sacred's rule for a `with` argument (arg_parser.get_config_updates):
    partition on '=', strip the value, ast.literal_eval, else the text."""
    key, _, value = word.partition("=")
    value = value.strip()
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return key, value


SACRED_PROBE = """import ast, json, sys
key, _, value = sys.argv[2].partition("=")
value = value.strip()
try:
    value = ast.literal_eval(value)
except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
    pass
print(json.dumps([type(value).__name__, value]))
"""


class ExactArgv(JobsubTestCase):
    def run_sweep(self, formatter, command):
        spec = "formatter: %s\nprogram: prog.py\ncommand: %s\nhypers: %s\n" % (
            formatter, json.dumps(command), json.dumps({"v": NASTY}, ensure_ascii=False))
        exp = self.experiment(spec)
        result = self.jobsub("--yes", "-j", "4", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("%d jobs" % len(NASTY), result.stdout)
        results = self.only_results_dir(exp)
        received = [self.job_stdout_json(results, i + 1) for i in range(len(NASTY))]
        # Nothing a value said was run as a command.
        pwned = [p.name for p in self.tmp.rglob("PWNED*")]
        self.assertEqual(pwned, [])
        return results, received

    def test_sacred(self):
        _, received = self.run_sweep("sacred", "python3 {script} with {args}")
        self.assertEqual([sacred_reads(argv[1]) for argv in received], [("v", v) for v in NASTY])
        self.assertEqual([argv[0] for argv in received], ["with"] * len(NASTY))

    def test_sacred_reads_every_kind_of_value_as_the_spec_means_it(self):
        # Each value through sacred's own rule, in the program: strings come
        # back verbatim, numbers, booleans and None with their type.
        strings = ["1.0", "True", "None", "[1]", "(1)", "{}", "'x'", '"x"', "b'x'", "rb'x'", "...", "-1", "+1",
                   "1_0", "0x1F", " a", "a ", "\ta", "a\n", "\u00a0a", "a\u3000", "\u2003x\u2003", " ", "\r",
                   "a\rb", "\\", "\\'", "x'", "ünï ✓", "1 + 2", "lambda: 0", "__import__('os')", "f'x'"]
        typed = "[1, -3, 1.5, 1e-4, 0.0001, true, false, null, 12345678901234567890]"
        spec = ("formatter: sacred\nprogram: prog.py\ncommand: python3 {script} with {args}\n"
                "hypers:\n  - {s: %s}\n  - {s: %s}\n") % (json.dumps(strings, ensure_ascii=False), typed)
        exp = self.experiment(spec, program=SACRED_PROBE)
        self.assertExit(self.jobsub("--yes", "-j", "4", cwd=exp), 0)
        results = self.only_results_dir(exp)
        expected = [["str", v] for v in strings] + [
            ["int", 1], ["int", -3], ["float", 1.5], ["float", 1e-4], ["float", 0.0001], ["bool", True],
            ["bool", False], ["NoneType", None], ["int", 12345678901234567890]]
        got = [self.job_stdout_json(results, i + 1) for i in range(len(expected))]
        self.assertEqual(got, expected)

    def test_argparse(self):
        _, received = self.run_sweep("argparse", "python3 {script} {args}")
        self.assertEqual(received, [["--v=" + v] for v in NASTY])

    def test_hydra(self):
        results, received = self.run_sweep("hydra", "python3 {script} {args}")
        recorded = [json.loads(line) for line in (results / "argv.jsonl").read_text().splitlines()]
        self.assertEqual(received, recorded)  # the program got exactly the formatter's argv
        for value, argv in zip(NASTY, received):
            self.assertEqual(len(argv), 1)
            key, _, quoted = argv[0].partition("=")
            self.assertEqual(key, "v")
            self.assertEqual(hydra_unquote(quoted), value, argv[0])

    def test_values_given_on_the_command_line(self):
        exp = self.experiment("formatter: argparse\nprogram: prog.py\ncommand: python3 {script} {args}\n")
        result = self.jobsub("--yes", "name='a,b'", "x=$(touch PWNED_cli)", "lr=0.0001", cwd=exp)
        self.assertExit(result, 0)
        received = self.job_stdout_json(self.only_results_dir(exp), 1)
        self.assertEqual(received, ["--name=a,b", "--x=$(touch PWNED_cli)", "--lr=0.0001"])
        self.assertEqual([p.name for p in self.tmp.rglob("PWNED*")], [])
