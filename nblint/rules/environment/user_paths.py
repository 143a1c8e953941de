"""NB503 absolute-user-path: string literals that point into one person's home folder."""

from __future__ import annotations

import re
from typing import AbstractSet, Any, Mapping

import libcst as cst

from nblint.core.findings import Severity
from nblint.core.lazyre import lazy_compile
from nblint.rules.base import CodeRule, Invalid, program_words

# A user name as a path component: no separators, no placeholders or run-time fillers.
_USER = r"[^\\/\s'\"<>{}$%*?|:;,()\[\]]+"
_SEP = r"(?:\\\\|\\|/)+"  # a Windows path written in source may carry doubled backslashes
_POSIX_HOME = lazy_compile(rf"(?P<root>/Users|/home|/mnt/[a-zA-Z]/Users)/(?P<user>{_USER})(?P<rest>[^\s'\"]*)")
_WINDOWS_HOME = lazy_compile(
    rf"(?P<root>\b[A-Za-z]:{_SEP}Users){_SEP}(?P<user>{_USER}(?: {_USER})*?)(?=$|{_SEP}|[\s'\"])(?P<rest>[^'\"]*)", re.I
)
# What may stand right before a path inside a string: its start, a separator of a list or an assignment.
_BEFORE_PATH = set(" \t\n'\"=(,;:[{")

# Accounts that are the same on every machine of a platform (docker-stacks' jovyan, SageMaker's
# ec2-user, Azure ML's azureuser, Vertex AI's jupyter...), shared folders, and the names people write
# in examples to be replaced: none of them is one person's machine.
_NOT_A_PERSON = {
    "jovyan",
    "ec2-user",
    "sagemaker-user",
    "studio-lab-user",
    "azureuser",
    "jupyter",
    "ubuntu",
    "runner",
    "vscode",
    "codespace",
    "gitpod",
    "coder",
    "vagrant",
    "docker",
    "nbuser",
    "colab",
    "root",
    "admin",
    "shared",
    "public",
    "default",
    "default user",
    "all users",
    "defaultapppool",
    "user",
    "username",
    "user_name",
    "user-name",
    "yourname",
    "your_name",
    "your-name",
    "yourusername",
    "your_username",
    "your-username",
    "you",
    "me",
    "name",
    "myname",
    "my_name",
    "myuser",
    "someone",
    "somebody",
    "foo",
    "bar",
    "example",
    "xxx",
    "xxxx",
    "xxxxx",
    "jdoe",
    "johndoe",
    "john_doe",
    "john.doe",
    "janedoe",
    "jane_doe",
    "jane.doe",
    "testuser",
}


# The pre-filter: `home` or `users` as a word, in any case, or a backslash escape that may stand for a letter or
# a slash of them (\x.., \u...., \U........, \N{...}, octal).
_NEEDS = frozenset({"home", "users"})
_ESCAPE = re.compile(r"\\[xuUN0-7]")


def find_user_path(text: str) -> tuple[str, str, str] | None:
    """(the path, the user's name, the part of the path below the home folder) of the first path into a
    person's home folder in `text`, or None."""
    for pattern in (_POSIX_HOME, _WINDOWS_HOME):
        for match in pattern.finditer(text):
            start = match.start()
            before = text[:start]
            if before.endswith("file://"):
                before = before[: -len("file://")]
            elif before and before[-1] not in _BEFORE_PATH:
                continue  # inside a URL (`https://host/home/alice`) or a longer path (`/data/home/alice`)
            words_before = before.split()
            if words_before and "://" in words_before[-1]:
                continue  # a query string of a URL: `https://host/?dir=/home/alice`
            user = match.group("user")
            if user.lower() in _NOT_A_PERSON or user.startswith(".") or user.strip("x") == "":
                continue
            path = match.group(0).rstrip(".,;:)")
            rest = match.group("rest").rstrip(".,;:)")
            below = rest.replace("\\\\", "/").replace("\\", "/").strip("/")
            return path, user, below
    return None


