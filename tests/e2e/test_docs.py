"""Issue 13: every command example in README.md and docs/ runs, and its shown
output is what the binary prints. A doc that drifts from the code fails here.

The format (docs/README section "Examples in the docs are tests"):

- a ```console block is a test: `$ ` lines are commands (run in one bash, so
  `cd` carries over, from a scratch copy of the repository's examples/);
  the lines after a command are its expected output (stdout and stderr
  together), compared when there are any;
- in expected output, `<anything>` matches any text within a line, a line
  `...` matches any number of lines, and a last line `[N]` is the exit code
  (0 when absent);
- `<!-- docs-test: skip REASON -->` just before a block keeps it from running;
  REASON is required;
- every other fenced block must name a language that is not a command
  (yaml, cpp, cmake, text): a bare ``` block is an error, so no command
  example can slip past untested.

Hand-written rather than cram (Debian's python3-cram): cram reads its own
`.t` files, and the examples must stay readable Markdown in the docs.
"""
import os
import pathlib
import re
import shutil
import subprocess
import unittest

from harness import JOBSUB, SOURCE_DIR, JobsubTestCase, clean_env

DOCS = [SOURCE_DIR / "README.md", *sorted((SOURCE_DIR / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)\s*$")
SKIP = re.compile(r"^<!-- docs-test: skip (\S.*?) -->$")
NOT_COMMANDS = {"yaml", "cpp", "cmake", "text", "json", "mustache"}
PLACEHOLDER = re.compile(r"<[^<>\n]+>")
SLURM_CONF = os.environ.get("SLURM_CONF")


class Block:
    def __init__(self, path, line, lang, lines, skip):
        self.path, self.line, self.lang, self.lines, self.skip = path, line, lang, lines, skip

    @property
    def where(self):
        return f"{self.path.relative_to(SOURCE_DIR)}:{self.line}"

    def commands(self):
        """[(command, expected lines or None, expected exit code)]"""
        out = []
        for line in self.lines:
            if line.startswith("$ "):
                out.append([line[2:], [], 0])
            elif out and out[-1][0].endswith("\\") and not out[-1][1]:
                out[-1][0] += "\n" + line
            elif out:
                out[-1][1].append(line)
            elif line.strip():
                raise AssertionError(f"{self.where}: console block text before the first `$ ` command: {line!r}")
        for entry in out:
            expected = entry[1]
            while expected and not expected[-1].strip():
                expected.pop()
            if expected and re.fullmatch(r"\[\d+\]", expected[-1]):
                entry[2] = int(expected.pop()[1:-1])
            entry[1] = expected or None
        return [tuple(e) for e in out]


def blocks(path):
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        before = next((lines[k] for k in range(start - 1, -1, -1) if lines[k].strip()), "")
        skip = SKIP.match(before)
        yield Block(path, start + 1, lang, lines[start + 1:j], skip.group(1) if skip else None)
        i = j + 1


def output_pattern(expected):
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        pieces = PLACEHOLDER.split(line)
        parts.append(r"[^\n]*?".join(re.escape(p) for p in pieces) + r"[ \t]*\n")
    return "".join(parts)


def output_matches(expected, actual):
    text = "\n".join(l.rstrip() for l in actual.splitlines()) + "\n" if actual else ""
    return re.fullmatch(output_pattern(expected), text) is not None


class DocsFormat(unittest.TestCase):
    def test_the_matcher(self):
        self.assertTrue(output_matches(["a <x> c", "...", "end"], "a b c\n1\n2\nend\n"))
        self.assertTrue(output_matches(["a", "...", "end"], "a\nend\n"))
        self.assertFalse(output_matches(["a", "end"], "a\nmiddle\nend\n"))
        self.assertFalse(output_matches(["results in <dir>"], "results in\n"))  # a placeholder is not empty...
        self.assertTrue(output_matches(["x <n> y"], "x  y\n"))  # ...unless the spaces around it are there

    def test_every_fenced_block_is_a_test_a_skip_or_not_a_command(self):
        problems = []
        for path in DOCS:
            for block in blocks(path):
                if block.lang == "console" or block.skip or block.lang in NOT_COMMANDS:
                    continue
                problems.append(f"{block.where}: a ```{block.lang} block: make it ```console (a test), "
                                f"mark it <!-- docs-test: skip REASON -->, or name its language (text, yaml, ...)")
        self.assertEqual(problems, [])


class DocsCode(JobsubTestCase):
    """The C++ in the plugin guide compiles against the SDK headers as shown."""

    def test_cpp_blocks_compile(self):
        build = pathlib.Path(os.environ.get("JOBSUB_BUILD_DIR") or SOURCE_DIR / "build")
        ran = 0
        for path in DOCS:
            for block in blocks(path):
                if block.lang != "cpp" or block.skip:
                    continue
                source = self.tmp / f"block-{block.line}.cpp"
                source.write_text("\n".join(block.lines) + "\n")
                result = subprocess.run(["g++", "-std=c++20", "-fsyntax-only", "-Wall", "-Werror",
                                         f"-I{SOURCE_DIR}/sdk/include", f"-I{build}/generated", str(source)],
                                        capture_output=True, text=True, timeout=300)
                self.assertEqual(result.returncode, 0, f"{block.where} does not compile:\n{result.stderr}")
                ran += 1
        self.assertGreater(ran, 0)


class DocsExamples(JobsubTestCase):
    """One test per document; each console block in it runs from a fresh copy."""

    def run_block(self, block):
        if "--scheduler=slurm" in "\n".join(block.lines) and not SLURM_CONF:
            self.skipTest("needs the ctest fixture that starts Slurm (SLURM_CONF)")
        work = self.tmp / f"block-{block.line}"
        shutil.copytree(SOURCE_DIR / "examples", work / "examples",
                        ignore=shutil.ignore_patterns("results", ".jobsub"))  # leftovers of a run there
        bin_dir = pathlib.Path(JOBSUB).parent
        env = clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", NO_COLOR="1")
        if SLURM_CONF:
            env["SLURM_CONF"] = SLURM_CONF
        commands = block.commands()
        script = ["set +e"]
        for n, (command, _, _) in enumerate(commands):
            script.append(f'{{ {command}\n}} > "$DOCS_OUT/{n}.out" 2>&1 < /dev/null; echo $? > "$DOCS_OUT/{n}.rc"')
        out_dir = work / ".out"
        out_dir.mkdir()
        env["DOCS_OUT"] = str(out_dir)
        subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env, timeout=600, check=True)
        for n, (command, expected, code) in enumerate(commands):
            actual = (out_dir / f"{n}.out").read_text(errors="replace")
            rc = int((out_dir / f"{n}.rc").read_text())
            self.assertEqual(rc, code, f"{block.where}: `{command}` exited {rc}, the doc says {code}:\n{actual}")
            if expected is not None:
                self.assertTrue(output_matches(expected, actual),
                                f"{block.where}: `{command}` printed:\n{actual}\nthe doc shows:\n" + "\n".join(expected))

    def run_document(self, name):
        path = SOURCE_DIR / name
        ran = 0
        for block in blocks(path):
            if block.lang == "console" and not block.skip:
                with self.subTest(block=block.where):
                    self.run_block(block)
                ran += 1
        return ran

    def test_readme(self):
        self.assertGreater(self.run_document("README.md"), 0)

    def test_user_guide(self):
        self.assertGreater(self.run_document("docs/user-guide.md"), 0)

    def test_plugin_guide(self):
        self.run_document("docs/plugin-guide.md")

    def test_architecture(self):
        self.run_document("docs/architecture.md")
