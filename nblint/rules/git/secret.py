"""NB704 secret: a credential in a cell's source or in its saved outputs, reported masked."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.read.notebook import Cell, Notebook
from nblint.rules.base import Invalid, NotebookRule
from nblint.rules.git.outputs import output_texts, saved_outputs
from nblint.rules.git.secrets import SecretMatch, find_secrets, mask

# -- example material ---------------------------------------------------------------------------------
# Realistic-looking credentials for the examples, assembled here so that no complete token stands
# in this file's text (secret scanners on the repository would report it). None of them is real.
_R = "q7Vt2LmX9bKc4RzN8wYp3HdJ6sFg1Ae5Uo0TiWvGhCjEkBnMrQaSzDfLpYx"
_LETTERS = "".join(c for c in _R if c.isalpha())
GITHUB = "ghp" + "_" + _R[:36]
AWS_ID = "AK" + "IA" + _R.upper()[:16]
AWS_SECRET = _R[:20] + "/" + _R[21:40]
HUGGING_FACE = "hf" + "_" + _LETTERS[:34]
OPENAI = "sk-proj-" + _R[:20] + "T3Blbk" + "FJ" + _R[20:40]
GOOGLE = "AI" + "za" + _R[:35]
SLACK_WEBHOOK = "https://hooks.slack.com/services/" + "T04RZN8WYP" + "/" + "B09BKC4Q7V" + "/" + _R[:24]
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "".join((_R * 4)[i : i + 64] + "\n" for i in range(0, 192, 64))
    + "-----END RSA PRIVATE KEY-----\n"
)
DB_URL = "postgresql://analyst:" + "Kc4RzN8wYp3H" + "@warehouse.corp.internal:5432/sales"


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


# -- the rule ------------------------------------------------------------------------------------------


def _line_spans(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each line of `source`, as Cell.lines splits it."""
    spans = []
    start = 0
    for line in source.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _masked_line(source: str, span: tuple[int, int], found: list[SecretMatch]) -> str:
    """The line `span` of `source` with every credential that touches it masked."""
    start, end = span
    pieces = []
    position = start
    for match in found:
        if match.end <= start or match.start >= end:
            continue
        cut_start, cut_end = max(match.start, start), min(match.end, end)
        pieces.append(source[position:cut_start])
        pieces.append(mask(match.secret) if match.label is None and match.start >= start else "…")
        position = cut_end
    pieces.append(source[position:end])
    return "".join(pieces).rstrip("\r")


