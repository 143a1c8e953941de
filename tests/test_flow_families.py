"""The flow families of issue 13 through the real CLI: NB206 loop-skips-target, NB203's lambdas and special
methods, NB404's new pools, NB406 fork-in-kernel and NB407 interactive-command. Positions across cells,
severities, suppressions, a notebook of look-alikes that must stay clean, and the recursion claims checked
by running the INVALID special methods for real."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import pytest
from conftest import CORPUS, check_notebook, json_findings, run_nblint

from nblint.rules import ALL_RULES
from nblint.rules.common.install_lines import shell_commands
from nblint.rules.hangs.interactive import judge
from nblint.testing import run_example

FLOW_CODES = "NB203,NB206,NB404,NB406,NB407"


def where(finding):
    return finding["code"], finding["cell"], finding["line"], finding["column"]


def test_each_family_is_reported_at_its_line_across_cells(tmp_path):
    cells = [
        "import os\nimport numpy as np\nimport multiprocessing as mp\nimport emcee\nSTOP = 100\n",
        "%matplotlib inline\nn = 1\n",
        "while n != STOP:\n    n += 7\n",
        "class Bag:\n    def __len__(self):\n        return len(self)\n",
        "def log_prob(theta):\n    return -0.5 * np.dot(theta, theta)\n",
        "with mp.Pool(4) as pool:\n    sampler = emcee.EnsembleSampler(32, 5, log_prob, pool=pool)\n",
        "pid = os.fork()\n",
        "!conda install -c conda-forge lightgbm=4.5\n!apt-get install ffmpeg\n",
    ]
    findings = check_notebook(tmp_path, cells, FLOW_CODES)
    assert [where(f) for f in findings] == [
        ("NB206", 2, 1, 1),
        ("NB203", 3, 3, 16),
        ("NB404", 5, 2, 15),
        ("NB406", 6, 1, 7),
        ("NB407", 7, 1, 1),
        ("NB407", 7, 2, 1),
    ]
    by_code = {f["code"]: f for f in findings}
    assert "`n` starts at 1 and steps by 7: it goes from 99 to 106, never 100" in by_code["NB206"]["message"]
    assert by_code["NB206"]["fix"] == "while n < STOP:"
    assert "pool=pool hands the pool" in by_code["NB404"]["message"]
    # apt asks only when it adds dependencies: a warning; conda always asks: an error
    assert [f["severity"] for f in findings if f["code"] == "NB407"] == ["error", "warning"]


def test_a_notebook_of_look_alikes_is_clean(tmp_path):
    cells = [
        "import os, sys\nimport multiprocessing as mp\nfrom joblib import Parallel, delayed\n",
        "x = 0.0\nwhile x != 1.0:\n    x += 0.25\n",
        "def collatz(x):\n    while x != 1:\n        if x % 2 == 0:\n            x = x // 2\n        else:\n            x = 3 * x + 1\n",
        "class Point:\n    def __init__(self, x):\n        self.x = x\n    def __eq__(self, other):\n        return self.x == other.x\n"
        "    def __repr__(self):\n        return f'Point({self.x!r})'\n    def __getattr__(self, name):\n        return self.__dict__[name]\n",
        "fact = lambda n: 1 if n <= 1 else n * fact(n - 1)\n",
        "def work(x):\n    return x\n",
        "out = Parallel(n_jobs=2)(delayed(work)(i) for i in range(3))\n",
        "with mp.get_context('fork').Pool(2) as pool:\n    pool.map(work, [1])\n",
        "pid = os.fork()\nif pid == 0:\n    work(1)\n    os._exit(0)\n",
        "!python train.py\n!yes | apt-get install ffmpeg\n%conda install numpy=1.26\n!git commit -am 'results'\n!less log.txt | head\n",
        "%%bash\nconda install numpy\npython\n",
        # subprocess children read the kernel's closed standard input: end-of-file, no wait
        "import subprocess\nsubprocess.run(['python'])\nos.system('apt-get install ffmpeg')\n",
    ]
    assert check_notebook(tmp_path, cells, FLOW_CODES) == []


def test_interactive_command_honours_a_line_suppression_and_a_cell_tag(tmp_path):
    cells = [
        "!python  # nblint: ignore[NB407]\n",
        {
            "cell_type": "code",
            "source": "!vim notes.txt\n",
            "metadata": {"tags": ["nblint-ignore[NB407]"]},
            "outputs": [],
            "execution_count": None,
        },
        "!nano notes.txt\n",
    ]
    findings = check_notebook(tmp_path, cells, "NB407")
    assert [where(f) for f in findings] == [("NB407", 2, 1, 1)]


def test_explain_prints_a_new_rules_docs():
    result = run_nblint("explain", "NB407")
    assert result.returncode == 0, result.stderr
    assert "## Why it kills the kernel" in result.stdout and "pseudo-terminal" in result.stdout


@pytest.mark.parametrize(
    "line, waits",
    [
        ("python", True),
        ("python -W ignore", True),
        ("python -W ignore train.py", False),
        ("python -uc 'print(1)'", False),
        ("python -", True),
        ("R CMD BATCH script.R", False),
        ("sudo -i", True),
        ("sudo -u root apt-get install -y x", False),
        ("env LESS=-R less log.txt", True),
        ("apt-get install -qq x", False),
        ("apt-get -q -q install x", False),
        ("apt-get -q install x", True),
        ("apt-get install -o APT::Get::Assume-Yes=true x", False),
        ("ssh -p 2222 host", True),
        ("ssh -o BatchMode=yes host ls", False),
        ("ssh -T host", True),
        ("git -c core.editor=true commit", False),
        ("git commit --fixup HEAD", False),
        ("git commit -e -a", True),
        ("top -bn1", False),
        ("conda create -n x python=3.11 --dry-run", False),
    ],
)
def test_how_a_shell_command_is_judged(line, waits):
    [command] = shell_commands(line)
    assert (judge(command, None) is not None) is waits


# -- the special methods really recurse (and the look-alikes really do not) -----------------------------


@contextmanager
def python_default_recursion_limit():
    """Python's own limit while running the examples: nblint's deep-stack thread raises the process's limit
    (nblint.core.deepstack), and this thread's C stack overflows long before that limit."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@pytest.mark.parametrize(
    "code, trigger",
    [
        ("class Bag:\n    def __len__(self):\n        return len(self)\n", "len(Bag())"),
        ("class Point:\n    def __str__(self):\n        return f'Point({self})'\n", "str(Point())"),
        ("class Point:\n    def __str__(self):\n        return 'Point %s' % self\n", "str(Point())"),
        ("class Point:\n    def __repr__(self):\n        return 'Point(' + str(self) + ')'\n", "repr(Point())"),
        ("class Point:\n    def __eq__(self, other):\n        return self == other\n", "Point() == 1"),
        ("class Money:\n    def __radd__(self, other):\n        return other + self\n", "sum([Money(), Money()])"),
        ("class Proxy:\n    def __getattr__(self, name):\n        return self.target.get(name)\n", "Proxy().size"),
        ("class Proxy:\n    def __getattribute__(self, name):\n        return self.__dict__[name]\n", "Proxy().size"),
        (
            "class Config:\n    def __setattr__(self, name, value):\n        self.name = value\n",
            "setattr(Config(), 'a', 1)",
        ),
        ("f = lambda x: f(x + 1)\n", "f(0)"),
    ],
)
def test_what_nb203_reports_recurses_when_run(tmp_path, code, trigger):
    assert run_example(ALL_RULES["NB203"], code, tmp_path), code
    namespace: dict = {}
    exec(code, namespace)
    with pytest.raises(RecursionError), python_default_recursion_limit():
        eval(trigger, namespace)


