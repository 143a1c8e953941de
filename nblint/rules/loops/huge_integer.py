"""NB205 huge-integer: integer arithmetic whose result has more digits than a cell can compute in time.

Estimated with logarithms (digits of a ** b = b * log10(a) + 1, of n! = lgamma(n + 1) / ln 10): nblint's
own constant evaluator refuses big powers (symbols.safe_binary), and nothing here computes one either.
"""

from __future__ import annotations

import math

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.findings import Severity
from nblint.core.options import Option, format_size, parse_int
from nblint.core.sizes import argument, format_count, positional_args
from nblint.rules.base import CodeRule, Invalid

MAX_INTEGER_DIGITS = Option(
    "max-integer-digits",
    10_000_000,
    parse_int,
    "Decimal digits of an integer result above which NB205 reports the power or factorial computing it.",
)

# CPython stores 30 bits in each 4-byte digit.
_BYTES_PER_DECIMAL_DIGIT = math.log2(10) / 30 * 4
# NumPy < 2 hands an exponent that fits no 64-bit integer over to Python's int ** int.
_NUMPY_EXPONENT_LIMIT = 2**64
_NUMPY_INTEGER_TYPES = frozenset(
    {
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "intc",
        "intp",
        "int_",
        "longlong",
        "uint",
        "uintc",
        "uintp",
        "ulonglong",
        "short",
        "ushort",
        "byte",
        "ubyte",
        "long",
        "ulong",
    }
)
# Results of up to this many digits are also kept exactly (as the constant evaluator would).
_EXACT_DIGITS = 400

_POWER_WAY_OUT = (
    "work with its logarithm (exponent * math.log10(base) is its digit count), or use "
    "pow(base, exponent, modulus) when only the remainder is needed"
)
_FACTORIAL_WAY_OUT = "work with its logarithm (math.lgamma(n + 1)) or compute ratios with math.comb / math.perm"


