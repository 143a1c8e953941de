"""NB106 huge-canvas: a matplotlib figure whose raster canvas (inches x dpi, 4 bytes a pixel) is over the
memory budget, built when the notebook displays the figure or saves it to a raster format."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import cast

import libcst as cst

from nblint.core.code.symbols import UNKNOWN, binding_names, last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import named_values, size_evidence, size_message
from nblint.core.findings import Severity
from nblint.core.lazyre import lazy_compile
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.sizes import argument, format_budget, format_count
from nblint.rules.base import CodeRule, Invalid

# matplotlib's defaults: rcParams["figure.figsize"], ["figure.dpi"].
_DEFAULT_FIGSIZE = (6.4, 4.8)
_DEFAULT_DPI = 100.0
# Agg refuses (ValueError) a canvas this wide or high: no memory is taken.
_AGG_MAX_SIDE = 2**23
_RGBA = 4

_RASTER_FORMATS = frozenset({"png", "jpg", "jpeg", "tif", "tiff", "webp", "raw", "rgba", "gif"})
_VECTOR_FORMATS = frozenset({"svg", "svgz", "pdf", "eps", "ps", "pgf"})
# Backends that draw no canvas by themselves in a notebook (figures are only built by savefig).
_SILENT_BACKENDS = frozenset({"agg", "svg", "pdf", "ps", "pgf", "cairo", "template"})

_PYPLOT = "matplotlib.pyplot."
_FIGURE_MAKERS = {"figure": (1, 2), "subplots": (None, None), "subplot_mosaic": (None, None)}
# Plotting methods of pandas (and others) that take figsize= and make a figure at the rc dpi.
_FIGSIZE_METHODS = frozenset({"plot", "hist", "boxplot", "scatter_matrix"})
_CONFIG_FORMATS = lazy_compile(r"InlineBackend\.figure_formats?\s*=\s*(.+)$")
_MATPLOTLIB_MAGIC = lazy_compile(r"^%?(?:matplotlib|pylab)\b\s*(\S*)")

_WAY_OUT = (
    "use a smaller figsize or dpi (a 12 x 8 in figure at 300 dpi is print quality, 3,600 x 2,400 "
    "pixels), or save it as a vector file (.svg, .pdf) that scales without pixels"
)


@dataclass(frozen=True)
class Canvas:
    """What nblint knows of one figure: its size in inches and its dpi (None: not known)."""

    width: float | None
    height: float | None
    dpi: float | None
    made_by: str  # the code that made or resized it, for the message

    def pixels(self, dpi: float | None = None) -> tuple[int, int] | None:
        dpi = self.dpi if dpi is None else dpi
        if self.width is None or self.height is None or dpi is None:
            return None
        return int(self.width * dpi), int(self.height * dpi)


class HugeCanvas(CodeRule):
    """
    ## What it does
    Flags matplotlib figures whose raster canvas is over the memory budget. The canvas is width x height
    pixels of 4 bytes (RGBA), where each side is inches x dpi: `plt.figure(figsize=(40, 40), dpi=1200)` is
    48,000 x 48,000 pixels, 8.6 GiB. Sizes come from `figsize=` and `dpi=` of `plt.figure`,
    `plt.subplots`, `plt.subplot_mosaic` and pandas' `.plot(figsize=...)`, from `fig.set_size_inches`,
    `fig.set_dpi` and `fig.dpi = ...`, from `savefig(dpi=...)`, and from `rcParams["figure.figsize"]`,
    `rcParams["figure.dpi"]`, `rcParams["savefig.dpi"]`, `rcParams.update({...})` and `plt.rc("figure",
    ...)` set earlier in the notebook (matplotlib's defaults, 6.4 x 4.8 in at 100 dpi, otherwise).

    A canvas is built when the figure is drawn: when the notebook displays it (the inline backend draws
    every open pyplot figure as a PNG at the end of the cell, at twice the dpi for the `retina` format),
    and when `savefig` writes a raster format (.png, .jpg, .tif, .webp, raw). Not reported: `savefig` to
    .svg, .pdf, .eps or .ps (vector backends draw no canvas of the figure's size; only artists marked
    `rasterized=True` are rasterised), figures of a notebook whose inline output is vector
    (`%config InlineBackend.figure_formats = ['svg']`, `set_matplotlib_formats('svg')`) or whose backend
    displays nothing (`matplotlib.use("Agg")`, `%matplotlib agg`) until they are saved, figures the notebook
    closes (`plt.close`, `plt.ioff()`) until they are saved, sides of 2**23 pixels or more (Agg refuses
    them with a ValueError), and sizes nblint cannot read. After `plt.style.use(...)` the defaults are
    unknown.

    ## Why it kills the kernel
    Agg allocates the whole canvas before it draws a single line: a 40 x 40 inch figure at 1,200 dpi asks
    for 8.6 GiB at once. Measured with matplotlib 3.11 on an 8,000 x 8,000 pixel figure (a 244 MiB
    canvas), peak memory grew by 248 MiB for `savefig` to PNG and by 396 MiB for a PNG with
    `bbox_inches="tight"` (what inline display does), against 13 MiB for PDF and 2 MiB for SVG. The kernel is killed by the OOM killer ("The kernel
    appears to have died") with every variable of the session, or the machine swaps until it stops
    responding; when it does fit, the image embedded in the notebook makes it too big to open.

    ## Example
        fig, ax = plt.subplots(figsize=(40, 40), dpi=1200)
        fig.savefig("map.png")

    ## Use instead
        fig, ax = plt.subplots(figsize=(12, 12), dpi=150)
        fig.savefig("map.pdf")              # vector: sharp at any zoom, no pixel canvas
        fig.savefig("map.png", dpi=300)     # 3,600 x 3,600 pixels, 49 MiB of canvas

    ## Options
    - `memory-budget` (default `"1 GiB"`): the canvas size (width x height x 4 bytes) above which a figure
      is reported. Shared with the other size rules.
    """

    code = "NB106"
    needs = (*_FIGURE_MAKERS, "figsize", "savefig")  # the pre-filter (CodeRule.needs): a figure made, or savefig
    name = "huge-canvas"
    severity = Severity.ERROR
    options = (MEMORY_BUDGET,)

    VALID = [
        # ordinary sizes and dpi
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(12, 8), dpi=300)\n"
        "fig.savefig('plot.png', dpi=600)\nplt.figure(figsize=(20, 10))\n",
        # vector files: no canvas of the figure's size
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(40, 40))\nfig.savefig('map.pdf', dpi=1200)\n"
        "fig.savefig('map.svg', dpi=1200)\nfig.savefig(out, format='eps', dpi=1200)\nplt.close(fig)\n",
        # a vector inline format and a backend that displays nothing
        [
            "%config InlineBackend.figure_formats = ['svg']\nimport matplotlib.pyplot as plt\n",
            "fig = plt.figure(figsize=(40, 40), dpi=1200)\n",
        ],
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "fig = plt.figure(figsize=(40, 40), dpi=1200)\nfig.savefig('map.pdf')\n",
        # closed before the notebook can display it
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(40, 40), dpi=1200)\nfig.savefig('map.svg')\n"
        "plt.close(fig)\n",
        # sizes nblint cannot read
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(w, h), dpi=dpi)\nfig.savefig(name, dpi=dpi)\n"
        "plt.savefig(path, dpi=2400)\n",
        # after a style, the default size is unknown
        "import matplotlib.pyplot as plt\nplt.style.use('custom.mplstyle')\nplt.plot(x)\nplt.savefig('a.png', dpi=4000)\n",
        # a figsize method of something that is not a plot: and a modest pandas figure
        "df.plot(figsize=(15, 6))\nax = df.hist(figsize=(20, 20))\n",
        # a side of 2**23 pixels or more is refused by Agg (ValueError), not allocated
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(100_000, 1), dpi=100)\nplt.close(fig)\n"
        "fig.savefig('strip.png')\n",
        # a name that no longer holds the big figure
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(20, 20))\nplt.close(fig)\nfig = make_figure()\n"
        "fig.savefig('small.png', dpi=2000)\n",
        # from the corpus
        "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(6.5, 7), dpi=300)\n"
        "plt.savefig('image_at_epoch_{:04d}.png'.format(epoch))\n",
        # figsize keywords of other libraries' functions are not matplotlib figures
        "import seaborn as sns\ng = sns.FacetGrid(df, height=40, aspect=1)\nmodel.fit(X, figsize=(400, 400))\n",
    ]
    INVALID = [
        Invalid(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(40, 40), dpi=1200)\n",
            line=2,
            column=11,
            message="plt.subplots(figsize=(40, 40), dpi=1200) makes a figure whose canvas is 48,000 x 48,000 pixels "
            "(~8.6 GiB of RGBA: 40 x 40 in at 1,200 dpi), drawn when the notebook displays it, over the 1 GiB "
            "budget; use a smaller figsize or dpi",
        ),
        # savefig's dpi on a figure of known size, in a later cell
        Invalid(
            [
                "import matplotlib.pyplot as plt\n",
                "fig = plt.figure(figsize=(20, 15))\nplt.close(fig)\n",
                "fig.savefig('poster.png', dpi=2000)\n",
            ],
            cell=2,
            line=1,
            column=1,
            message="fig.savefig('poster.png', dpi=2000) draws a canvas of 40,000 x 30,000 pixels (~4.5 GiB of "
            "RGBA: 20 x 15 in at 2,000 dpi; fig = plt.figure(figsize=(20, 15)))",
        ),
        # plt.savefig of the default figure
        Invalid(
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.savefig('line.png', dpi=5000)\n",
            line=3,
            message="32,000 x 24,000 pixels (~2.9 GiB of RGBA: 6.4 x 4.8 in at 5,000 dpi",
        ),
        # rcParams set earlier
        Invalid(
            [
                "import matplotlib as mpl\nimport matplotlib.pyplot as plt\n",
                "mpl.rcParams['figure.dpi'] = 1000\n",
                "fig = plt.figure(figsize=(30, 20))\n",
            ],
            cell=2,
            column=7,
            message="30,000 x 20,000 pixels (~2.2 GiB of RGBA: 30 x 20 in at 1,000 dpi)",
        ),
        Invalid(
            "import matplotlib.pyplot as plt\nplt.rcParams.update({'figure.figsize': (50, 50), 'figure.dpi': 600})\n"
            "plt.figure()\n",
            line=3,
            message="30,000 x 30,000 pixels",
        ),
        # resized later
        Invalid(
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nfig.set_size_inches(100, 60)\n"
            "fig.savefig('wide.jpg', dpi=600)\n",
            line=4,
            message="60,000 x 36,000 pixels",
        ),
        # file names built with str.format; f-string file names with a raster extension; pandas figures
        Invalid(
            "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(20, 20))\nplt.close(fig)\n"
            "fig.savefig('epoch_{:04d}.png'.format(epoch), dpi=2000)\n",
            line=4,
            message="40,000 x 40,000 pixels",
        ),
        Invalid(
            "import matplotlib.pyplot as plt\nax = df.plot(figsize=(300, 200))\nplt.savefig(f'{name}.png')\n",
            line=2,
            message="30,000 x 20,000 pixels (~2.2 GiB of RGBA: 300 x 200 in at 100 dpi)",
        ),
        # retina doubles each side
        Invalid(
            [
                "%config InlineBackend.figure_format = 'retina'\nimport matplotlib.pyplot as plt\n",
                "fig = plt.figure(figsize=(100, 100))\n",
            ],
            cell=1,
            line=1,
            message="20,000 x 20,000 pixels (~1.5 GiB of RGBA: 100 x 100 in at 200 dpi",
        ),
        # the budget is an option
        Invalid(
            "import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(20, 20), dpi=300)\n",
            line=2,
            options={"memory-budget": "100 MiB"},
            message="(~137 MiB of RGBA: 20 x 20 in at 300 dpi)",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._figsize: tuple[float, float] | None = _DEFAULT_FIGSIZE
        self._dpi: float | None = _DEFAULT_DPI
        self._savefig_dpi: float | str | None = "figure"
        self._figures: dict[str, Canvas] = {}  # notebook names bound to figures, in source order
        self._current: Canvas | None = None  # pyplot's current figure, as far as nblint can tell
        self._made: dict[int, Canvas] = {}  # figure-making calls already read (Assign sees them first)
        self._pending: list[tuple[cst.CSTNode, Canvas]] = []  # made figures, reported in finish()
        self._closes = False
        self._inline_scale, self._displays = self._inline_output(context.magic_lines)

    # -- what the notebook says about display ------------------------------------------------------

    @staticmethod
    def _inline_output(magic_lines) -> tuple[float, bool]:
        """(dpi factor of the inline PNG, whether figures are drawn on display at all) from the magics."""
        scale, displays = 1.0, True
        for text in magic_lines:
            formats = _CONFIG_FORMATS.search(text)
            if formats is not None:
                named = set(re.findall(r"[A-Za-z0-9]+", formats.group(1).lower()))
                if named and named <= _VECTOR_FORMATS:
                    displays = False
                elif named & {"retina", "png2x"}:
                    scale = 2.0
                continue
            backend = _MATPLOTLIB_MAGIC.match(text)
            if backend is not None and backend.group(1).lower() in _SILENT_BACKENDS:
                displays = False
        return scale, displays

    # -- traversal ------------------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        for target in node.targets:
            if isinstance(target.target, cst.Subscript):
                self._set_rc_item(target.target, value)
            elif isinstance(target.target, cst.Attribute) and target.target.attr.value == "dpi":
                self._resize(target.target.value, dpi=self._number(value), code=source_text(node))
        canvas = self._figure_made_by(value) if isinstance(value, cst.Call) else None
        for target in node.targets:
            name: cst.CSTNode = target.target
            if canvas is not None and isinstance(name, (cst.Tuple, cst.List)) and name.elements:
                name = name.elements[0].value  # fig, ax = plt.subplots(...)
            for bound in binding_names(name):
                if canvas is not None and bound == getattr(name, "value", None):
                    self._figures[bound] = replace(canvas, made_by=f"{bound} = {canvas.made_by}")
                else:
                    self._figures.pop(bound, None)  # the name now holds something else

    def visit_Call(self, node: cst.Call) -> None:
        name = last_name(node.func)
        if name is None:
            return
        canvas = self._figure_made_by(node)
        if canvas is not None:
            return
        qualified = self.context.qualified_name(node.func) or ""
        if name == "savefig":
            self._savefig(node, qualified)
        elif name in ("set_size_inches", "set_dpi") and isinstance(node.func, cst.Attribute):
            self._resize_call(node, name)
        elif qualified.startswith("matplotlib"):
            self._matplotlib_setting(node, name, qualified)
        elif name == "set_matplotlib_formats":
            formats = {self.context.evaluate(arg.value) for arg in node.args if arg.keyword is None}
            if formats and all(isinstance(f, str) for f in formats):
                if {f.lower() for f in formats} <= _VECTOR_FORMATS:
                    self._displays = False
                elif {f.lower() for f in formats} & {"retina", "png2x"}:
                    self._inline_scale = 2.0
        elif name in ("set", "set_theme") and qualified.startswith("seaborn."):
            rc = argument(node, None, "rc")
            if rc is not None:
                self._update_rc(rc)

    def finish(self) -> None:
        if not self._displays or self._closes:
            return
        for node, canvas in self._pending:
            dpi = None if canvas.dpi is None else canvas.dpi * self._inline_scale
            self._consider(
                node, replace(canvas, dpi=dpi), "makes a figure whose canvas is", "drawn when the notebook displays it"
            )

    # -- figures -------------------------------------------------------------------------------------

    def _figure_made_by(self, call: cst.Call) -> Canvas | None:
        """The figure a call makes (plt.figure, plt.subplots, df.plot(figsize=...)), read once."""
        known = self._made.get(id(call))
        if known is not None:
            return known
        name = last_name(call.func)
        canvas = None
        if name in _FIGURE_MAKERS:
            qualified = self.context.qualified_name(call.func)
            if qualified == _PYPLOT + name:
                size_at, dpi_at = _FIGURE_MAKERS[name]
                canvas = self._canvas(call, size_at, dpi_at)
        elif name in _FIGSIZE_METHODS and isinstance(call.func, cst.Attribute):
            figsize = argument(call, None, "figsize")
            qualified = self.context.qualified_name(call.func)
            if figsize is not None and (qualified is None or qualified.startswith(("pandas.", "matplotlib."))):
                canvas = self._canvas(call, None, None)
        if canvas is None:
            return None
        self._made[id(call)] = canvas
        self._current = canvas
        self._pending.append((call, canvas))
        return canvas

    def _canvas(self, call: cst.Call, size_at: int | None, dpi_at: int | None) -> Canvas:
        figsize = argument(call, size_at, "figsize")
        dpi = argument(call, dpi_at, "dpi")
        width, height = self._figsize if figsize is None and self._figsize else (None, None)
        if figsize is not None:
            width, height = self._pair(figsize)
        return Canvas(width, height, self._dpi if dpi is None else self._number(dpi), source_text(call))

    def _resize_call(self, node: cst.Call, name: str) -> None:
        func = cast(cst.Attribute, node.func)  # visit_Call calls this only for a method call
        args = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if name == "set_dpi":
            self._resize(func.value, dpi=self._number(args[0]) if len(args) == 1 else None, code=source_text(node))
            return
        if len(args) == 1:
            width, height = self._pair(args[0])
        elif len(args) == 2:
            width, height = self._number(args[0]), self._number(args[1])
        else:
            width = height = None
        self._resize(func.value, width=width, height=height, code=source_text(node), size=True)

    def _resize(
        self, figure: cst.BaseExpression, *, width=None, height=None, dpi=None, code: str, size: bool = False
    ) -> None:
        if not isinstance(figure, cst.Name) or figure.value not in self._figures:
            return
        canvas = self._figures[figure.value]
        if size:
            canvas = replace(canvas, width=width, height=height, made_by=code)
        else:
            canvas = replace(canvas, dpi=dpi, made_by=code)
        self._figures[figure.value] = canvas
        self._current = canvas  # a figure being resized is, nearly always, the one being worked on

    def _savefig(self, node: cst.Call, qualified: str) -> None:
        if qualified == _PYPLOT + "savefig":
            canvas = self._current or (Canvas(*self._figsize, self._dpi, "") if self._figsize else None)
        elif isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            canvas = self._figures.get(node.func.value.value)
        else:
            canvas = None
        if canvas is None or self._file_format(node) not in _RASTER_FORMATS:
            return
        dpi_node = argument(node, None, "dpi")
        dpi = self._savefig_dpi if dpi_node is None else self.context.evaluate(dpi_node)
        if dpi == "figure":
            dpi = canvas.dpi
        elif isinstance(dpi, bool) or not isinstance(dpi, (int, float)):
            return
        self._consider(node, replace(canvas, dpi=dpi), "draws a canvas of", "")

    def _file_format(self, node: cst.Call) -> str | None:
        given = argument(node, None, "format")
        if given is not None:
            value = self.context.evaluate(given)
            return value.lower() if isinstance(value, str) else None
        name = argument(node, 0, "fname")
        text = self._file_name_tail(name)
        if text is None or "." not in text:
            return None
        return text.rsplit(".", 1)[1].lower()

    def _file_name_tail(self, node) -> str | None:
        """The end of a file name, enough for its extension: a constant, the last literal part of an
        f-string, or the last piece of `a + '.png'`, `folder / 'plot.png'`, os.path.join(..., 'plot.png')."""
        if node is None or not isinstance(node, cst.BaseExpression):
            return None
        if isinstance(node, cst.FormattedString):
            last = node.parts[-1] if node.parts else None
            return last.value if isinstance(last, cst.FormattedStringText) else None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide)):
            return self._file_name_tail(node.right)
        if isinstance(node, cst.Call) and last_name(node.func) == "join" and node.args:
            return self._file_name_tail(node.args[-1].value)
        if isinstance(node, cst.Call) and last_name(node.func) == "format" and isinstance(node.func, cst.Attribute):
            return self._file_name_tail(node.func.value)  # 'epoch_{:04d}.png'.format(epoch)
        value = self.context.evaluate(node)
        return value if isinstance(value, str) else None

    # -- rcParams and backends -------------------------------------------------------------------------

    def _matplotlib_setting(self, node: cst.Call, name: str, qualified: str) -> None:
        if qualified.endswith("rcParams.update") and node.args:
            self._update_rc(node.args[0].value)
        elif qualified in ("matplotlib.rc", _PYPLOT + "rc"):
            group = self.context.evaluate(node.args[0].value) if node.args else UNKNOWN
            if group == "figure":
                for arg in node.args[1:]:
                    if arg.keyword is not None:
                        self._set_rc(f"figure.{arg.keyword.value}", arg.value)
            elif group == "savefig":
                for arg in node.args[1:]:
                    if arg.keyword is not None:
                        self._set_rc(f"savefig.{arg.keyword.value}", arg.value)
        elif name == "use" and ".style." in qualified:
            self._figsize = self._dpi = None  # a style sheet may set both
        elif qualified in ("matplotlib.use", _PYPLOT + "switch_backend") and node.args:
            backend = self.context.evaluate(node.args[0].value)
            if not isinstance(backend, str) or backend.lower() in _SILENT_BACKENDS:
                self._displays = False
        elif qualified in (_PYPLOT + "close", _PYPLOT + "ioff", _PYPLOT + "clf"):
            self._closes = True

    def _set_rc_item(self, target: cst.Subscript, value: cst.BaseExpression) -> None:
        qualified = self.context.qualified_name(target.value) or ""
        if not qualified.endswith("rcParams") or len(target.slice) != 1:
            return
        index = target.slice[0].slice
        key = self.context.evaluate(index.value) if isinstance(index, cst.Index) else UNKNOWN
        if isinstance(key, str):
            self._set_rc(key, value)

    def _update_rc(self, mapping: cst.BaseExpression) -> None:
        if not isinstance(mapping, cst.Dict):
            self._figsize = self._dpi = None
            self._savefig_dpi = None
            return
        for element in mapping.elements:
            if not isinstance(element, cst.DictElement):
                self._figsize = self._dpi = None
                return
            key = self.context.evaluate(element.key)
            if isinstance(key, str):
                self._set_rc(key, element.value)

    def _set_rc(self, key: str, value: cst.BaseExpression) -> None:
        if key == "figure.figsize":
            width, height = self._pair(value)
            self._figsize = (width, height) if width is not None and height is not None else None
        elif key == "figure.dpi":
            self._dpi = self._number(value)
        elif key == "savefig.dpi":
            setting = self.context.evaluate(value)
            self._savefig_dpi = setting if setting == "figure" else self._number(value)

    # -- values ----------------------------------------------------------------------------------------

    def _number(self, node) -> float | None:
        if node is None or not isinstance(node, cst.BaseExpression):
            return None
        value = self.context.evaluate(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return None
        return float(value)

    def _pair(self, node) -> tuple[float | None, float | None]:
        value = self.context.evaluate(node) if isinstance(node, cst.BaseExpression) else UNKNOWN
        if (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            return float(value[0]), float(value[1])
        return None, None

    # -- reporting -------------------------------------------------------------------------------------

    def _consider(self, node: cst.CSTNode, canvas: Canvas, verb: str, when: str) -> None:
        pixels = canvas.pixels()
        if pixels is None or canvas.dpi is None or max(pixels) >= _AGG_MAX_SIDE:  # no pixels without a dpi
            return
        nbytes = pixels[0] * pixels[1] * _RGBA
        budget = self.option(MEMORY_BUDGET)
        if nbytes <= budget:
            return
        code = source_text(node)
        how = f"{_inches(canvas.width)} x {_inches(canvas.height)} in at {format_count(round(canvas.dpi))} dpi"
        if canvas.made_by and canvas.made_by not in code:
            how += f"; {canvas.made_by}"
        evidence = size_evidence(
            code,
            f"{verb} {format_count(pixels[0])} x {format_count(pixels[1])} pixels "
            f"(~{format_size(nbytes)} of RGBA: {how}){', ' + when if when else ''}",
            nbytes,
            budget,
            _WAY_OUT,
            shape=(pixels[1], pixels[0], _RGBA),
            dtype="uint8",
            values=named_values(node, self.context),
        )
        self.report(node, size_message(evidence, format_budget(budget), ", "), evidence=evidence)


def _inches(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