@pytest.mark.parametrize(
    "code, trigger",
    [
        (
            "class Point:\n    def __str__(self):\n        return 'p'\n    def __repr__(self):\n        return str(self)\n",
            "repr(Point())",
        ),
        (
            "class Money:\n    def __init__(self, c=1):\n        self.c = c\n    def __add__(self, other):\n        return Money(self.c + getattr(other, 'c', other))\n"
            "    def __radd__(self, other):\n        return self + other\n",
            "sum([Money(), Money()]).c",
        ),
        (
            "class Proxy:\n    def __init__(self):\n        self.target = {'size': 1}\n    def __getattr__(self, name):\n        return self.target[name]\n",
            "Proxy().size",
        ),
        # object.__format__ refuses the spec: TypeError, not recursion
        ("class Name:\n    def __str__(self):\n        return f'{self:>10}'\n", "str(Name())"),
    ],
)
def test_what_nb203_leaves_alone_does_not_recurse(tmp_path, code, trigger):
    assert run_example(ALL_RULES["NB203"], code, tmp_path) == []
    namespace: dict = {}
    exec(code, namespace)
    try:
        eval(trigger, namespace)
    except RecursionError:
        pytest.fail(f"{trigger} recursed")
    except TypeError:
        pass


def cells_of(path, prefix: str) -> list[int]:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code" and "".join(cell["source"]).startswith(prefix)
    ]


