"""Issue 20: list and dict values reach the program whole, read back by each
framework's own rules: Hydra's override grammar (a hand-written probe that
follows hydra/grammar/OverrideLexer.g4 and OverrideParser.g4 of Hydra's
repository, with its visitor's rules for primitives and quoted strings:
Hydra is not packaged for Debian), sacred's (partition, strip,
ast.literal_eval, else the text) and Python's argparse (nargs, or
type=json.loads). From the spec and from the command line, the same values."""
import json
import os

from harness import JobsubTestCase

# name: (as an override writes it, as jobsub.yaml writes it as ONE value, what it means)
VALUES = {
    "nested": ("[[1,2],[3]]", "[[[1, 2], [3]]]", [[1, 2], [3]]),
    "empty": ("[]", "[[]]", []),
    "strs": ("['a,b','c]',\"it's\",' sp ','x y','[1]','{k:v}','1']",
             "[['a,b', 'c]', \"it's\", ' sp ', 'x y', '[1]', '{k:v}', '1']]",
             ["a,b", "c]", "it's", " sp ", "x y", "[1]", "{k:v}", "1"]),
    "dict": ("{lr:0.1,layers:[64,64],name:'a b'}", "{lr: 0.1, layers: [64, 64], name: 'a b'}",
             {"lr": 0.1, "layers": [64, 64], "name": "a b"}),
    "flags": ("[null,true,false,0x10,.5]", "[[null, true, false, 0x10, .5]]", [None, True, False, 16, 0.5]),
    "tricky": ("['Nan','tRUE',007.5,'C:\\\\dir',-1e-3]", "[['Nan', 'tRUE', 007.5, 'C:\\\\dir', -1e-3]]",
               ["Nan", "tRUE", 7.5, "C:\\\\dir", -0.001]),
}

# Every probe prints what it read through typed(), so that 1, 1.0 and True
# (equal in Python) stay apart; the test compares with typed(what it means).
TYPED = r"""
def typed(v):
    if isinstance(v, dict):
        return {"dict": {k: typed(x) for k, x in v.items()}, "key types": [type(k).__name__ for k in v]}
    if isinstance(v, list):
        return {"list": [typed(x) for x in v]}
    return [type(v).__name__, repr(v)]
"""
namespace = {}
exec(TYPED, namespace)
typed = namespace["typed"]

