"""NB704 secret: the detectors one by one (each credential kind and the look-alikes that must pass),
masking, and through the real CLI: the secret never appears in full in any output format, in a report
file or in the cache; findings in outputs point at the output; suppression on the line.

Credentials here are random strings in the documented formats, built at run time so that no complete
token stands in this file (secret scanners on the repository would report it).
"""

from __future__ import annotations

import json
import random
import string

import pytest
from conftest import json_findings, run_nblint, write_notebook

from nblint.rules.git.secrets import find_secrets, looks_fake, mask, mask_secrets

_rng = random.Random(704)
ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"
UPPER = string.ascii_uppercase + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def pem(kind: str = "RSA ", lines: int = 6) -> str:
    body = "\n".join(rand(64, BASE64) for _ in range(lines))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----\n"


GITHUB = "gh" + "p_" + rand(36)

# (kind, text, the credential in it)
POSITIVES = [
    ("AWS access key id", 'aws_access_key_id = "AK' + "IA" + (s := rand(16, UPPER)) + '"', "AKIA" + s),
    ("AWS access key id", "AWS_ACCESS_KEY_ID=AS" + "IA" + (s := rand(16, UPPER)), "ASIA" + s),
    ("AWS secret access key", 'aws_secret_access_key="' + (s := rand(39, BASE64) + "7") + '"', s),
    ("AWS secret access key", 'os.environ["AWS_SECRET_ACCESS_KEY"] = "' + (s := rand(39, BASE64) + "Q") + '"', s),
    ("AWS secret access key", '{"AccessKeyId": "x", "SecretAccessKey": "' + (s := "a1" + rand(38, BASE64)) + '"}', s),
    ("GitHub token", 'g = Github("' + GITHUB + '")', GITHUB),
    ("GitHub token", "!git clone https://" + (s := "gh" + "s_" + rand(36)) + "@github.com/org/repo.git", s),
    ("GitHub token", 'token = "' + (s := "github" + "_pat_" + rand(22) + "_" + rand(59)) + '"', s),
    ("GitLab token", 'gl = gitlab.Gitlab(private_token="' + (s := "gl" + "pat-" + rand(20)) + '")', s),
    (
        "Slack token",
        'WebClient(token="'
        + (s := "xo" + "xb-" + rand(12, string.digits) + "-" + rand(13, string.digits) + "-" + rand(24))
        + '")',
        s,
    ),
    (
        "Slack webhook URL",
        'requests.post("https://hooks.slack.com/services/'
        + (s := "T" + rand(8, UPPER) + "/B" + rand(10, UPPER) + "/" + rand(24))
        + '")',
        s,
    ),
    ("OpenAI API key", 'openai.api_key = "' + (s := "sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20)) + '"', s),
    (
        "OpenAI API key",
        'OpenAI(api_key="'
        + (s := "sk-proj-" + rand(74, ALNUM + "_-") + "T3Blbk" + "FJ" + rand(74, ALNUM + "_-"))
        + '")',
        s,
    ),
    ("Anthropic API key", 'ANTHROPIC_API_KEY="' + (s := "sk-ant-" + "api03-" + rand(93, ALNUM + "_-") + "AA") + '"', s),
    ("Hugging Face token", 'login("' + (s := "h" + "f_" + rand(34, string.ascii_letters)) + '")', s),
    ("Hugging Face token", 'HfApi(token="' + (s := "api" + "_org_" + rand(34, string.ascii_letters)) + '")', s),
    ("Google API key", 'genai.configure(api_key="' + (s := "AI" + "za" + rand(35, ALNUM + "_-")) + '")', s),
    ("Google OAuth client secret", '"client_secret": "' + (s := "GOCSPX" + "-" + rand(28)) + '"', s),
    ("Google OAuth access token", "Authorization: Bearer " + (s := "ya" + "29." + rand(120, ALNUM + "_-")), s),
    ("Stripe live key", 'stripe.api_key = "' + (s := "sk" + "_live_" + rand(24)) + '"', s),
    (
        "Azure storage account key",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=" + (s := rand(86, BASE64) + "==") + ";",
        s,
    ),
    (
        "Azure shared access key",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey="
        + (s := rand(43, BASE64) + "="),
        s,
    ),
    (
        "password in a connection URL",
        'create_engine("postgresql://etl:' + (s := rand(14)) + '@prod-db.acme.io:5432/dw")',
        s,
    ),
    (
        "password in a connection URL",
        'MongoClient("mongodb+srv://app:' + (s := rand(16)) + '@cluster0.abcd.mongodb.net")',
        s,
    ),
    (
        "password in a connection string",
        "Driver={ODBC Driver 18};Server=tcp:acme.database.windows.net;Uid=etl;Pwd=" + (s := rand(16)) + ";",
        s,
    ),
]

NEGATIVES = [
    'token = os.environ["GITHUB_TOKEN"]',
    "password = getpass.getpass()",
    'api_key = "<your-api-key>"',
    'token = "<your-token-here>"',
    'HF_TOKEN = "hf_' + "x" * 34 + '"',
    'openai.api_key = "sk-..."',
    'key = "YOUR_API_KEY"',
    'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
    'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    'GITHUB = "ghp_' + "0" * 36 + '"',
    'GITHUB = "ghp_' + "aB3d" * 9 + '"',  # a repeated unit: few distinct characters
    'GITHUB = "ghp_1234567890abcdefghijklmnopqrstuvwxyz"',
    'GITHUB = "ghp_' + "EXAMPLE" + rand(29) + '"',
    'password = "password"',
    'client_secret = "my-client-secret"',
    'engine = create_engine("postgresql://user:password@localhost/db")',
    'engine = create_engine("postgresql://admin:' + rand(12) + '@localhost:5432/db")',
    'engine = create_engine(f"postgresql://{user}:{pw}@{host}/db")',
    'engine = create_engine("postgresql://%s:%s@%s/db" % (u, p, h))',
    'uri = "mongodb+srv://<user>:<password>@cluster0.x.mongodb.net/"',
    'redis_url = "redis://:${REDIS_PASSWORD}@redis:6379/0"',
    'url = "https://user:pass@example.com/path"',
    'url = "https://scott:tiger@db.example.org/x"',
    'url = "postgresql://postgres:postgres@db/app"',
    "pip install git+https://github.com/org/repo.git@v1.2",
    'psycopg2.connect(host="db", password=os.environ["PGPASSWORD"])',
    'conn = "Server=db;Database=x;User Id=sa;Password=<password>;"',
    'conn = "Server=db;Database=x;User Id=sa;Password={pw};"',
    'sha256 = "' + rand(64, "0123456789abcdef") + '"',
    'run_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"',
    'img = "data:image/png;base64,' + rand(2000, BASE64) + "AIza" + rand(35) + rand(100, BASE64) + '"',
    'secret = "' + rand(40, BASE64) + '"',  # no documented format: no generic entropy detector
    'jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.' + rand(43, ALNUM + "_-") + '"',
    'stripe.api_key = "sk_test_' + rand(24) + '"',
    "from huggingface_hub import hf_hub_download",
    "hf_hub_download_and_cache_all_the_files_now = 1",
    "hf_" + "abcdefghijklmnopqrstuvwxyzabcdefgh",  # one case only: an identifier, not a token
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----\n" + rand(64, BASE64) + "\n" + rand(64, BASE64) + "\n-----END PUBLIC KEY-----",
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
    "Looking in indexes: https://pypi.org/simple, https://us-python.pkg.dev/colab-wheels/public/simple/",
    "ASIAN markets AKIAI rose",
]


@pytest.mark.parametrize("kind, text, secret", POSITIVES, ids=[f"{i}-{p[0]}" for i, p in enumerate(POSITIVES)])
def test_each_documented_format_is_found(kind, text, secret):
    [found] = find_secrets(text)
    assert (found.kind, found.secret) == (kind, secret)
    assert text[found.start : found.end] == secret


@pytest.mark.parametrize("text", NEGATIVES)
def test_placeholders_fakes_and_look_alikes_are_not_found(text):
    assert find_secrets(text) == []


@pytest.mark.parametrize("kind", ["RSA ", "EC ", "OPENSSH ", ""])
def test_private_key_blocks_on_lines_or_in_one_escaped_string(kind):
    block = pem(kind)
    [found] = find_secrets("key = '''" + block + "'''")
    assert found.kind == "private key" and found.masked == f"-----BEGIN {kind}PRIVATE KEY-----…"
    escaped = json.dumps({"type": "service_account", "private_key": block})  # "\\n" inside one string
    [found] = find_secrets(escaped)
    assert found.kind == "private key"


def test_a_short_private_key_body_is_a_documentation_stub():
    assert find_secrets(pem(lines=1)) == []  # 64 base64 characters: no real key is that short


def test_a_token_in_a_url_is_reported_once_by_the_specific_detector():
    text = "https://x-access-token:" + GITHUB + "@github.com/org/repo.git"
    [found] = find_secrets(text)
    assert found.kind == "GitHub token"


def test_mask_shows_at_most_four_characters_and_a_quarter():
    assert mask(GITHUB) == "ghp_…"
    assert mask("Kc4RzN8wYp3H") == "Kc4…"
    assert mask("s3cr3tpw") == "s3…"
    assert mask("abc") == "…"


def test_mask_secrets_masks_every_credential_in_a_text():
    text = f"token {GITHUB} and again {GITHUB}"
    masked = mask_secrets(text)
    assert GITHUB not in masked and masked == "token ghp_… and again ghp_…"


def test_looks_fake():
    assert looks_fake("x" * 36) and looks_fake("abcdef" + rand(30)) and looks_fake(rand(20) + "your" + rand(12))
    assert not looks_fake(rand(36))


# -- through the CLI -----------------------------------------------------------------------------------


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


SECRET_CELLS = [
    "import requests\n",
    'headers = {"Authorization": "token ' + GITHUB + '"}\nr = requests.get(url, headers=headers)\n',
    {
        "execution_count": 3,
        "source": "print(headers)\n",
        "outputs": [stream("{'Authorization': 'token " + GITHUB + "'}\n")],
    },
]


def test_source_and_output_findings_with_positions(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", SECRET_CELLS)
    result = run_nblint("check", "--no-cache", "--select", "NB704", "--format", "json", "nb.ipynb", cwd=tmp_path)
    findings = json_findings(result)
    assert result.returncode == 1
    assert [(f["cell"], f["line"], f["column"], f["severity"]) for f in findings] == [
        (1, 1, 36, "error"),
        (2, None, None, "error"),
    ]
    assert findings[0]["message"].startswith("GitHub token `ghp_…` in the source")
    assert 'os.environ["GITHUB_TOKEN"]' in findings[0]["message"]
    assert findings[1]["message"].startswith("GitHub token `ghp_…` in saved output 1 (stream stdout)")
    lines = (tmp_path / "nb.ipynb").read_text(encoding="utf-8").splitlines()
    assert lines[findings[0]["json_line"] - 1].strip().startswith('"headers = {')
    assert lines[findings[1]["json_line"] - 1].strip() == "{"
    assert lines[findings[1]["json_line"]].strip() == '"name": "stdout",'


@pytest.mark.slow  # a cached and an uncached run per format
@pytest.mark.parametrize("format_name", ["text", "full", "json", "github", "sarif"])
def test_the_secret_never_appears_in_full_in_any_format_file_or_cache(tmp_path, format_name):
    write_notebook(tmp_path / "nb.ipynb", SECRET_CELLS + ["print 'python 2 with " + GITHUB + "'\n"])
    cache = tmp_path / "cache"
    result = run_nblint(
        "check",
        "--select",
        "NB704,NB001",
        "--format",
        format_name,
        "nb.ipynb",
        cwd=tmp_path,
        env={"NBLINT_CACHE_DIR": str(cache)},
    )
    assert result.returncode == 1, result.stderr
    assert GITHUB not in result.stdout + result.stderr
    assert "ghp_…" in result.stdout or "ghp_\\u2026" in result.stdout  # JSON escapes the ellipsis
    # Twice more: from the cache this time, and to a report file.
    again = run_nblint(
        "check",
        "--select",
        "NB704,NB001",
        "--format",
        format_name,
        "-o",
        "report.out",
        "nb.ipynb",
        cwd=tmp_path,
        env={"NBLINT_CACHE_DIR": str(cache)},
    )
    assert again.returncode == 1 and GITHUB not in again.stdout
    assert GITHUB not in (tmp_path / "report.out").read_text(encoding="utf-8")
    entries = [entry for entry in cache.rglob("*") if entry.is_file()]
    assert entries, "the run wrote no cache entry: this test would prove nothing"
    for entry in entries:
        if entry.is_file():
            assert GITHUB not in entry.read_text(encoding="utf-8", errors="replace")


@pytest.mark.slow  # several nblint runs in turn
def test_full_format_shows_the_masked_line_with_a_caret(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", SECRET_CELLS[:2])
    result = run_nblint("check", "--no-cache", "--select", "NB704", "--format", "full", "nb.ipynb", cwd=tmp_path)
    assert ' 1 | headers = {"Authorization": "token ghp_…"}' in result.stdout
    assert "   |                                    ^^^^^" in result.stdout


def test_noqa_on_the_line_and_a_cell_tag_suppress_it(tmp_path):
    cells = [
        'FAKE = "' + GITHUB + '"  # noqa: NB704\n',
        {
            "execution_count": 1,
            "source": "print(FAKE)\n",
            "metadata": {"tags": ["nblint-ignore[NB704]"]},
            "outputs": [stream(GITHUB + "\n")],
        },
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    result = run_nblint("check", "--no-cache", "--select", "NB704", "--format", "json", "nb.ipynb", cwd=tmp_path)
    assert json_findings(result) == [] and result.returncode == 0


@pytest.mark.slow  # several nblint runs in turn
def test_a_traceback_that_quotes_a_token_is_masked_in_nb703_too(tmp_path):
    cells = [
        {
            "execution_count": 1,
            "source": "connect()\n",
            "outputs": [
                {
                    "output_type": "error",
                    "ename": "AuthError",
                    "evalue": "token " + GITHUB + " was rejected",
                    "traceback": ["AuthError: token " + GITHUB + " was rejected"],
                }
            ],
        }
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    result = run_nblint("check", "--no-cache", "--select", "NB703,NB704", "--format", "json", "nb.ipynb", cwd=tmp_path)
    findings = json_findings(result)
    assert sorted(f["code"] for f in findings) == ["NB703", "NB704"]
    assert GITHUB not in result.stdout
    assert any("AuthError: token ghp_… was rejected" in f["message"] for f in findings)


@pytest.mark.slow  # several nblint runs in turn
def test_markdown_and_raw_cells_are_checked(tmp_path):
    token = "AI" + "za" + rand(35)
    cells = [
        {"cell_type": "markdown", "source": "Use key `" + token + "`\n"},
        {"cell_type": "raw", "source": "key: " + token + "\n"},
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    findings = json_findings(
        run_nblint("check", "--no-cache", "--select", "NB704", "--format", "json", "nb.ipynb", cwd=tmp_path)
    )
    assert [(f["cell"], f["line"]) for f in findings] == [(0, 1), (1, 1)]
    assert all("Google API key `AIza…`" in f["message"] for f in findings)


@pytest.mark.slow  # several nblint runs in turn
def test_outputs_searched_are_text_json_and_tracebacks_not_images(tmp_path):
    token = "AI" + "za" + rand(35)
    cells = [
        {
            "execution_count": 1,
            "source": "show()\n",
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {
                        "application/json": {"config": {"keys": [1, {"maps": token}]}},
                        "text/plain": ["<Config>"],
                    },
                }
            ],
        },
        {
            "execution_count": 2,
            "source": "show()\n",
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": token, "text/plain": ["<Figure>"]},
                }
            ],
        },
        {
            "execution_count": 3,
            "source": "show()\n",
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/svg+xml": ["<svg><!-- ", token, " --></svg>"]},
                }
            ],
        },
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    findings = json_findings(
        run_nblint("check", "--no-cache", "--select", "NB704", "--format", "json", "nb.ipynb", cwd=tmp_path)
    )
    assert [f["cell"] for f in findings] == [0, 2]
    assert "saved output 1 (display_data)" in findings[0]["message"]
