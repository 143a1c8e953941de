"""NB702 large-output: one saved output heavier than `max-output-size`."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability
from nblint.core.lazyre import lazy_compile
from nblint.core.options import Option, format_size, parse_size
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule, Valid, built_on_first_read
from nblint.rules.git.outputs import SavedOutput, joined, json_weight, removal_fix, saved_outputs, size_by_part

MAX_OUTPUT_SIZE = Option(
    "max-output-size",
    "1 MiB",
    parse_size,
    'Size above which one saved output is reported by NB702 ("1 MiB", "500 KB").',
)


# Media that HTML outputs embed as data URIs (IPython.display.Audio and Video, inline images).
_EMBEDDED = lazy_compile(r"data:([A-Za-z]+/[A-Za-z0-9.+-]+);base64,")


def _embedded_media(output: SavedOutput) -> str | None:
    """The MIME type of the biggest media file an HTML or Markdown payload embeds, if any."""
    bundle = output.data.get("data")
    if not isinstance(bundle, dict):
        return None
    best: tuple[int, str] | None = None
    for mime in ("text/html", "text/markdown"):
        text = joined(bundle.get(mime))
        for match in _EMBEDDED.finditer(text):
            end = match.end()
            while end < len(text) and (text[end].isalnum() or text[end] in "+/="):
                end += 1
            if best is None or end - match.end() > best[0]:
                best = (end - match.end(), match.group(1))
    return best[1] if best is not None and best[0] > 1024 else None


def _advice(main_part: str, embedded: str | None) -> str:
    if embedded is not None:
        return (
            "keep the media in a file and link it instead of embedding it "
            "(`IPython.display.Audio(url=...)`, `Image(url=...)`), or clear the output"
        )
    if main_part.startswith("image/"):
        return "save the figure to a file and show a smaller one (lower dpi or size), or clear the output"
    if main_part in ("text/html", "text/plain", "text/markdown", "text/latex"):
        return "show a summary (`df.head()`, a sample) instead of the whole object, or clear the output"
    if main_part == "text":
        return "log to a file and print a summary instead, or clear the output"
    if main_part == "traceback":
        return "fix the error and clear the output"
    return "write the data to a file and show a summary, or clear the output"


def _fake_image(size: int) -> list[str]:
    """A base64 payload of about `size` characters, as nbformat stores it (lines of 76)."""
    line = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5Erk"[:76]
    return [line + "\n"] * (size // 77 + 1)


def _image_cell(size: int, **extra) -> dict:
    return {
        "execution_count": 1,
        "source": "plt.imshow(image)\n",
        "outputs": [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": _fake_image(size), "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
            }
        ],
        **extra,
    }


class LargeOutput(NotebookRule):
    """
    ## What it does
    Flags a single saved output bigger than `max-output-size` (1 MiB by default).

    The message names its size and what it is made of by MIME type (`image/png 3.1 MiB, text/plain
    40 B`; media that HTML embeds, as `IPython.display.Audio` does, by their type); one finding per
    output, pointing at that output in the file.

    An output's size is what it weighs as saved: the length of every string in it (base64 image data,
    HTML, stream text, traceback lines), as nbstripout's `--max-size` measures it, so
    `nblint strip --max-size` (or `nbstripout --max-size`) with the same size removes exactly the outputs
    this rule reports and keeps the rest. For the payloads that make outputs big (base64, HTML, ASCII
    text) that is the number of bytes the output adds to the file.

    ## Why it hurts
    Every save writes the whole notebook: a multi-megabyte output makes saving slow or fail ("Request
    Entity Too Large" behind a proxy, the 25-100 MB limits of hosted notebooks), the browser tab has to
    render it and may freeze or crash, and in git the blob is stored again on every re-run, so the
    repository grows with each commit and diffs become unreadable.

    ## Example
        plt.figure(figsize=(40, 40), dpi=300)
        plt.imshow(image)          # a 6 MiB PNG saved in the notebook
        df                          # a 500,000-row DataFrame rendered as HTML

    ## Use instead
        plt.figure(figsize=(8, 8), dpi=100)
        plt.savefig("figure.png")   # the full-size figure lives beside the notebook
        df.head()

    ## Options
    - `max-output-size` (default `"1 MiB"`): the size above which one output is reported, as a number of
      bytes or with a unit (`"500 KB"`, `"2 MiB"`). `max-output-size = "100 KiB"` keeps a repository lean.

    ## Fix
    Safe: `--fix` removes each output over the limit and keeps the cell's other outputs, as
    `nblint strip --max-size` does.
    """

    code = "NB702"
    name = "large-output"
    severity = Severity.WARNING
    fixable = Applicability.SAFE
    options = (MAX_OUTPUT_SIZE,)

    VALID = built_on_first_read(
        lambda: [
            # A small figure and a short stream.
            [
                _image_cell(50_000),
                {
                    "execution_count": 2,
                    "source": "print(1)\n",
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
                },
            ],
            # Several outputs that are large only together: each output is judged alone.
            [
                {
                    "execution_count": 1,
                    "source": "show_all()\n",
                    "outputs": [_image_cell(700_000)["outputs"][0], _image_cell(700_000)["outputs"][0]],
                }
            ],
            # Under a raised limit.
            Valid([_image_cell(1_200_000)], options={"max-output-size": "2 MiB"}),
            # A big source cell is not an output.
            ["data = " + repr("x" * 1_200_000) + "\n"],
        ]
    )
    INVALID = built_on_first_read(
        lambda: [
            Invalid([_image_cell(1_200_000)], line=None, message="image/png 1.1 MiB"),
            Invalid(
                ["x = 1\n", _image_cell(300_000)],
                cell=1,
                line=None,
                options={"max-output-size": "100 KiB"},
                message="over the 100 KiB limit",
            ),
            # A long stream: print in a loop.
            Invalid(
                [
                    {
                        "execution_count": 1,
                        "source": "for i in range(10**6):\n    print(i)\n",
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["999999\n"] * 180_000}],
                    }
                ],  # 1.2 MiB; one shared line keeps `import` cheap
                line=None,
                message="output 1 (stream stdout) is 1.2 MiB (text 1.2 MiB)",
            ),
            # IPython.display.Audio embeds the whole file in HTML.
            Invalid(
                [
                    {
                        "execution_count": 1,
                        "source": "Audio('take.mp3')\n",
                        "outputs": [
                            {
                                "output_type": "execute_result",
                                "execution_count": 1,
                                "metadata": {},
                                "data": {
                                    "text/html": [
                                        '<audio controls="controls"><source src="data:audio/mpeg;base64,'
                                        + "".join(_fake_image(1_100_000)).replace("\n", "")
                                        + '" type="audio/mpeg" /></audio>'
                                    ],
                                    "text/plain": ["<IPython.lib.display.Audio object>"],
                                },
                            }
                        ],
                    }
                ],
                line=None,
                message="text/html 1.0 MiB embedding audio/mpeg",
            ),
        ]
    )

    def check(self, notebook: Notebook) -> None:
        limit = self.option(MAX_OUTPUT_SIZE)
        for output in saved_outputs(notebook):
            size = json_weight(output.data)
            if size <= limit:
                continue
            # The payloads, and the metadata only when it weighs something.
            parts = [
                (name, weight)
                for name, weight in size_by_part(output)
                if weight and (name != "metadata" or weight >= size // 10)
            ]
            embedded = _embedded_media(output)
            shown = (
                ", ".join(
                    f"{name} {format_size(weight)}"
                    + (f" embedding {embedded}" if name in ("text/html", "text/markdown") and embedded else "")
                    for name, weight in parts
                )
                or "no payload"
            )
            main = parts[0][0] if parts else ""
            self.report_at(
                f"{output.label} is {format_size(size)} ({shown}), over the {format_size(limit)} limit "
                f"(`max-output-size`); {_advice(main, embedded)}",
                fix=f"nblint strip --max-size {limit}  # removes the outputs over {format_size(limit)}, keeps the rest",
                cell=output.cell.index,
                json_path=output.json_path,
                autofix=removal_fix(
                    output, f"Remove {output.label} of cell {output.cell.index + 1} ({format_size(size)})"
                ),
            )
