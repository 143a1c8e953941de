"""Finding credentials in text, precisely, and masking them.

A small set of detectors for credentials whose format the issuer documents, each a regular expression
anchored on a fixed prefix or marker, plus checks that throw out placeholders and published fakes.
Every detector names where its format comes from. Generic "high-entropy string" and "password =
keyword" detectors are left out on purpose: on notebooks (base64 images, hashes, UUIDs, model ids in
outputs; `password = "password"` in tutorials) they report almost only noise.

Why not detect-secrets (measured here with 1.5.0, on this corpus and a set of 100 credentials of the
kinds below and 34 look-alikes): its import takes ~75 ms and its scan ~67 µs per line even with only its
24 prefix plugins (9 s for the 137,000 lines of ../shared/corpus); it has no Hugging Face or Google
detectors, so patterns of our own were needed anyway; its keyword plugin's only 5 hits on the corpus
were all placeholders (`password = "password"`), and with it the look-alike set gave 13 false alarms
(`AKIAIOSFODNN7EXAMPLE`, `sk-...`, `user:password@localhost`, a `...` key body). These detectors: 100/100
and 0/34, 0 findings on the corpus and on 115 MB of Python sources and docs, ~15 ms per MB scanned.

Cheap first: each detector lists literal needles (`ghp_`, `AKIA`, `PRIVATE KEY`...) and its regular
expression runs only on a text that contains one, so a notebook without any costs one `in` test per
needle per text (a substring search in C).

A token must end where the base64 alphabet (`+`, `/`) and `=` padding end: a prefix that turns up by
chance inside a base64 payload (an inline image in HTML, a plot's binary data) is followed by more
base64, so no data URI is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from nblint.core.lazyre import lazy_compile


@dataclass(frozen=True)
class SecretMatch:
    """A credential found in a text: what kind, where, and where to read it from instead."""

    kind: str  # "GitHub token"
    start: int  # span of the credential itself in the scanned text
    end: int
    secret: str
    env: str  # the environment variable to read it from instead
    label: str | None = None  # what to show instead of the masked secret (private key headers)
    anchor: int | None = None  # where a finding points, when not at the secret itself (a key's header)

    @property
    def position(self) -> int:
        return self.start if self.anchor is None else self.anchor

    @property
    def masked(self) -> str:
        return self.label if self.label is not None else mask(self.secret)


def mask(secret: str) -> str:
    """The first 4 characters and an ellipsis, and never more than a quarter of the secret: a token's
    first 4 characters are its public prefix (`ghp_`, `AKIA`), a short password's would give it away."""
    keep = min(4, len(secret) // 4)
    return secret[:keep] + "…"


# -- fakes and placeholders --------------------------------------------------------------------------

# Words that mark documentation placeholders and test fixtures (`AKIAIOSFODNN7EXAMPLE`, the AWS docs'
# key; `sk-your-key-here`). Four letters or more: a random 36-character token contains one by chance
# about once in a million.
_FAKE_WORDS = lazy_compile(
    r"example|sample|dummy|fake|placeholder|your|redacted|changeme|xxxx|test|token|here|insert|replace|"
    r"secret|censored|hidden|masked|invalid|0000|1111|\*\*\*|\.\.\.|…",
    re.I,
)

# Published credentials that are fakes by design: the Azure storage emulator's well-known account key.
_PUBLISHED_FAKES = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",)


def _longest_ascending_run(text: str) -> int:
    best = run = 1
    for previous, current in zip(text, text[1:]):
        run = run + 1 if ord(current) - ord(previous) == 1 else 1
        best = max(best, run)
    return best


def looks_fake(body: str) -> bool:
    """A token body (the part after its fixed prefix) that no issuer would mint: a placeholder word,
    few distinct characters (`aaaa…`, `a1b2a1b2…`), or a counting run (`abcdef`, `123456`)."""
    if _FAKE_WORDS.search(body):
        return True
    if len(set(body)) < max(4, len(body) // 4):
        return True
    return len(body) >= 6 and _longest_ascending_run(body) >= 6


# Passwords that a connection string in a tutorial or a local development setup uses: not a leak.
_DUMMY_PASSWORDS = {
    "admin",
    "administrator",
    "airflow",
    "guest",
    "letmein",
    "mongo",
    "mysql",
    "oracle",
    "postgres",
    "qwerty",
    "rabbitmq",
    "redis",
    "root",
    "superuser",
    "user",
    "username",
    "hunter2",
    "default",
    "demo",
    "pass",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pwd",
    "sa",
    "jupyter",
    "minio123",
    "minioadmin",
}
_DUMMY_PASSWORD_WORDS = lazy_compile(
    r"pass|pwd|your|example|sample|dummy|fake|secret|changeme|test|xxx|\*|…|\.\.\.", re.I
)
_LOCAL_HOSTS = lazy_compile(
    r"^(?:localhost|127(?:\.\d+){3}|0\.0\.0\.0|::1|\[::1\]|host\.docker\.internal|(?:[\w-]+\.)*example(?:\.(?:com|org|net))?|"
    r"host|hostname|server|db|database|myhost|myserver)$",
    re.I,
)


def _real_password(password: str, user: str = "") -> bool:
    if len(password) < 6 or password.lower() == user.lower():
        return False
    if password.startswith(("$", "%")) or any(ch in password for ch in "{}<>[]()"):
        return False  # a template: $PASSWORD, %(pw)s, {password}, <password>
    lowered = password.lower()
    if lowered in _DUMMY_PASSWORDS or _DUMMY_PASSWORD_WORDS.search(lowered):
        return False
    return len(set(password)) >= 3


# -- detectors ---------------------------------------------------------------------------------------

# A token ends where word and base64 characters end; it starts after a character that is not part of a
# word (a URL's `/` may precede it).
_E = r"(?![A-Za-z0-9_+/=-])"


@dataclass(frozen=True)
class Detector:
    """Finds one kind of credential: texts holding one of its needles are searched with its pattern."""

    kind: str
    needles: tuple[str, ...]
    pattern: re.Pattern | str  # a str is compiled on first use (re's cache keeps it): most texts hold no needle
    env: str
    prefix_length: int = 0  # characters of fixed prefix before the random body that looks_fake checks
    accept: Callable[[re.Match], bool] | None = None  # a further check on the match

    def find(self, text: str) -> Iterator[SecretMatch]:
        for match in re.compile(self.pattern).finditer(text):
            secret = match.group("secret")
            if secret in _PUBLISHED_FAKES or looks_fake(secret[self.prefix_length :]):
                continue
            if self.accept is not None and not self.accept(match):
                continue
            start, end = match.span("secret")
            yield SecretMatch(self.kind, start, end, secret, self.env)


def _mixed_case(match: re.Match) -> bool:
    body = match.group("secret")
    return any(c.isupper() for c in body) and any(c.islower() for c in body)


def _mixed_case_and_digit(match: re.Match) -> bool:
    return _mixed_case(match) and any(c.isdigit() for c in match.group("secret"))


_SCHEME = lazy_compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}$")


def _url_password(match: re.Match) -> bool:
    if not _SCHEME.search(match.string, max(0, match.start() - 22), match.start()):
        return False  # `://` not after a scheme name
    import urllib.parse  # only when a URL carries a password: most runs never need it

    user = urllib.parse.unquote(match.group("user"))
    password = urllib.parse.unquote(match.group("secret"))
    return not _LOCAL_HOSTS.match(match.group("host")) and _real_password(password, user)


def _odbc_password(match: re.Match) -> bool:
    return _real_password(match.group("secret"))


class PrivateKeyDetector:
    """PEM / OpenSSH / PGP private key blocks (RFC 7468; OpenSSH's PROTOCOL.key; RFC 4880): the header,
    then a body of real length, so a header alone in documentation, or a truncated `MIIE...`, is not
    reported. The body may be on the following lines or in one string with escaped newlines (`\\n`),
    as in a Google service-account JSON."""

    kind = "private key"
    needles = ("PRIVATE KEY",)
    env = "PRIVATE_KEY_PATH"
    BODY_MIN = 120  # base64 characters: the smallest real key (EC P-256, PEM) has ~160
    _HEADER = lazy_compile(r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----")
    _FIELD = lazy_compile(r"^[\s\"']*[A-Za-z-]+: .*$", re.M)  # Proc-Type:, DEK-Info:, Version: lines of the armour
    _NOT_BASE64 = lazy_compile(r"\\[nr]|[\s\"',+]")

    def find(self, text: str) -> Iterator[SecretMatch]:
        for header in self._HEADER.finditer(text):
            start = header.end()
            stop = text.find("-----END", start, start + 20_000)
            raw = text[start : stop if stop != -1 else start + 20_000]
            body = self._NOT_BASE64.sub("", self._FIELD.sub("", raw.replace("\\n", "\n")))
            leading = re.match(r"[A-Za-z0-9+/=]*", body)  # `*`: always matches, maybe empty
            run = leading.group() if leading else ""
            if len(run) < self.BODY_MIN or len(set(run)) < 20 or re.search(r"x{4}|X{4}|\.\.\.|…", raw):
                continue
            # The span: the body up to the end marker (or the last base64 character before anything else).
            end = stop if stop != -1 else start + len(raw)
            yield SecretMatch(
                self.kind,
                start,
                end,
                text[start:end],
                self.env,
                label=f"-----BEGIN {header.group(1)}-----…",
                anchor=header.start(),
            )


def _token(literal: str, rest: str, before: str = "A-Za-z0-9_-") -> str:
    """A whole token that starts with `literal`. The pattern starts with the literal itself, so the regex
    engine jumps from one occurrence to the next; the boundary before it is checked once found."""
    escaped = re.escape(literal)
    return f"(?P<secret>{escaped}(?<![{before}]{escaped}){rest})" + _E


DETECTORS: tuple = (
    # AWS IAM "unique identifier prefixes": AKIA long-term access key ids, ASIA temporary (STS) ones.
    Detector(
        "AWS access key id",
        ("AKIA",),
        _token("AKIA", "[A-Z0-9]{16}", "A-Za-z0-9+/"),
        "AWS_ACCESS_KEY_ID",
        prefix_length=4,
    ),
    Detector(
        "AWS access key id",
        ("ASIA",),
        _token("ASIA", "[A-Z0-9]{16}", "A-Za-z0-9+/"),
        "AWS_ACCESS_KEY_ID",
        prefix_length=4,
    ),
    # AWS secret access keys are 40 base64 characters with no prefix: only beside their name (boto3's
    # keyword, the credentials file, the environment, STS's JSON `SecretAccessKey`).
    Detector(
        "AWS secret access key",
        ("ecret", "ECRET"),
        r"(?i)(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)[\"'\]]{0,2}\s*(?:=|:|=>)\s*"
        r"[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        "AWS_SECRET_ACCESS_KEY",
        accept=_mixed_case_and_digit,
    ),
    # GitHub's token formats (2021): ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server,
    # ghr_ refresh, + 36 base62 characters; fine-grained personal tokens (2022): github_pat_22_59.
    Detector(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _token("gh", "[pousr]_[A-Za-z0-9]{36}"),
        "GITHUB_TOKEN",
        prefix_length=4,
    ),
    Detector(
        "GitHub token",
        ("github_pat_",),
        _token("github_pat_", "[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
        "GITHUB_TOKEN",
        prefix_length=11,
    ),
    # GitLab personal access tokens: glpat- + 20 or more characters (GitLab's token prefixes docs).
    Detector("GitLab token", ("glpat-",), _token("glpat-", "[A-Za-z0-9_-]{20,64}"), "GITLAB_TOKEN", prefix_length=6),
    # Slack tokens: xoxb- bot, xoxp- user, xoxa-/xoxr-/xoxs-/xoxo-, then numeric ids and a random part;
    # incoming webhooks: hooks.slack.com/services/T<team>/B<channel>/<secret> (Slack API docs).
    Detector(
        "Slack token", ("xox",), _token("xox", r"[abposr]-\d{6,}-[0-9A-Za-z-]{10,}"), "SLACK_BOT_TOKEN", prefix_length=5
    ),
    Detector(
        "Slack webhook URL",
        ("hooks.slack.com",),
        r"hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})" + _E,
        "SLACK_WEBHOOK_URL",
    ),
    # OpenAI API keys (legacy sk-, project sk-proj-, service-account sk-svcacct-) carry the marker
    # T3BlbkFJ, base64 of "OpenAI": the marker GitHub's secret scanning and detect-secrets rely on.
    Detector(
        "OpenAI API key",
        ("T3BlbkFJ",),
        _token("sk-", "(?:[a-z]+-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"),
        "OPENAI_API_KEY",
        prefix_length=3,
    ),
    # Anthropic API keys: sk-ant-api03- (or admin01-) + a long random part.
    Detector(
        "Anthropic API key",
        ("sk-ant-",),
        _token("sk-ant-", r"[a-z]+\d{2}-[A-Za-z0-9_-]{80,}"),
        "ANTHROPIC_API_KEY",
        prefix_length=14,
    ),
    # Hugging Face user access tokens: hf_ + 34 letters; organisation API tokens: api_org_ + 34 letters.
    # Real ones mix cases; a 34-letter lower-case identifier after hf_ is a name, not a token.
    Detector(
        "Hugging Face token", ("hf_",), _token("hf_", "[A-Za-z]{34}"), "HF_TOKEN", prefix_length=3, accept=_mixed_case
    ),
    Detector(
        "Hugging Face token",
        ("api_org_",),
        _token("api_org_", "[A-Za-z]{34}"),
        "HF_TOKEN",
        prefix_length=8,
        accept=_mixed_case,
    ),
    # Google API keys: AIza + 35 characters (Google Cloud "API keys" docs; Gemini, Maps, YouTube keys).
    # OAuth client secrets: GOCSPX- + 28; OAuth access tokens: ya29. + a long random part.
    Detector("Google API key", ("AIza",), _token("AIza", "[0-9A-Za-z_-]{35}"), "GOOGLE_API_KEY", prefix_length=4),
    Detector(
        "Google OAuth client secret",
        ("GOCSPX-",),
        _token("GOCSPX-", "[A-Za-z0-9_-]{28}"),
        "GOOGLE_CLIENT_SECRET",
        prefix_length=7,
    ),
    Detector(
        "Google OAuth access token",
        ("ya29.",),
        _token("ya29.", "[0-9A-Za-z_-]{30,}"),
        "GOOGLE_OAUTH_TOKEN",
        prefix_length=5,
    ),
    # Stripe live secret (sk_live_) and restricted (rk_live_) keys (Stripe API keys docs); test-mode keys
    # (sk_test_) reach no money and are left alone.
    Detector(
        "Stripe live key", ("sk_live_",), _token("sk_live_", "[0-9A-Za-z]{24,}"), "STRIPE_API_KEY", prefix_length=8
    ),
    Detector(
        "Stripe live key", ("rk_live_",), _token("rk_live_", "[0-9A-Za-z]{24,}"), "STRIPE_API_KEY", prefix_length=8
    ),
    # Azure connection strings: storage AccountKey (64 bytes, base64) and Service Bus / Event Hubs
    # SharedAccessKey (32 bytes, base64) (Azure connection string docs).
    Detector(
        "Azure storage account key",
        ("AccountKey=",),
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
        "AZURE_STORAGE_CONNECTION_STRING",
    ),
    Detector(
        "Azure shared access key",
        ("SharedAccessKey=",),
        r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{43}=)",
        "AZURE_SERVICEBUS_CONNECTION_STRING",
    ),
    PrivateKeyDetector(),
    # user:password@ in a URL (database URLs, git remotes, broker URLs), found from its `://`. Not:
    # templates, the dummy passwords of tutorials and local setups, localhost and example hosts.
    Detector(
        "password in a connection URL",
        ("://",),
        r"://(?P<user>[^\s:/@'\"`<>{}\[\]()]*):(?P<secret>[^\s/@'\"`<>{}\[\]()]+)@"
        r"(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)",
        "DATABASE_URL",
        accept=_url_password,
    ),
    # ODBC / ADO.NET connection strings: ...Server=...;...Password=...; (or Pwd=).
    Detector(
        "password in a connection string",
        ("assword=", "ASSWORD=", "wd=", "WD="),
        r"(?i)(?:server|data source|host|hostname|uid|user id|database|initial catalog|driver)\s*=[^;\n]*;"
        r"[^\n]*?(?<![a-z])(?:password|pwd)\s*=\s*(?P<secret>[^;\"'\s{}\[\]()]+)(?=[;\"'\s]|$)",
        "DATABASE_PASSWORD",
        accept=_odbc_password,
    ),
)


# A needle holding one of these characters cannot occur in a text without it, and `c in text` is a
# memchr, many times cheaper than a needle's search: the biggest texts, training logs of millions of
# lines, seldom hold `_` or `-`, which 13 of the 30 needles need (245 MB of such logs: 3.1 -> 1.6 s).
_ANCHORS = "_-=:."
_ANCHOR = {needle: next((c for c in _ANCHORS if c in needle), "") for d in DETECTORS for needle in d.needles}


def find_secrets(text: str) -> list[SecretMatch]:
    """Every credential in `text`, in order; where two detectors match the same characters (a GitHub
    token as the password of a git remote URL), the more specific one (earlier in DETECTORS) wins."""
    found: list[SecretMatch] = []
    absent = {anchor for anchor in _ANCHORS if anchor not in text}
    for detector in DETECTORS:
        if not any(needle in text for needle in detector.needles if _ANCHOR[needle] not in absent):
            continue
        for match in detector.find(text):
            if not any(match.start < other.end and other.start < match.end for other in found):
                found.append(match)
    found.sort(key=lambda match: match.start)
    return found


def mask_secrets(text: str, found: list[SecretMatch] | None = None) -> str:
    """`text` with every credential in it masked."""
    found = find_secrets(text) if found is None else found
    if not found:
        return text
    pieces = []
    last = 0
    for match in sorted(found, key=lambda m: m.start):
        if match.start < last:
            continue
        pieces.append(text[last : match.start])
        pieces.append(mask(match.secret) if match.label is None else "…")
        last = match.end
    pieces.append(text[last:])
    return "".join(pieces)
