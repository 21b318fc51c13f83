"""Issue 11: every number, boolean and null reaches the program as the spec
means it (YAML 1.2's core schema), read back by each framework's own rule:
sacred's (partition, strip, ast.literal_eval, else the text), a real argparse
parser with type= per kind, and Hydra's override grammar (Hydra itself is not
packaged for Debian and PyPI is out of reach here, so the hydra probe
implements the grammar of Hydra 1.3's override documentation for primitives)."""
import json
import math

from harness import JobsubTestCase

# (key, the value as written in YAML or on the command line, what it means).
# A key's prefix says its type, for the argparse probe's type=.
ROWS = [
    ("int_hex", "0x10", 16),
    ("int_oct", "0o17", 15),
    ("int_plus", "+1", 1),
    ("int_minus_zero", "-0", 0),
    ("int_zeros", "007", 7),
    ("int_big", "123456789012345678901234567890", 123456789012345678901234567890),
    ("float_inf", ".inf", math.inf),
    ("float_minus_inf", "-.inf", -math.inf),
    ("float_nan", ".nan", math.nan),
    ("float_NaN", ".NaN", math.nan),
    ("float_exp", "1e3", 1000.0),
    ("float_point", ".5", 0.5),
    ("float_trailing", "1.", 1.0),
    ("float_small", "0.0001", 0.0001),
    ("bool_upper", "TRUE", True),
    ("bool_false", "false", False),
    ("null_tilde", "~", None),
    ("null_word", "null", None),
    ("str_underscores", "1_000", "1_000"),  # a string in YAML 1.2
    ("str_binary", "0b11", "0b11"),  # likewise
]

SACRED_PROBE = r"""import ast, json, sys
out = {}
for word in sys.argv[sys.argv.index("with") + 1:]:
    key, _, value = word.partition("=")
    value = value.strip()
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    out[key] = [type(value).__name__, repr(value)]
print(json.dumps(out))
"""

ARGPARSE_PROBE = r"""import argparse, json, os, sys
keys = list(json.load(open(os.path.join(os.environ["JOBSUB_JOB_DIR"], "params.json"))))
parser = argparse.ArgumentParser()
types = {"int": int, "float": float, "str": str}
for key in keys:
    kind = key.split("_")[0]
    if kind == "bool":
        parser.add_argument("--" + key, action="store_true")
    elif kind == "null":
        parser.add_argument("--" + key, type=float, default=argparse.SUPPRESS)
    else:
        parser.add_argument("--" + key, type=types[kind])
args = vars(parser.parse_args())
out = {k: [type(args[k]).__name__, repr(args[k])] if k in args else ["str", repr("left out")] for k in keys}
print(json.dumps(out))
"""

# Hydra 1.3's override grammar for a primitive value (OverrideLexer.g4):
# quoted strings; INT [+-]?(0|[1-9](_?[0-9])*); FLOAT with POINT_FLOAT,
# EXPONENT_FLOAT, inf, nan (any case); BOOL true/false and NULL null (any
# case); anything else an unquoted string (trimmed).
HYDRA_PROBE = r"""import json, re, sys
INT = re.compile(r"[+-]?(0|[1-9](_?[0-9])*)")
DIGITS = r"[0-9](_?[0-9])*"
POINT = rf"(({DIGITS})?\.{DIGITS}|{DIGITS}\.)"
FLOAT = re.compile(rf"[+-]?({POINT}|({DIGITS}|{POINT})[eE][+-]?{DIGITS}|[iI][nN][fF]|[nN][aA][nN])")
def hydra_value(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if INT.fullmatch(text):
        return int(text.replace("_", ""))
    if FLOAT.fullmatch(text):
        return float(text.replace("_", ""))
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    return text
out = {}
for word in sys.argv[1:]:
    key, _, value = word.partition("=")
    value = hydra_value(value)
    out[key] = [type(value).__name__, repr(value)]
print(json.dumps(out))
"""

PROBES = {"sacred": SACRED_PROBE, "argparse": ARGPARSE_PROBE, "hydra": HYDRA_PROBE}
COMMANDS = {"sacred": "python3 {script} with {args}", "argparse": "python3 {script} {args}",
            "hydra": "python3 {script} {args}"}


def expected(formatter, rows):
    out = {}
    for key, _, value in rows:
        if formatter == "argparse" and value is None:
            value = "left out"  # null leaves the option out: the program's default applies
        out[key] = [type(value).__name__, repr(value)]
    return out


def rows_for(formatter):
    # sacred cannot receive NaN (literal_eval has none): refused, tested below.
    return [r for r in ROWS if not (formatter == "sacred" and r[2] != r[2])]


class TypedValuesCase(JobsubTestCase):
    scheduler_args = ()
    env = None

    def run_probe(self, formatter, from_command_line):
        rows = rows_for(formatter)
        spec = f"formatter: {formatter}\nprogram: prog.py\ncommand: {json.dumps(COMMANDS[formatter])}\n"
        overrides = []
        if from_command_line:
            overrides = [f"{key}={text}" for key, text, _ in rows]
        else:
            spec += "hypers:\n" + "".join(f"  {key}: {text}\n" for key, text, _ in rows)
        exp = self.experiment(spec, program=PROBES[formatter], name=f"{formatter}-{int(from_command_line)}")
        kwargs = {"env": self.env} if self.env else {}
        result = self.jobsub("--yes", *self.scheduler_args, *overrides, cwd=exp, **kwargs)
        self.assertExit(result, 0)
        got = self.job_stdout_json(self.only_results_dir(exp), 1)
        self.assertEqual(got, expected(formatter, rows))


class TypedValues(TypedValuesCase):
    def test_sacred_from_the_spec(self):
        self.run_probe("sacred", False)

    def test_sacred_from_the_command_line(self):
        self.run_probe("sacred", True)

    def test_argparse_from_the_spec(self):
        self.run_probe("argparse", False)

    def test_argparse_from_the_command_line(self):
        self.run_probe("argparse", True)

    def test_hydra_from_the_spec(self):
        self.run_probe("hydra", False)

    def test_hydra_from_the_command_line(self):
        self.run_probe("hydra", True)

    def test_sacred_refuses_nan_before_anything_is_submitted(self):
        exp = self.experiment("formatter: sacred\nprogram: prog.py\nhypers: {lr: [0.1, .nan]}\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("formatter 'sacred', job 2: key 'lr': sacred cannot receive NaN (.nan) as a number",
                      result.stderr)
        self.assertIn("Write it as a string in the spec ('nan')", result.stderr)
        self.assertEqual(list((exp / "results").rglob("jobs.tsv")) if (exp / "results").exists() else [], [],
                         "nothing may be submitted or recorded")