HYDRA_PROBE = TYPED + r'''import json, re, sys
# Hydra's lexer in VALUE_MODE (OverrideLexer.g4): the longest match wins, ties
# go to the rule written first.
D = r"[0-9](_?[0-9])*"
U = r"(0|[1-9](_?[0-9])*)"
POINT = rf"({U}\.|({U})?\.{D})"
RULES = [
    ("POPEN", r"[ \t]*\([ \t]*"), ("COMMA", r"[ \t]*,[ \t]*"), ("PCLOSE", r"[ \t]*\)"),
    ("BRACKET_OPEN", r"\[[ \t]*"), ("BRACKET_CLOSE", r"[ \t]*\]"), ("BRACE_OPEN", r"\{[ \t]*"),
    ("BRACE_CLOSE", r"[ \t]*\}"), ("COLON", r"[ \t]*:[ \t]*"), ("EQUAL", r"[ \t]*=[ \t]*"),
    ("FLOAT", rf"[+-]?({POINT}|({U}|{POINT})[eE][+-]?{D}|[Ii][Nn][Ff]|[Nn][Aa][Nn])"),
    ("INT", rf"[+-]?{U}"), ("BOOL", r"[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]"), ("NULL", r"[Nn][Uu][Ll][Ll]"),
    ("UNQUOTED_CHAR", r"[/\-\\+.$%*@?|]"), ("ID", r"[a-zA-Z_][a-zA-Z0-9_\-]*"),
    ("ESC", r"(\\\\|\\\(|\\\)|\\\[|\\\]|\\\{|\\\}|\\:|\\=|\\,|\\ |\\\t)+"), ("WS", r"[ \t]+"),
    ("QUOTED_VALUE", r"""("((\\\\)*|.*?[^\\](\\\\)*)")|('((\\\\)*|.*?[^\\](\\\\)*)')"""),
    ("INTERPOLATION", r"\$\{[^}]+\}"),
]
RULES = [(name, re.compile(rx, re.S)) for name, rx in RULES]
PRIMITIVE = {"ID", "NULL", "INT", "FLOAT", "BOOL", "INTERPOLATION", "UNQUOTED_CHAR", "COLON", "ESC", "WS"}
KEY = PRIMITIVE - {"COLON", "INTERPOLATION"}

def longest(rx, text, at):
    """The end of the longest match of `rx` at `at`, as ANTLR's lexer takes
    it (Python's regex alternation takes the first, not the longest); a quoted
    value ends at its first possible closing quote (its `.*?` is non-greedy)."""
    if rx.pattern.startswith("("):  # QUOTED_VALUE
        m = rx.match(text, at)
        return m.end() if m else None
    for end in range(len(text), at, -1):
        if rx.fullmatch(text, at, end):
            return end
    return None

def lex(text):
    tokens, at = [], 0
    while at < len(text):
        best = None
        for name, rx in RULES:
            end = longest(rx, text, at)
            if end is not None and (best is None or end > best[1]):
                best = (name, end)
        if best is None:
            raise SyntaxError(f"no token at {at} in {text!r}")
        tokens.append((best[0], text[at:best[1]]))
        at = best[1]
    return tokens

def unquote(text):  # the visitor's _unescape_quoted_string
    q, text = text[0], text[1:]
    rx = re.compile(r"(\\)+" + re.escape(q))
    out, m = [], rx.search(text)
    if m is None:
        return text[:-1]
    while m is not None:
        out += [text[:m.start()], text[m.start() + 1:m.end():2]]
        text = text[m.end():]
        m = rx.search(text)
    if len(text) > 1:
        out.append(text[:-1])
    return "".join(out)

def primitive(tokens):  # the visitor's _createPrimitive
    if tokens and tokens[0][0] == "WS":
        tokens = tokens[1:]
    if tokens and tokens[-1][0] == "WS":
        tokens = tokens[:-1]
    if not tokens:
        raise SyntaxError("a primitive of whitespace only")
    if len(tokens) > 1:
        return "".join(t[1][1::2] if t[0] == "ESC" else t[1] for t in tokens)
    kind, text = tokens[0]
    return {"INT": lambda: int(text), "FLOAT": lambda: float(text), "NULL": lambda: None,
            "BOOL": lambda: text.lower() == "true", "ESC": lambda: text[1::2],
            "QUOTED_VALUE": lambda: unquote(text)}.get(kind, lambda: text)()

class Parser:
    def __init__(self, tokens):
        self.t, self.i = tokens, 0
    def peek(self):
        return self.t[self.i][0] if self.i < len(self.t) else "EOF"
    def take(self, kind):
        if self.peek() != kind:
            raise SyntaxError(f"expected {kind}, got {self.peek()} at token {self.i}")
        self.i += 1
        return self.t[self.i - 1]
    def element(self):
        kind = self.peek()
        if kind == "BRACKET_OPEN":
            self.take(kind)
            out = []
            if self.peek() != "BRACKET_CLOSE":
                out.append(self.element())
                while self.peek() == "COMMA":
                    self.take("COMMA")
                    out.append(self.element())
            self.take("BRACKET_CLOSE")
            return out
        if kind == "BRACE_OPEN":
            self.take(kind)
            out = {}
            while self.peek() != "BRACE_CLOSE":
                if out:
                    self.take("COMMA")
                start = self.i
                while self.peek() in KEY:
                    self.i += 1
                key = primitive(self.t[start:self.i])
                self.take("COLON")
                out[key] = self.element()
            self.take("BRACE_CLOSE")
            return out
        if kind == "QUOTED_VALUE":
            return primitive([self.take(kind)])
        start = self.i
        while self.peek() in PRIMITIVE:
            self.i += 1
        if self.peek() == "POPEN":
            raise SyntaxError("a function call")
        return primitive(self.t[start:self.i])
    def value(self):
        first = self.element()
        if self.peek() == "COMMA":
            return {"SWEEP": "a comma at the top makes a sweep"}
        self.take("EOF") if self.peek() != "EOF" else None
        return first

out = {}
for word in sys.argv[1:]:
    key, _, value = word.partition("=")
    tokens = lex(value.lstrip(" \t"))  # the key's EQUAL token takes the blanks after it
    out[key] = typed(Parser(tokens).value() if tokens else "")
print(json.dumps(out))
'''