class AbsoluteUserPath(CodeRule):
    """
    ## What it does
    Flags string literals (f-strings too) holding a path into one person's home folder: `/Users/<name>/`
    (macOS), `/home/<name>/` (Linux), `C:\\Users\\<name>\\` or `C:/Users/<name>/` (Windows), and WSL's
    `/mnt/c/Users/<name>/`. The message names the path and gives a portable spelling.

    Not flagged: `/tmp`, `/dev`, `/content` (Colab), `/kaggle`, `/data`, other system paths, `~/...`,
    relative paths, URLs (`https://host/home/alice` is not a file here), home folders that are the same
    on every machine of a platform (`/home/jovyan` of the Jupyter docker stacks, `/home/ec2-user` of
    SageMaker, `/home/azureuser` of Azure ML, `/home/jupyter` of Vertex AI, `/home/ubuntu`), shared
    folders (`/Users/Shared`, `C:\\Users\\Public`), placeholders (`/home/<user>`, `/Users/yourname`,
    `/home/{user}`), docstrings, and comments.

    ## Why it hurts
    The notebook runs only on the machine and account it was written on. Anywhere else (a colleague's
    laptop, CI, papermill on a server, a cloud notebook) the cell raises FileNotFoundError, often after a
    long run of the cells above it, and the path leaks the author's user name into the repository.

    ## Example
        df = pd.read_csv("/Users/alice/projects/churn/data/train.csv")

    ## Use instead
        df = pd.read_csv("data/train.csv")                 # relative to the notebook
        df = pd.read_csv(Path.home() / "projects/churn/data/train.csv")
        df = pd.read_csv(os.environ["CHURN_DATA"])
    """

    code = "NB503"
    needs = ("home", "users")  # the pre-filter (CodeRule.needs): /home/..., /Users/..., C:\\Users\\...
    name = "absolute-user-path"
    severity = Severity.WARNING

    @classmethod
    def may_fire(
        cls, text: str, options: Mapping[str, Any] | None = None, words: AbstractSet[str] | None = None
    ) -> bool:
        """`needs` in any case (the Windows pattern ignores case), or an escape in a string that may spell
        them (`"\\x2fhome/alice"`): the rule reads the string's value, not its text."""
        if words is None:
            words = program_words(text)
        if any(len(word) in (4, 5) and word.lower() in _NEEDS for word in words):
            return True
        return "\\" in text and _ESCAPE.search(text) is not None

    VALID = [
        "df = pd.read_csv('data/train.csv')\n",
        "df = pd.read_csv('../data/train.csv')\n",
        "open('/tmp/scratch.txt', 'w')\n",
        "open('/dev/null', 'w')\n",
        "df = pd.read_csv('/content/drive/MyDrive/train.csv')\n",
        "df = pd.read_csv('/kaggle/input/titanic/train.csv')\n",
        "path = os.path.expanduser('~/data/train.csv')\n",
        "url = 'https://example.com/home/alice/data.csv'\n",
        "url = 'https://example.com/?dir=/home/alice'\n",
        "df = pd.read_csv('/home/jovyan/work/data.csv')\n",
        "root = '/home/ec2-user/SageMaker/project'\n",
        "root = '/home/azureuser/cloudfiles/code'\n",
        "shared = '/Users/Shared/datasets'\n",
        "public = r'C:\\Users\\Public\\Documents'\n",
        "template = '/home/<user>/data'\n",
        "path = f'/home/{user}/data'\n",
        "path = '/Users/yourname/data'\n",
        "path = '/data/home/alice/x'\n",
        "home = '/home'\n",
        '"""Reads /Users/alice/data.csv when run on Alice\'s laptop."""\n',
        # commented out, as in the corpus
        "#myenv.python.interpreter_path = '/home/ninghai/miniconda3/envs/sdk2/bin/python'\n",
        "# df = pd.read_csv('/Users/alice/data.csv')\n",
        [{"cell_type": "markdown", "source": "Saved to `/Users/alice/out.csv`.", "metadata": {}}],
        "%%bash\nls /home/alice\n",
    ]
    INVALID = [
        Invalid(
            "import pandas as pd\ndf = pd.read_csv('/Users/alice/projects/churn/train.csv')\n",
            line=2,
            column=18,
            message="'/Users/alice/projects/churn/train.csv'",
        ),
        Invalid("DATA = '/home/bob_smith/data'\n", message="home folder of 'bob_smith'"),
        Invalid("p = r'C:\\Users\\Alice\\Documents\\data.xlsx'\n", message='Path.home() / "Documents/data.xlsx"'),
        Invalid("p = 'C:\\\\Users\\\\alice\\\\data.xlsx'\n", message="'alice'"),
        Invalid("p = 'c:/users/msatidas/data.xlsx'\n", message="msatidas"),
        Invalid("p = '/mnt/c/Users/alice/data.csv'\n", message="alice"),
        Invalid("p = f'/Users/alice/runs/{run_id}/model.pt'\n", message="alice"),
        Invalid("uri = 'file:///Users/alice/data.csv'\n", message="alice"),
        Invalid(
            "import sys\nsys.path.append('/home/ashwin/.fastai/lib')\n", line=2, message='Path.home() / ".fastai/lib"'
        ),
        Invalid("p = '/Users/alice'\n", message="Path.home()"),
        Invalid(["import os\n", "paths = ['data/a.csv', '/home/dave/b.csv']\n"], cell=1, column=24),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._docstrings: set[int] = set()

    def visit_Expr(self, node: cst.Expr) -> None:
        # A string standing alone as a statement is a docstring or a note, not a path the code opens.
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self._docstrings.add(id(node.value))

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._docstrings:
            self._docstrings.update((id(node.left), id(node.right)))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) in self._docstrings:
            return
        try:
            value = node.evaluated_value
        except Exception:  # an escape libcst cannot evaluate: read the text as written
            value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        self._check(node, value)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if id(node) in self._docstrings:
            return
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                if self._check(node, part.value):
                    return

    def _check(self, node: cst.CSTNode, text: str) -> bool:
        if "/" not in text and "\\" not in text:
            return False
        found = find_user_path(text)
        if found is None:
            return False
        path, user, below = found
        portable = f'Path.home() / "{below}"' if below else "Path.home()"
        self.report(
            node,
            f"'{path}' is a path into the home folder of '{user}' on one machine: anywhere else it raises "
            f"FileNotFoundError (and it puts the user name in the repository); use a path relative to the "
            f"notebook, an environment variable, or {portable}",
            fix=portable,
        )
        return True