class HugeInteger(CodeRule):
    """
    ## What it does
    Flags integer arithmetic whose result has more than `max-integer-digits` decimal digits: powers of
    integer constants with huge exponents (`7**(10**12)`, power towers such as `10**10**10`, `pow(x, e)`
    without a modulus, `x` a known integer), `math.factorial` of a huge constant (and
    `scipy.special.factorial(n, exact=True)`), and a NumPy integer scalar raised to a Python integer that
    fits in no 64-bit type (`np.int64(7) ** 10**20`), which NumPy before 2.0 hands over to Python's own
    integers (NumPy 2 raises OverflowError instead).

    Sizes are estimated with logarithms, never computed: `a ** b` has about b x log10(a) digits, `n!` has
    lgamma(n + 1) / ln 10. The operands must be integer constants nblint can read (literals, arithmetic,
    notebook-level constants assigned once); float powers (`10.0 ** 400`, `2 ** 0.5`), three-argument
    `pow(b, e, m)` and operands of unknown value are not reported. In a tower only the innermost power
    that is already too big is reported: it is the one the kernel never finishes.

    ## Why it kills the kernel
    CPython multiplies big integers in C without ever checking for interrupts, so the interrupt button
    does nothing: the cell runs until it finishes, runs out of memory, or the kernel is restarted. The
    time grows faster than the digits: on a 2-core machine `7**(10**7)` (8.5 million digits) takes ~9 s
    and `math.factorial(10**6)` (5.6 million digits) ~19 s; ten times the digits cost ~40 times the time.
    `10**10**10` has ten billion digits (4.1 GiB) and never finishes in practice; Python 3.11+ then also
    refuses to print it (the 4,300-digit limit on int to str conversion).

    ## Example
        big = 10**10**10
        count = math.factorial(10**9)

    ## Use instead
        digits = 10**10 * math.log10(10) + 1              # the size, from logarithms
        log_count = math.lgamma(10**9 + 1)                # log(n!) instead of n!
        residue = pow(7, 10**12, 1_000_000_007)           # when only the remainder matters

    ## Options
    - `max-integer-digits` (default `10000000`): the decimal digits of a result above which it is reported.
    """

    code = "NB205"
    name = "huge-integer"
    severity = Severity.ERROR
    options = (MAX_INTEGER_DIGITS,)

    VALID = [
        # modular powers, modest powers, float powers
        "r = pow(7, 10**12, 1_000_000_007)\ns = pow(base=7, exp=10**12, mod=97)\n",
        "x = 2**64\ny = 10**100\nz = 7**(10**5)\nbig = 2**1_000_000\n",
        "a = 10.0**400\nb = 2**0.5\nc = 1e10**10**10\nd = 10**-10**10\n",
        "import math\nf = math.factorial(1000)\ng = math.factorial(100_000)\nh = math.pow(10, 10**10)\n",
        # unknown bases and exponents are not guessed
        "y = x ** (10**12)\nz = 2 ** n\nw = pow(x, 10**12)\n",
        "import numpy as np\na = np.arange(10) ** 10**12\n",
        # trivial bases
        "ones = 1 ** (10**18)\nzeros = 0 ** (10**18)\nsign = (-1) ** (10**18)\n",
        # a factorial that SciPy computes as a float
        "from scipy.special import factorial\nf = factorial(10**9)\n",
        # NumPy scalars with exponents that fit in 64 bits wrap around or stay small: not Python integers
        "import numpy as np\nw = np.int64(7) ** 100\nv = np.uint64(3) ** (2**63)\n",
        # a constant assigned twice with different values is unknown
        ["E = 10\n", "E = 10**12\n", "x = 7**E\n"],
        # a parameter shadows the notebook-level constant
        "E = 10**12\ndef power(E):\n    return 7**E\n",
        # a pow that the notebook redefines is not the builtin
        "def pow(a, b):\n    return a * b\nx = pow(7, 10**12)\n",
        # from the corpus: modest powers and big float exponents
        "LR = 10 ** -4\nsteps = 2 ** 20\nscale = 1 / 2**0.5\nGiB = 1024 ** 3\n",
    ]
    INVALID = [
        Invalid(
            "x = 7**(10**12)\n",
            line=1,
            column=5,
            message="7**(10**12) computes an integer of ~845,098,040,015 decimal digits (~349 GiB), "
            "over max-integer-digits 10,000,000; CPython multiplies it out in C without checking for "
            "interrupts",
        ),
        Invalid(
            "big = 10**10**10\n",
            line=1,
            column=7,
            message="10**10**10 computes an integer of ~10,000,000,001 decimal digits (~4.1 GiB)",
        ),
        # in a tower, the innermost power that is already too big is the one reported
        Invalid("tower = 10**10**10**10\n", line=1, column=13, message="10**10**10 computes an integer of"),
        # cross-cell constants, pow without a modulus
        Invalid(
            ["BASE = 3\n", "E = 10**9\n", "x = pow(BASE, E)\n"],
            cell=2,
            line=1,
            column=5,
            message="pow(BASE, E) computes an integer of ~477,121,255 decimal digits (~202 MiB; BASE = 3, E = 1,000,000,000)",
        ),
        Invalid(
            "import math\nn = math.factorial(10**8)\n",
            line=2,
            column=5,
            message="math.factorial(10**8) computes an integer of ~756,570,557 decimal digits",
        ),
        Invalid("from math import factorial\nn = factorial(50_000_000)\n", line=2, message="decimal digits"),
        Invalid(
            "from scipy.special import factorial\nn = factorial(10**8, exact=True)\n",
            line=2,
            message="~756,570,557 decimal digits",
        ),
        Invalid(
            "import numpy as np\nx = np.int64(7) ** 10**20\n",
            line=2,
            column=5,
            message="NumPy before 2.0 hands the power to Python integers (the exponent fits no 64-bit type); "
            "np.int64(7) ** 10**20 computes an integer of ~10^19.9 decimal digits",
        ),
        # the limit is an option
        Invalid(
            "x = 7**(10**6)\n",
            options={"max-integer-digits": 500_000},
            message="~845,099 decimal digits (~366 KiB), over max-integer-digits 500,000",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._limit = max(1, self.option(MAX_INTEGER_DIGITS))
        self._limit_log = math.log10(self._limit)
        # Power and product nodes already read, by id: (exact value when small, log10 of |value|). Filled
        # on leaving a node, so a tower is read bottom-up once rather than once per level.
        self._read: dict[int, tuple[int | None, float | None]] = {}

    def leave_BinaryOperation(self, original_node: cst.BinaryOperation) -> None:
        node = original_node
        if isinstance(node.operator, cst.Power):
            self._read[id(node)] = self._power(node, node.left, node.right)
        elif isinstance(node.operator, cst.Multiply):
            (left, left_log), (right, right_log) = self._operand(node.left), self._operand(node.right)
            if left_log is None or right_log is None:
                self._read[id(node)] = (None, None)
            else:
                log = left_log + right_log
                exact = left * right if left is not None and right is not None and log < _EXACT_DIGITS else None
                self._read[id(node)] = (exact, log)

    def leave_Call(self, original_node: cst.Call) -> None:
        node = original_node
        name = last_name(node.func)
        if name == "pow":
            if self.context.is_builtin(node.func, "pow") and not any(arg.star for arg in node.args):
                modulus = argument(node, 2, "mod")
                base, exponent = argument(node, 0, "base"), argument(node, 1, "exp")
                if modulus is None and base is not None and exponent is not None:
                    self._power(node, base, exponent)
        elif name == "factorial":
            self._factorial(node)

    # -- powers --------------------------------------------------------------------------------------

    def _power(
        self, node: cst.CSTNode, base: cst.BaseExpression, exponent: cst.BaseExpression
    ) -> tuple[int | None, float | None]:
        """Report `base ** exponent` when its result is too big; return what is known of the result."""
        unknown = (None, None)
        numpy_scalar = self._numpy_integer_scalar(base)
        base_value, base_log = self._operand(numpy_scalar if numpy_scalar is not None else base)
        exponent_value, exponent_log = self._operand(exponent)
        if base_log is None or exponent_log is None or (exponent_value is not None and exponent_value < 0):
            return unknown  # not integers nblint can read, or a negative exponent (a float)
        if base_log == 0:
            return (
                base_value**exponent_value if base_value is not None and exponent_value is not None else None
            ), 0.0  # -1, 0 and 1 stay small
        try:
            log = base_log * 10**exponent_log
        except OverflowError:
            log = math.inf
        exact = (
            base_value**exponent_value
            if base_value is not None and exponent_value is not None and log < _EXACT_DIGITS and numpy_scalar is None
            else None
        )
        if self._too_big(base_log) or self._too_big(exponent_log):
            return exact, log  # an operand is itself the huge number: it is reported, not this
        if numpy_scalar is not None and (exponent_value is None or exponent_value < _NUMPY_EXPONENT_LIMIT):
            return unknown  # NumPy computes it in 64 bits (it wraps), NumPy 2 raises: no Python integer
        digits_log = math.log10(base_log) + exponent_log  # log10 of (exponent x log10(base))
        if digits_log > self._limit_log:
            prefix = (
                "NumPy before 2.0 hands the power to Python integers (the exponent fits no 64-bit type); "
                if numpy_scalar is not None
                else ""
            )
            self._report(node, digits_log, [base, exponent], _POWER_WAY_OUT, prefix)
        return exact, log

    def _numpy_integer_scalar(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The argument of `np.int64(7)` (any NumPy integer type), or None."""
        if not isinstance(node, cst.Call) or last_name(node.func) not in _NUMPY_INTEGER_TYPES:
            return None
        qualified = self.context.qualified_name(node.func)
        args = positional_args(node)
        if qualified is None or not qualified.startswith("numpy.") or not args or len(args) != len(node.args):
            return None
        return args[0] if len(args) == 1 else None

    def _operand(self, node: cst.BaseExpression) -> tuple[int | None, float | None]:
        """(exact value when small, log10 of |value|; 0.0 for -1, 0 and 1) of an integer operand;
        (None, None) when it is not an integer nblint can read."""
        read = self._read.get(id(node))
        if read is not None:
            return read
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Power, cst.Multiply)):
            return None, None  # read on leaving it; absent means unreadable
        value = self.context.evaluate(node)
        if isinstance(value, bool) or not isinstance(value, int):
            return None, None
        return value, (math.log10(abs(value)) if abs(value) > 1 else 0.0)

    def _too_big(self, log: float) -> bool:
        """An operand of more digits than the limit: building it is the problem, not this operation."""
        return log + 1 > self._limit

    # -- factorials ----------------------------------------------------------------------------------

    def _factorial(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func)
        if qualified == "scipy.special.factorial":
            exact = argument(node, 1, "exact")
            if exact is None or self.context.evaluate(exact) is not True:
                return  # a float (inf for big n)
        elif qualified != "math.factorial":
            return
        args = positional_args(node)
        if not args:
            return
        n = self.context.evaluate(args[0])
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            return
        digits_log = math.log10(math.lgamma(n + 1) / math.log(10))  # log10 of log10(n!)
        if digits_log <= self._limit_log:
            return
        self._report(node, digits_log, [args[0]], _FACTORIAL_WAY_OUT, "")

    # -- reporting -----------------------------------------------------------------------------------

    def _report(
        self, node: cst.CSTNode, digits_log: float, operands: list[cst.BaseExpression], way_out: str, prefix: str
    ) -> None:
        limit = self.option(MAX_INTEGER_DIGITS)
        details = []
        if digits_log < 15:
            digits = math.floor(10**digits_log) + 1
            details.append(f"~{format_size(digits * _BYTES_PER_DECIMAL_DIGIT)}")
            shown = f"~{format_count(digits)}"
        else:
            shown = f"~10^{digits_log:.1f}"
        evidence = self._constants(operands)
        if evidence:
            details.append(evidence)
        self.report(
            node,
            f"{prefix}{source_text(node)} computes an integer of {shown} decimal digits"
            f"{' (' + '; '.join(details) + ')' if details else ''}, over max-integer-digits {format_count(limit)}; "
            "CPython multiplies it out in C without checking for interrupts, so only a kernel restart stops "
            f"the cell; {way_out}",
        )

    def _constants(self, operands: list[cst.BaseExpression]) -> str:
        """`E = 1,000,000,000` for operands that are notebook-level names: where their values come from."""
        shown = []
        for operand in operands:
            if isinstance(operand, cst.Name):
                value = self.context.evaluate(operand)
                if isinstance(value, int) and not isinstance(value, bool):
                    shown.append(f"{operand.value} = {format_count(value)}")
        return ", ".join(shown)