SACRED_PROBE = TYPED + r"""import ast, json, sys
out = {}
for word in sys.argv[sys.argv.index("with") + 1:]:
    key, _, value = word.partition("=")
    value = value.strip()
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    out[key] = typed(value)
print(json.dumps(out))
"""

ARGPARSE_JSON_PROBE = TYPED + r"""import argparse, json, sys
parser = argparse.ArgumentParser()
for key in ("nested", "empty", "strs", "dict", "flags", "tricky"):
    parser.add_argument("--" + key, type=json.loads)
print(json.dumps({k: typed(v) for k, v in vars(parser.parse_args()).items()}))
"""

# Flat lists as nargs words, each with the type= its elements have.
NARGS = {
    "ints": ("[64,0x10,-3]", "[[64, 0x10, -3]]", [64, 16, -3], "int"),
    "reals": ("[0.1,.5,1e3]", "[[0.1, .5, 1e3]]", [0.1, 0.5, 1000.0], "float"),
    "words": ("['a,b','x y','1',\"it's\"]", "[['a,b', 'x y', '1', \"it's\"]]", ["a,b", "x y", "1", "it's"], "str"),
    "none": ("[]", "[[]]", [], "str"),
}
ARGPARSE_NARGS_PROBE = TYPED + r"""import argparse, json, sys
parser = argparse.ArgumentParser()
for key, kind in (("ints", int), ("reals", float), ("words", str), ("none", str)):
    parser.add_argument("--" + key, nargs="*", type=kind)
print(json.dumps({k: typed(v) for k, v in vars(parser.parse_args()).items()}))
"""