class Secret(NotebookRule):
    """
    ## What it does
    Flags a credential in a cell's source or saved outputs, shown masked (`ghp_…`).

    Sources of code, markdown and raw cells, and every saved output but images, are searched for AWS
    access key ids and secret keys, GitHub, GitLab, Slack, OpenAI, Anthropic, Hugging Face, Google (API
    keys, OAuth client secrets and access tokens) and Stripe live tokens, Azure storage and shared access
    keys, private key blocks (PEM, OpenSSH, PGP), and passwords in connection URLs
    (`postgresql://user:pass@host`) and ODBC connection strings (`Server=...;Pwd=...`).

    Each detector matches a format its issuer documents (a fixed prefix or marker, the length and the
    alphabet), so it is precise; placeholders (`<your-token-here>`, `xxx`, `sk-...`), published fakes
    (`AKIAIOSFODNN7EXAMPLE`, the Azure storage emulator's key), bodies with few distinct characters or
    counting runs, templates (`{password}`, `$PASSWORD`), the dummy passwords of tutorials, and URLs to
    `localhost` or example hosts are not reported; neither is `os.environ[...]` or `getpass()`, which
    hold no credential. There is no generic "high-entropy string" detector: on notebooks, full of base64
    images, hashes and ids, it reports almost only noise. The secret never appears in full in any output
    format (the source line that `--format full` shows is masked too).

    ## Why it hurts
    A notebook is shared, pushed and rendered (GitHub, nbviewer, Colab, Kaggle): a credential in it is
    public, and it stays in the git history after the cell is edited. Bots scrape public repositories
    for keys within minutes; leaked cloud keys run up bills and leaked tokens expose data. Outputs leak
    too: `print(os.environ)`, `!git remote -v`, or a traceback that shows the line with the key.

    ## Example
        openai.api_key = "sk-proj-…"            # the key itself, in the notebook
        engine = create_engine("postgresql://analyst:Kc4R…@warehouse.corp.internal/sales")

    ## Use instead
    Revoke the credential at its issuer first (it is in the history), then read it at run time and keep
    it out of outputs:

        import os
        openai.api_key = os.environ["OPENAI_API_KEY"]
        password = os.environ["PGPASSWORD"]

    and clear outputs that printed one: `nblint strip notebook.ipynb`. `getpass.getpass()` also keeps
    the secret out of the file, but only when someone is at the keyboard: unattended runs block on it
    (NB403). A fake that a test needs can be marked on its line with `# noqa: NB704`.
    """

    code = "NB704"
    name = "secret"
    severity = Severity.ERROR

    VALID = [
        # Read at run time: no credential in the notebook.
        'import os, getpass\ntoken = os.environ["GITHUB_TOKEN"]\npassword = getpass.getpass()\n',
        "from huggingface_hub import login\nlogin()  # asks for the token\n",
        # Placeholders.
        'token = "<your-token-here>"\napi_key = "xxx"\nopenai.api_key = "sk-..."\nHF_TOKEN = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n',
        'GITHUB_TOKEN = "ghp_' + "x" * 36 + '"\nSLACK = "xoxb-your-bot-token"\nkey = "AIza' + "X" * 35 + '"\n',
        # Test fixtures' obvious fakes: the AWS documentation's example key pair, counting runs.
        'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
        'token = "ghp_1234567890abcdefghijklmnopqrstuvwxyz"\n',
        # The Azure storage emulator's published key.
        'conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"\n',
        # Connection strings: templates, dummy passwords, local hosts.
        'engine = create_engine(f"postgresql://{user}:{password}@{host}/db")\n'
        'client = MongoClient("mongodb+srv://<username>:<password>@cluster0.mongodb.net")\n'
        'url = "postgresql://postgres:postgres@db.internal/app"\n'
        'broker = "redis://:${REDIS_PASSWORD}@redis:6379/0"\n'
        'local = "mysql://root:Kc4RzN8wYp3H@localhost:3306/test"\n',
        'conn = pyodbc.connect("Driver={ODBC Driver 18};Server=tcp:db.example.com;Uid=sa;Pwd={password};")\n',
        'psycopg2.connect(host="db", password=os.environ["PGPASSWORD"])\n',
        # Look-alikes: identifiers, hashes, UUIDs, Stripe test keys, a public key.
        "from huggingface_hub import hf_hub_download\nhf_hub_download_and_cache_all_the_files = 1\n",
        'sha = "9f86d081884c7d659a2feaea0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"\n'
        'run_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"\nstripe.api_key = "sk_test_' + _R[:24] + '"\n',
        "key = '''-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"
        + _R[:40]
        + "\n-----END PUBLIC KEY-----'''\n",
        # A private key header in documentation, with no key under it.
        {
            "cell_type": "markdown",
            "source": "Paste your key:\n\n    -----BEGIN PRIVATE KEY-----\n    ...\n    -----END PRIVATE KEY-----\n",
        },
        # A prefix that turns up inside a base64 payload (an inline image in HTML) is not a key.
        [
            {
                "execution_count": 1,
                "source": "display(HTML(img))\n",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "text/html": [
                                '<img src="data:image/png;base64,iVBORw0KGgo' + "AIza" + _R[:35] + 'AAAElFTkSuQmCC">'
                            ],
                            "image/png": "iVBORw0KGgo" + GITHUB + "AAAA",
                        },
                    }
                ],
            }
        ],
    ]
    INVALID = [
        Invalid(
            ["import requests\n", 'headers = {"Authorization": "token ' + GITHUB + '"}\n'],
            cell=1,
            line=1,
            column=36,
            message="GitHub token `ghp_…` in the source",
        ),
        Invalid(
            'import boto3\ns3 = boto3.client(\n    "s3",\n    aws_access_key_id="' + AWS_ID + '",\n'
            '    aws_secret_access_key="' + AWS_SECRET + '",\n)\n',
            line=4,
            message="AWS access key id `AKIA…`",
        ),
        Invalid(
            'import boto3\ns3 = boto3.client("s3", aws_access_key_id=key_id,\n'
            '                  aws_secret_access_key="' + AWS_SECRET + '")\n',
            line=3,
            message="AWS secret access key `q7Vt…`",
        ),
        Invalid(
            'from huggingface_hub import login\nlogin(token="' + HUGGING_FACE + '")\n',
            line=2,
            message="Hugging Face token `hf_q…`",
        ),
        Invalid('GOOGLE_API_KEY = "' + GOOGLE + '"  # Gemini\n', message="Google API key `AIza…`"),
        Invalid('requests.post("' + SLACK_WEBHOOK + '", json={"text": "done"})\n', message="Slack webhook URL"),
        Invalid('engine = create_engine("' + DB_URL + '")\n', message="password in a connection URL `Kc4…`"),
        Invalid(
            'conn = pyodbc.connect("Driver={ODBC Driver 18};Server=tcp:sales.database.windows.net;'
            'Uid=analyst;Pwd=Kc4RzN8wYp3H;")\n',
            message="password in a connection string",
        ),
        Invalid(
            "key = '''" + PRIVATE_KEY + "'''\n", column=10, message="private key `-----BEGIN RSA PRIVATE KEY-----…`"
        ),
        # In a markdown cell.
        Invalid(
            [{"cell_type": "markdown", "source": "Set `OPENAI_API_KEY=" + OPENAI + "` first.\n"}],
            message="OpenAI API key `sk-p…`",
        ),
        # In saved outputs: printed environment, a traceback that shows the line.
        Invalid(
            [
                {
                    "execution_count": 1,
                    "source": "print(os.environ)\n",
                    "outputs": [_stream("environ({'HOME': '/root', 'OPENAI_API_KEY': '" + OPENAI + "'})\n")],
                }
            ],
            line=None,
            message="OpenAI API key `sk-p…` in saved output 1 (stream stdout)",
        ),
        Invalid(
            [
                "x = 1\n",
                {
                    "execution_count": 2,
                    "source": "client = connect()\n",
                    "outputs": [
                        {
                            "output_type": "error",
                            "ename": "AuthError",
                            "evalue": "bad credentials",
                            "traceback": ["\x1b[0;31mAuthError\x1b[0m: token " + GITHUB + " was rejected"],
                        }
                    ],
                },
            ],
            cell=1,
            line=None,
            message="in saved output 1 (error)",
        ),
        Invalid(
            [
                {
                    "execution_count": 1,
                    "source": "!git remote -v\n",
                    "outputs": [
                        _stream("origin\thttps://oauth2:glpat-" + _R[:20] + "@gitlab.com/team/repo.git (fetch)\n")
                    ],
                }
            ],
            line=None,
            message="GitLab token `glpa…`",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        for cell in notebook.cells:
            if cell.source:
                self._check_source(cell)
        for output in saved_outputs(notebook):
            self._check_output(output)

    def _check_source(self, cell: Cell) -> None:
        found = find_secrets(cell.source)
        if not found:
            return
        spans = _line_spans(cell.source)
        reported: set[tuple[int, str]] = set()
        for match in found:
            line = cell.source.count("\n", 0, match.position) + 1
            if (line, match.secret) in reported:
                continue
            reported.add((line, match.secret))
            line_start = spans[line - 1][0]
            column = match.position - line_start + 1
            if match.kind == "private key":
                how = f'load it at run time from a file kept out of the repository: open(os.environ["{match.env}"])'
            else:
                how = f'read it at run time from the environment: os.environ["{match.env}"]'
            self.report_at(
                f"{match.kind} `{match.masked}` in the source; revoke it (it stays in the git history), then {how}",
                fix=f'os.environ["{match.env}"]  # and revoke the one that was committed',
                cell=cell.index,
                line=line,
                column=column,
                end_line=line,
                end_column=column + (len(match.masked) if match.label is None else len(match.label) - 1),
                source_line=_masked_line(cell.source, spans[line - 1], found),
            )

    def _check_output(self, output) -> None:
        seen: set[str] = set()
        for _where, text in output_texts(output):
            for match in find_secrets(text):
                if match.secret in seen:
                    continue
                seen.add(match.secret)
                self.report_at(
                    f"{match.kind} `{match.masked}` in saved {output.label}; revoke it, clear the output "
                    "(`nblint strip`) and stop printing it",
                    fix="nblint strip <notebook>  # then revoke the credential: it is in the git history",
                    cell=output.cell.index,
                    json_path=output.json_path,
                )