@pytest.mark.slow
def test_on_the_corpus_the_flow_families_report_only_the_finding_that_was_read(tmp_path):
    """Precision: every finding of these codes on the shared corpus was read by hand; a new one is either a
    new true positive (add it here) or a false alarm to fix."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    result = run_nblint(
        "check", "--no-cache", "--jobs", "1", "--select", FLOW_CODES, "--format", "json", str(CORPUS), timeout=600
    )
    findings = json_findings(result)
    found = sorted((f["code"], f["path"].split("/corpus/")[-1], f["cell"], f["line"]) for f in findings)
    manage_runs = (
        "Azure__MachineLearningNotebooks/how-to-use-azureml/track-and-monitor-experiments/manage-runs/manage-runs.ipynb"
    )
    # `!sudo apt install -q libportaudio2`: -q does not answer apt's question (only -qq implies -y);
    # `!more hello.py`: util-linux more 2.38+ waits at "--More--(END)" (measured in a real kernel)
    assert found == sorted(
        [
            ("NB407", "tensorflow__docs/site/en/hub/tutorials/cropnet_on_device.ipynb", 6, 1),
            *(("NB407", manage_runs, cell, 1) for cell in cells_of(CORPUS / manage_runs, "!more ")),
        ]
    )


# -- NB407's claims, measured in a real kernel -------------------------------------------------------------


@pytest.mark.slow
def test_in_a_real_kernel_what_nb407_reports_waits_and_its_look_alikes_return(tmp_path):
    """IPython runs `!` lines in a pseudo-terminal nobody types into: a bare interpreter, less, top and
    a git commit with no message are still running after a few seconds (interrupted then), while the
    look-alikes NB407 leaves alone return at once."""
    manager = pytest.importorskip("jupyter_client.manager", reason="jupyter_client (with ipykernel) runs the kernel")
    import queue
    import time

    (tmp_path / "short.txt").write_text("one line\n", encoding="utf-8")
    (tmp_path / "repo").mkdir()
    kernel, client = manager.start_new_kernel(kernel_name="python3", cwd=str(tmp_path))

    def outcome(code: str, wait: float) -> str:
        msg_id = client.execute(code)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                reply = client.get_shell_msg(timeout=0.2)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return "returned"
        kernel.interrupt_kernel()
        while True:  # the interrupted cell's own reply
            reply = client.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == msg_id:
                return "waited"

    commit = (
        "!cd repo && git init -q && touch a && git add a && git -c user.email=a@example.com -c user.name=a commit{}"
    )
    cases = [
        ("!python", "waited"),
        ("!less short.txt", "waited"),
        ("!top", "waited"),
        (commit.format(""), "waited"),
        ("!python -c 'print(1)'", "returned"),
        ("!less short.txt | cat", "returned"),
        ("!top -b -n 1 | head -3", "returned"),
        ("%%bash\npython\nprint(1)\n", "returned"),
        ("!echo 'print(1)' | python", "returned"),
        (commit.format(" -q -m message"), "returned"),
    ]
    try:
        measured = [(code, outcome(code, 3 if expected == "waited" else 30)) for code, expected in cases]
    finally:
        kernel.shutdown_kernel(now=True)
    assert measured == cases
    flagged = [code for code, _ in cases if run_example(ALL_RULES["NB407"], code, tmp_path / "examples")]
    assert flagged == [code for code, expected in cases if expected == "waited"]