class ListValues(JobsubTestCase):
    def round_trip(self, formatter, command, probe, values, from_command_line, options=()):
        spec = f"formatter: {formatter}\nprogram: prog.py\ncommand: {json.dumps(command)}\n"
        overrides = []
        if from_command_line:
            overrides = [f"{key}={row[0]}" for key, row in values.items()]
        else:
            spec += "hypers:\n" + "".join(f"  {key}: {row[1]}\n" for key, row in values.items())
        exp = self.experiment(spec, program=probe, name=f"{formatter}-{int(from_command_line)}")
        result = self.jobsub("--yes", *options, *overrides, cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("1 job", result.stdout)  # a list value is one value, never a sweep
        results = self.only_results_dir(exp)
        self.assertEqual(self.job_stdout_json(results, 1), {key: typed(row[2]) for key, row in values.items()})
        params = json.loads((results / "jobs/0001/params.json").read_text())
        self.assertEqual(params["empty"] if "empty" in params else params["none"], [])
        return results

    def test_hydra_from_the_spec_and_the_command_line(self):
        for from_command_line in (False, True):
            with self.subTest(from_command_line=from_command_line):
                self.round_trip("hydra", "python3 {script} {args}", HYDRA_PROBE, VALUES, from_command_line)

    def test_sacred_from_the_spec_and_the_command_line(self):
        for from_command_line in (False, True):
            with self.subTest(from_command_line=from_command_line):
                self.round_trip("sacred", "python3 {script} with {args}", SACRED_PROBE, VALUES,
                                from_command_line)

    def test_argparse_json_from_the_spec_and_the_command_line(self):
        for from_command_line in (False, True):
            with self.subTest(from_command_line=from_command_line):
                self.round_trip("argparse", "python3 {script} {args}", ARGPARSE_JSON_PROBE, VALUES,
                                from_command_line, options=("--argparse.lists", "json"))

    def test_argparse_nargs_from_the_spec_and_the_command_line(self):
        for from_command_line in (False, True):
            with self.subTest(from_command_line=from_command_line):
                self.round_trip("argparse", "python3 {script} {args}", ARGPARSE_NARGS_PROBE, NARGS,
                                from_command_line)

    def test_params_json_keeps_the_structure(self):
        results = self.round_trip("sacred", "python3 {script} with {args}", SACRED_PROBE, VALUES, False)
        params = json.loads((results / "jobs/0001/params.json").read_text())
        self.assertEqual(params["nested"], [[1, 2], [3]])
        self.assertEqual(params["dict"], {"lr": 0.1, "layers": [64, 64], "name": "a b"})
        self.assertEqual(params["flags"], [None, True, False, 16, 0.5])  # JSON numbers inside

    def test_sweeps_over_list_values_give_one_job_per_value(self):
        exp = self.experiment("formatter: hydra\nprogram: prog.py\n"
                              "hypers:\n  layers: [[64, 64], [128]]\n  one: [[64, 64]]\n  opt: {lr: 1, wd: 2}\n")
        plan = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("2 jobs", plan.stdout)
        self.assertIn("'layers=[64,64]' 'one=[64,64]' 'opt={lr:1,wd:2}'", plan.stdout)
        plan = self.jobsub("--dry-run", "layers=[64,64],[128],[1,2,3]", "opt={a:[1,2]},{b:2}", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("6 jobs", plan.stdout)

    def test_a_bad_list_is_a_usage_error_with_the_column_and_nothing_written(self):
        exp = self.experiment("formatter: hydra\nprogram: prog.py\nhypers: {lr: [0.1]}\n")
        for bad, where in (("layers=[64,64", "column 8: the '[' is never closed"),
                           ("re=[a-z]+", "column 9: text after the list or dict ends"),
                           ("opt={lr:1,lr:2}", "the key 'lr' twice")):
            with self.subTest(bad=bad):
                result = self.jobsub("--yes", bad, cwd=exp)
                self.assertExit(result, 2)
                self.assertIn(where, result.stderr)
                self.assertFalse((exp / "results").exists(), "nothing may be written")

    def test_a_structure_a_style_cannot_spell_is_refused_naming_the_key(self):
        exp = self.experiment("formatter: argparse\nprogram: prog.py\nhypers:\n  opt: {lr: 1}\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("key 'opt': argparse's nargs cannot receive {lr: 1}", result.stderr)
        self.assertIn("--argparse.lists json", result.stderr)
        self.assertFalse(list((exp / "results").rglob("jobs.tsv")) if (exp / "results").exists() else [])
        exp = self.experiment("formatter: hydra\nprogram: prog.py\nhypers:\n  opt: {'a b': 1}\n", name="hydra")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("key 'opt': Hydra cannot receive the dict key 'a b'", result.stderr)


class GuardRails(JobsubTestCase):
    """Issue 20, points 2 and 4: what a user expects before anything is written."""

    def test_an_override_changes_only_the_grids_that_have_its_key(self):
        exp = self.experiment("program: prog.py\nformatter: hydra\nhypers:\n"
                              "  - {opt: [sgd], lr: [0.1, 0.01], momentum: [0.9]}\n"
                              "  - {opt: [adam], lr: [0.1, 0.01]}\n")
        plan = self.jobsub("--dry-run", "momentum=0.5,0.99", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("6 jobs", plan.stdout)  # sgd 2 x 2, adam 2: adam gets no momentum
        self.assertIn("note: momentum=[0.5, 0.99]: replaces 'momentum' in hypers[0] of the 2 grids (the grid that has it)",
                      plan.stdout)
        self.assertNotRegex(plan.stdout, r"opt=adam .*momentum")
        plan = self.jobsub("--dry-run", "seed=1,2", cwd=exp)
        self.assertIn("8 jobs", plan.stdout)
        self.assertIn("no grid has 'seed', so it is added to all 2 grids", plan.stdout)

    def test_a_value_listed_twice_is_an_error_unless_replicas_are_allowed(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  lr: [0.1, 0.2, 0.1]\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: hypers.lr lists the value 0.1 twice, which makes identical jobs",
                      result.stderr)
        self.assertIn("allow_duplicates: true", result.stderr)
        self.assertFalse((exp / "results").exists())
        result = self.jobsub("--yes", "lr=1,1", cwd=exp)
        self.assertExit(result, 2)
        self.assertIn("command line: hypers.lr lists the value 1 twice", result.stderr)
        (exp / "jobsub.yaml").write_text("program: prog.py\ncommand: python3 {script} {args}\nallow_duplicates: true\n"
                                         "hypers:\n  lr: [0.1, 0.2, 0.1]\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("3 of 3 jobs submitted", result.stdout)

    def test_none_and_yaml_1_1_booleans_get_a_note_and_stay_strings(self):
        exp = self.experiment("program: prog.py\nformatter: sacred\ncommand: python3 {script} with {args}\n"
                              "hypers:\n  dropout: None\n  flag: [yes, 'no']\n")
        plan = self.jobsub("--dry-run", "x=[off,1]", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("note: jobsub.yaml:5 hypers.dropout: None is the string 'None' here", plan.stdout)
        self.assertIn("write null for a null", plan.stdout)
        self.assertIn("note: jobsub.yaml:6 hypers.flag: yes is the string 'yes' here", plan.stdout)
        self.assertNotIn("'no' here", plan.stdout)  # quoted: meant as a string
        self.assertIn("note: override 'x=[off,1]': off is the string 'off' here", plan.stdout)
        # Unchanged: the string, which sacred gets quoted (its literal_eval would read None as null).
        result = self.jobsub("--yes", "x=[off,1]", cwd=exp)
        self.assertExit(result, 0)
        self.assertEqual(self.job_stdout_json(self.only_results_dir(exp), 1),
                         ["with", "dropout='None'", "flag=yes", "x=['off', 1]"])

    def test_a_command_of_another_formatters_style_gets_a_note(self):
        exp = self.experiment("program: prog.py\nformatter: argparse\ncommand: python3 {script} with {args}\n"
                              "hypers: {lr: [0.1]}\n")
        plan = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("but the formatter is argparse: its arguments would follow `with`", plan.stdout)
        plan = self.jobsub("--dry-run", "--formatter=sacred", cwd=exp)
        self.assertNotIn("with` before", plan.stdout)
        self.assertNotIn("would follow `with`", plan.stdout)

    def test_the_spec_on_standard_input_and_a_json_spec(self):
        exp = self.experiment(None)
        spec = ("program: prog.py\nformatter: hydra\ncommand: python3 {script} {args}\n"
                "hypers: {layers: [[1, 2]], seed: [1, 2]}\n")
        result = self.jobsub("--spec", "-", cwd=exp, input=spec)
        self.assertExit(result, 2)
        self.assertIn("--spec - reads the spec from standard input, which then cannot answer the prompt",
                      result.stderr)
        result = self.jobsub("--spec", "-", "--yes", cwd=exp, input=spec)
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertEqual((results / "jobsub.yaml").read_text(), spec)
        self.assertEqual(self.job_stdout_json(results, 2), ["layers=[1,2]", "seed=2"])
        (exp / "spec.json").write_text(json.dumps({"program": "prog.py", "formatter": "hydra",
                                                    "hypers": {"layers": [[64, 64], [128]], "opt": {"lr": 0.1}}}))
        plan = self.jobsub("--spec", "spec.json", "--dry-run", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("2 jobs", plan.stdout)
        self.assertIn("'layers=[64,64]' 'opt={lr:0.1}'", plan.stdout)


GRIDS_WITH_RESOURCES = """program: prog.py
command: python3 {script} {args}
resources: {time: 1h, mem: 2G}
hypers:
  - {model: [small], seed: [1, 2]}
  - hypers: {model: [large], seed: [1, 2]}
    resources: {time: 4h}
  - {model: [tiny], seed: [1]}
"""


class PerGridResources(JobsubTestCase):
    """Issue 20, point 3: a grid entry with resources of its own; its jobs
    go to the scheduler as batches of their own."""

    def test_each_group_is_its_own_batch_with_its_resources(self):
        exp = self.experiment(GRIDS_WITH_RESOURCES)
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("resources of the other grids (jobs 1-2,5, batches of their own): mem=2G, time=1h",
                      result.stdout)
        self.assertIn("resources of hypers[1] (jobs 3-4, batches of their own): mem=2G, time=4h", result.stdout)
        results = self.only_results_dir(exp)
        submitted = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        self.assertEqual([(s["batch"], s["jobs"]) for s in submitted if s["state"] == "submitting"],
                         [("batch-1", "1-2,5"), ("batch-2", "3-4")])
        self.assertEqual(self.job_stdout_json(results, 3), ["--model=large", "--seed=1"])
        # Its by-hand hint names one of its own jobs.
        self.assertIn("JOBSUB_ARRAY_TASK_ID=3 bash", (results / "batch-2.sh").read_text())
        sweep = json.loads((results / "sweep.json").read_text())
        self.assertEqual(sweep["resource_groups"],
                         [{"grid": "hypers[1]", "resources": {"mem": "2G", "time": "4h"}, "jobs": "3-4"}])

    def test_the_resource_reaches_the_right_batch_script_on_every_batch_scheduler(self):
        exp = self.experiment(GRIDS_WITH_RESOURCES)
        for scheduler, options, directive in (
                ("slurm", ["--slurm.max-array-size", "1000"], "#SBATCH --time={}\n"),
                ("sge", ["--sge.max-array-tasks", "1000"], "#$ -l h_rt={}\n"),
                ("pbs", ["--pbs.dialect", "pro"], "#PBS -l walltime={}\n")):
            with self.subTest(scheduler=scheduler):
                plan = self.jobsub("--dry-run", f"--scheduler={scheduler}", *options, cwd=exp)
                self.assertExit(plan, 0)
                scripts = plan.stdout.split("\n--- ")[1:]
                scripts = [s for s in scripts if not s.startswith("submitted with")]
                self.assertEqual(len(scripts), 2, plan.stdout)
                self.assertIn("batch-1.sh ---", scripts[0])
                self.assertIn(directive.format("01:00:00"), scripts[0])
                self.assertIn(directive.format("04:00:00"), scripts[1])
                self.assertNotIn(directive.format("04:00:00"), scripts[0])

    def test_the_command_line_resource_wins_over_the_grids(self):
        exp = self.experiment(GRIDS_WITH_RESOURCES)
        plan = self.jobsub("--dry-run", "--scheduler=slurm", "--slurm.max-array-size", "1000",
                           "--resource", "time=30m", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("resources of hypers[1] (jobs 3-4, batches of their own): mem=2G, time=30m", plan.stdout)
        self.assertEqual(plan.stdout.count("#SBATCH --time=00:30:00\n"), 2)

    def test_resume_and_resubmit_keep_each_groups_resources(self):
        exp = self.experiment(GRIDS_WITH_RESOURCES.replace("python3 {script} {args}",
                                                           "python3 {script} {args}\nformatter: hydra"),
                              program="import sys\nsys.exit(3 if 'seed=2' in sys.argv else 0)\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 1)
        again = self.jobsub("resubmit", "--yes", cwd=exp)
        self.assertExit(again, 1)  # seed=2 fails again: jobs 2 and 4, one per group
        results = self.only_results_dir(exp)
        submitted = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        self.assertEqual([(s["batch"], s["jobs"]) for s in submitted if s["state"] == "submitting"],
                         [("batch-1", "1-2,5"), ("batch-2", "3-4"), ("batch-3", "2"), ("batch-4", "4")])

    def test_the_command_line_option_wins_over_the_specs_short_form(self):
        # Found by a new-user trial: `options: {lists: json}` in the spec beat `--argparse.lists nargs`.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\noptions: {lists: json}\n"
                              "hypers:\n  layers: [[64, 64]]\n")
        plan = self.jobsub("--dry-run", "--argparse.lists", "nargs", cwd=exp)
        self.assertExit(plan, 0)
        self.assertIn("prog.py --layers 64 64\n", plan.stdout)
        plan = self.jobsub("--dry-run", cwd=exp)
        self.assertIn("prog.py '--layers=[64, 64]'\n", plan.stdout)
        bad = self.jobsub("--dry-run", "--argparse.lists", "JSON", cwd=exp)
        self.assertExit(bad, 3)  # a plugin's option refused: a bad setting
        self.assertIn("--argparse.lists must be nargs or json, not 'JSON'", bad.stderr)
