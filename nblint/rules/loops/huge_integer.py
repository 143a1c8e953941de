"""NB205 huge-integer: integer arithmetic whose result has more digits than a cell can compute in time.

Estimated with logarithms (digits of a ** b = b * log10(a) + 1, of n! = lgamma(n + 1) / ln 10): nblint's
own constant evaluator refuses big powers (symbols.safe_binary), and nothing here computes one either.
"""

from __future__ import annotations

import math

import libcst as cst

from nblint.core.code.symbols import last_name
from nblint.core.code.text import source_text
from nblint.core.evidence import hang_evidence
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
# (bits, signed) of each NumPy integer type, as on 64-bit Linux (C long is 64 bits there).
_NUMPY_INTEGER_BITS = {
    "int8": (8, True),
    "int16": (16, True),
    "int32": (32, True),
    "int64": (64, True),
    "uint8": (8, False),
    "uint16": (16, False),
    "uint32": (32, False),
    "uint64": (64, False),
    "intc": (32, True),
    "intp": (64, True),
    "int_": (64, True),
    "longlong": (64, True),
    "uint": (64, False),
    "uintc": (32, False),
    "uintp": (64, False),
    "ulonglong": (64, False),
    "short": (16, True),
    "ushort": (16, False),
    "byte": (8, True),
    "ubyte": (8, False),
    "long": (64, True),
    "ulong": (64, False),
}
_WRAP_WAY_OUT = (
    "compute it with Python integers (int(base) ** exponent), in floating point (np.float64(base) ** exponent), "
    "or check np.log2(abs(base)) * exponent against the dtype's bits first"
)
_OBJECT_WAY_OUT = "keep the array numeric (float64 and logarithms), or reduce modulo with pow(x, exponent, modulus)"
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
    integers (NumPy 2 raises OverflowError instead). A NumPy scalar made a Python int (`int(np.int64(7))`,
    `.item()`) and an object-dtype array of integer constants (`np.array([7, 11], dtype=object)`,
    `np.arange(n, dtype=object)`, `.astype(object)`) raise in Python integers too, one power per element.

    Also, as a warning: a NumPy integer scalar raised to a power whose true result does not fit its type
    (`np.int64(10) ** 30`, `np.uint8(2) ** 9`, also through a name assigned one): NumPy computes it in the
    type's bits and wraps around without a warning, so the value is wrong. Only when base and exponent are
    known, both fit the type (else NumPy 2 raises) and the exponent is not negative.

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
    needs = ("**", "pow", "factorial")  # the pre-filter (CodeRule.needs): a power, pow() or a factorial
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
        # NumPy scalar powers that fit their type; an exponent past the type (NumPy 2 raises, never wraps);
        # a negative base at the very edge (-2**63 is an int64)
        "import numpy as np\nw = np.int64(2) ** 62\nv = np.int64(-2) ** 63\nu = np.uint8(2) ** 7\nt = np.uint8(2) ** 300\n",
        # Arrays of numbers wrap per element (no Python integers); an object array raised a little
        "import numpy as np\na = np.array([7, 11]) ** 10**9\nb = np.arange(10, dtype=object) ** 100\n",
        # as real notebooks square NumPy values
        "import numpy as np\nx = np.float64(3.0) ** 2\ny = np.int64(12) ** 2\n",
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
        # NumPy integer scalars whose power does not fit their type: computed in its bits, wrapped silently
        Invalid(
            "import numpy as np\nbig = np.int64(10) ** 30\n",
            line=2,
            message="np.int64(10) ** 30 does not fit int64: the true result is ~2^100",
        ),
        Invalid("import numpy as np\nk = 9\nbyte = np.uint8(2) ** k\n", line=3, message="the true result is 512"),
        Invalid("import numpy as np\nw = np.int64(7) ** 100\n", line=2, message="wraps around"),
        # a NumPy scalar made a Python int, and object arrays: Python integer powers, for hours
        Invalid("import numpy as np\nx = int(np.int64(7)) ** 10**12\n", line=2, message="~845,098,040,015 decimal"),
        Invalid(
            "import numpy as np\nx = np.array([7, 11], dtype=object) ** 10**9\n",
            line=2,
            message="2 Python integer powers",
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
        objects = self._object_array_elements(base)
        if objects is not None:
            self._object_power(node, base, exponent, objects)
            return unknown
        scalar = self._numpy_scalar(base)
        numpy_scalar = scalar[0] if scalar is not None else None
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
        if scalar is not None and base_value is not None and exponent_value is not None:
            self._wraps(node, base, scalar[1], base_value, exponent_value)
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

    def _numpy_scalar(self, node: cst.BaseExpression, depth: int = 0) -> tuple[cst.BaseExpression, str] | None:
        """(the argument, the type) of `np.int64(7)` (any NumPy integer type), also through a notebook-level
        name assigned one once (`x = np.uint8(2)`); None for anything else."""
        if isinstance(node, cst.Name) and depth < 3 and not self.context.scopes.is_local(node.value):
            values = self.context.symbols.assigned_values(node.value) if self.context.live is None else None
            return self._numpy_scalar(values[0], depth + 1) if values is not None and len(values) == 1 else None
        if not isinstance(node, cst.Call) or last_name(node.func) not in _NUMPY_INTEGER_TYPES:
            return None
        qualified = self.context.qualified_name(node.func)
        args = positional_args(node)
        if qualified is None or not qualified.startswith("numpy.") or not args or len(args) != len(node.args):
            return None
        return (args[0], qualified.rpartition(".")[2]) if len(args) == 1 else None

    def _wraps(self, node: cst.CSTNode, base: cst.BaseExpression, dtype: str, value: int, exponent: int) -> None:
        """Report a NumPy integer scalar power whose true result does not fit its type: NumPy computes it
        in the type's bits and wraps around without a warning (NumPy 1 and 2 alike). Only when both
        operands are known, fit the type (else NumPy 2 raises) and the exponent is not negative (an error)."""
        bits, signed = _NUMPY_INTEGER_BITS[dtype]
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        if not (low <= value <= high and 0 <= exponent <= high) or abs(value) <= 1:
            return
        needed = exponent * math.log2(abs(value))
        if needed > bits + 64:
            fits = False
        else:
            result = value**exponent  # at most ~130 bits here
            fits = low <= result <= high
        if fits:
            return
        shown = f"~2^{needed:,.0f}" if needed >= 20 else format_count(value**exponent)
        self.report(
            node,
            f"{source_text(node)} does not fit {dtype}: the true result is {shown}, and NumPy computes the power "
            f"in {bits} bits and wraps around without a warning, so the value is wrong; {_WRAP_WAY_OUT}",
            severity=Severity.WARNING,
            evidence=hang_evidence(
                "integer",
                source_text(node),
                f"NumPy computes the power in {bits} bits and wraps around",
                dtype=dtype,
                bits=bits,
                needed_bits=round(needed, 1),
                base=value,
                exponent=exponent,
            ),
        )

    def _object_array_elements(self, node: cst.BaseExpression) -> list[int] | None:
        """The integers of an object-dtype NumPy array built from constants: `np.array([7, 11], dtype=object)`,
        `np.arange(5, dtype=object)`, `np.array([...]).astype(object)`. Its powers are Python integer powers,
        one per element."""
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "astype" and isinstance(func.value, cst.Call):
            args = positional_args(node)
            if args is None or len(args) != 1 or not self._is_object_dtype(args[0]):
                return None
            return self._array_integers(func.value, need_object=False)
        return self._array_integers(node, need_object=True)

    def _array_integers(self, node: cst.Call, need_object: bool) -> list[int] | None:
        if last_name(node.func) not in ("array", "asarray", "arange"):
            return None
        qualified = self.context.qualified_name(node.func)
        if qualified not in ("numpy.array", "numpy.asarray", "numpy.arange") or any(arg.star for arg in node.args):
            return None
        dtype = argument(node, None, "dtype")
        if need_object and (dtype is None or not self._is_object_dtype(dtype)):
            return None
        if not need_object and dtype is not None:
            return None
        positional = [arg.value for arg in node.args if arg.keyword is None]
        values = [self.context.evaluate(value) for value in positional]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values[:3]):
            if qualified != "numpy.arange" and len(values) == 1 and isinstance(values[0], tuple):
                items = values[0]
                if items and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
                    return list(items)
            return None
        if qualified != "numpy.arange" or len(values) > 3:
            return None
        start, stop, step = (0, values[0], 1) if len(values) == 1 else (*values, 1)[:3]
        if step == 0 or not range(start, stop, step):
            return None
        ends = range(start, stop, step)
        return [ends[0], ends[-1], len(ends)]  # the extremes, and how many (read by the caller)

    def _is_object_dtype(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name) and node.value == "object" and self.context.is_builtin(node, "object"):
            return True
        if self.context.evaluate(node) in ("object", "O"):
            return True
        return self.context.qualified_name(node) in ("numpy.object_", "numpy.dtypes.ObjectDType")

    def _object_power(self, node: cst.CSTNode, base: cst.BaseExpression, exponent: cst.BaseExpression, items) -> None:
        """An object array raised to a known exponent: each element is a Python integer power, run in C
        without interrupts; reported when the largest element's result has too many digits."""
        exponent_value, exponent_log = self._operand(exponent)
        if exponent_value is None or exponent_value < 2 or exponent_log is None:
            return
        if isinstance(base, cst.Call) and last_name(base.func) == "arange" and len(items) == 3:
            largest, count = max(abs(items[0]), abs(items[1])), items[2]
        else:
            largest, count = max(abs(v) for v in items), len(items)
        if largest <= 1:
            return
        digits_log = math.log10(math.log10(largest)) + exponent_log
        if digits_log > self._limit_log and not self._too_big(exponent_log):
            prefix = f"{format_count(count)} Python integer powers, one per element of the object array: "
            self._report(node, digits_log, [exponent], _OBJECT_WAY_OUT, prefix)

    def _operand(self, node: cst.BaseExpression) -> tuple[int | None, float | None]:
        """(exact value when small, log10 of |value|; 0.0 for -1, 0 and 1) of an integer operand;
        (None, None) when it is not an integer nblint can read."""
        read = self._read.get(id(node))
        if read is not None:
            return read
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Power, cst.Multiply)):
            return None, None  # read on leaving it; absent means unreadable
        converted = self._python_int_of_scalar(node)
        value = self.context.evaluate(converted if converted is not None else node)
        if isinstance(value, bool) or not isinstance(value, int):
            return None, None
        return value, (math.log10(abs(value)) if abs(value) > 1 else 0.0)

    def _python_int_of_scalar(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The argument of `int(np.int64(7))` or `np.int64(7).item()`: a NumPy scalar made a Python int,
        whose powers are Python integer powers."""
        if not isinstance(node, cst.Call):
            return None
        if isinstance(node.func, cst.Name) and node.func.value == "int" and self.context.is_builtin(node.func, "int"):
            args = positional_args(node)
            inner = args[0] if args is not None and len(args) == len(node.args) == 1 else None
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("item", "tolist") and not node.args:
            inner = node.func.value
        else:
            return None
        scalar = self._numpy_scalar(inner) if inner is not None else None
        return scalar[0] if scalar is not None else None

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
        values = {
            operand.value: self.context.evaluate(operand)
            for operand in operands
            if isinstance(operand, cst.Name) and type(self.context.evaluate(operand)) is int
        }
        self.report(
            node,
            f"{prefix}{source_text(node)} computes an integer of {shown} decimal digits"
            f"{' (' + '; '.join(details) + ')' if details else ''}, over max-integer-digits {format_count(limit)}; "
            "CPython multiplies it out in C without checking for interrupts, so only a kernel restart stops "
            f"the cell; {way_out}",
            evidence=hang_evidence(
                "integer",
                source_text(node),
                "CPython multiplies big integers in C without checking for interrupts",
                digits=math.floor(10**digits_log) + 1 if digits_log < 15 else None,
                digits_log10=None if digits_log < 15 else round(digits_log, 2),
                max_integer_digits=limit,
                values=values or None,
            ),
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
