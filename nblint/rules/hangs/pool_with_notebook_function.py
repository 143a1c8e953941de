"""NB404 pool-with-notebook-function: a process pool handed a function the notebook defines."""

from __future__ import annotations

import libcst as cst

from nblint.core.code.cstwalk import children
from nblint.core.code.symbols import last_name
from nblint.core.code.text import code_of, source_text
from nblint.core.evidence import hang_evidence
from nblint.core.findings import Severity
from nblint.core.sizes import argument
from nblint.rules.base import CodeRule, Invalid
from nblint.rules.hangs.notebook_functions import TracksNotebookFunctions

PROCESS_POOLS = frozenset(
    {
        "multiprocessing.Pool",
        "multiprocessing.pool.Pool",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
        # torch.multiprocessing is multiprocessing with tensor sharing: the same pickling by reference
        "torch.multiprocessing.Pool",
    }
)
# multiprocess (and pathos on top of it) pickles with dill: a notebook function travels by value, but
# its globals are pickled as a reference to the worker's own __main__, where notebook imports and other
# notebook functions do not exist under spawn (NameError).
DILL_POOLS = frozenset(
    {
        "multiprocess.Pool",
        "multiprocess.pool.Pool",
        "pathos.multiprocessing.ProcessingPool",
        "pathos.multiprocessing.ProcessPool",
        "pathos.pools.ProcessPool",
    }
)
GET_CONTEXT = frozenset(
    {"multiprocessing.get_context", "torch.multiprocessing.get_context", "multiprocess.get_context"}
)
SET_START_METHOD = frozenset({"multiprocessing.set_start_method", "torch.multiprocessing.set_start_method"})
# Functions that start worker processes with spawn and send them a function, like a pool does.
TORCH_SPAWN = frozenset({"torch.multiprocessing.spawn", "torch.multiprocessing.start_processes"})
# Keywords through which a library receives a pool (or its map) and maps a function over it itself:
# emcee.EnsembleSampler(..., log_prob, pool=pool), dynesty, scipy's differential_evolution(workers=pool.map).
HANDING_KEYWORDS = frozenset({"pool", "workers", "map_fn", "mapper", "map_func"})
# Methods that send a function to the workers (Pool's and ProcessPoolExecutor's).
SENDING_METHODS = frozenset(
    {"map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async", "apply", "apply_async", "submit"}
)
PARTIAL = "functools.partial"
# The last name of every pool constructor: a cheap test before resolving where a called name comes from.
_POOL_NAMES = frozenset(name.rpartition(".")[2] for name in PROCESS_POOLS | DILL_POOLS)

# What a pool's start method is: "fork" (workers inherit the notebook's __main__), "spawn" (asked for:
# spawn or forkserver, so certain on every platform) or the platform's default.
FORK = "fork"
SPAWN = "spawn"
OTHER = "spawn-or-default"
# A dill pool (multiprocess, pathos): the start method of the platform, as OTHER.
DILL = "dill"
DILL_FORK = "dill-fork"
NOT_A_POOL = None

# What a call sends to a pool: (kind: "notebook" | "nested" | "lambda", name, enclosing function's name,
# the function's node)
Sent = tuple[str, str, str, cst.CSTNode]


class PoolWithNotebookFunction(TracksNotebookFunctions, CodeRule):
    """
    ## What it does
    Flags a process pool handed a function defined in the notebook.

    That is `multiprocessing.Pool` and `concurrent.futures.ProcessPoolExecutor` work such as
    `Pool(4).map(f, xs)`, `with Pool() as pool: pool.imap(f, xs)`, a pool kept in
    a variable (across cells too) and its `map`, `imap`, `imap_unordered`, `starmap`, `apply`,
    `apply_async`..., `executor.submit(f, x)` and `executor.map(f, xs)`, where `f` is a `def` or a
    lambda of the notebook (also inside `functools.partial`).

    `torch.multiprocessing.Pool` counts as `multiprocessing.Pool` (it is the same module with tensor
    sharing added), and `torch.multiprocessing.spawn(train, nprocs=...)` as a pool that uses spawn (it
    always does: the usual way to start DistributedDataParallel workers, which fails from a notebook). A pool handed to a library that maps the function itself counts too:
    `emcee.EnsembleSampler(nwalkers, ndim, log_prob, pool=pool)`, or `workers=pool.map` (scipy's
    `differential_evolution`), with a notebook function among the call's arguments. When the notebook
    asks for the spawn or forkserver start method (`set_start_method("spawn")`,
    `get_context("spawn")`, `ProcessPoolExecutor(mp_context=...)`), the message says the failure is
    certain on Linux too.

    `multiprocess.Pool` and pathos pools pickle with dill, which sends a notebook function by value but
    not the notebook names it reads: they are flagged (as a warning) only when the function reads a
    notebook-level name (an import, another function, a variable), which a spawned worker does not have.

    Not flagged: functions imported from modules (`from workers import work`), builtins, methods of
    objects, thread pools (`ThreadPool`, `multiprocessing.dummy.Pool`, `ThreadPoolExecutor`),
    joblib and loky (cloudpickle sends a notebook function by value with the globals it reads), a
    self-contained function given to a dill pool, and a `def` given to a pool that uses the fork start
    method explicitly (`get_context("fork")`, `set_start_method("fork")`): a lambda or a function
    nested in another function fails even then.

    ## Why it kills the kernel
    A process pool pickles the function by reference (`__main__.f`) and each worker imports it.
    Under the spawn start method (the default on macOS and Windows) and forkserver (the default on
    Linux from Python 3.14), a worker's `__main__` is not the notebook: it fails with
    `AttributeError: Can't get attribute 'f' on <module '__main__'>`, and `Pool` keeps replacing the
    dying workers, so the cell hangs ("In [*]") until the kernel is interrupted or restarted;
    `ProcessPoolExecutor` raises `BrokenProcessPool`. Lambdas and nested functions cannot be pickled
    at all and fail under every start method. Severity error: as written the notebook fails on macOS,
    on Windows and on current Python's default everywhere; only older Linux defaults hide it.

    ## Example
        from multiprocessing import Pool

        def work(x):
            return x * x

        with Pool(4) as pool:
            squares = pool.map(work, range(100))

    ## Use instead
        # workers.py, next to the notebook
        def work(x):
            return x * x

        # in the notebook
        from workers import work
        with Pool(4) as pool:
            squares = pool.map(work, range(100))

    For I/O-bound work a thread pool (`concurrent.futures.ThreadPoolExecutor`) needs no pickling.
    """

    code = "NB404"
    needs = (
        *sorted(_POOL_NAMES),
        "spawn",
        "start_processes",
    )  # the pre-filter (CodeRule.needs): a process pool or torch's spawn
    name = "pool-with-notebook-function"
    severity = Severity.ERROR

    VALID = [
        # A function imported from a module.
        "from multiprocessing import Pool\nfrom workers import work\nwith Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        "import multiprocessing as mp\nimport math\nwith mp.Pool() as pool:\n    out = pool.map(math.sqrt, range(10))\n",
        "from concurrent.futures import ProcessPoolExecutor\nwith ProcessPoolExecutor() as ex:\n    out = list(ex.map(str, range(10)))\n",
        # Thread pools do not pickle.
        "from multiprocessing.pool import ThreadPool\ndef work(x):\n    return x\nwith ThreadPool(8) as pool:\n    out = pool.map(work, range(10))\n",
        "from multiprocessing.dummy import Pool\ndef fetch(url):\n    return url\nout = Pool(8).map(fetch, ['a', 'b'])\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef fetch(url):\n    return url\nwith ThreadPoolExecutor() as ex:\n    futures = [ex.submit(fetch, u) for u in ['a']]\n",
        # Libraries that pickle by value.
        "from multiprocess import Pool\ndef work(x):\n    return x\nwith Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        "from joblib import Parallel, delayed\ndef work(x):\n    return x\nout = Parallel(n_jobs=4)(delayed(work)(i) for i in range(10))\n",
        # The fork start method asked for explicitly: workers inherit the notebook's functions.
        "import multiprocessing as mp\ndef work(x):\n    return x\nwith mp.get_context('fork').Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        [
            "import multiprocessing as mp\nmp.set_start_method('fork')\n",
            "def work(x):\n    return x\n",
            "pool = mp.Pool(4)\nout = pool.map(work, range(10))\n",
        ],
        "import multiprocessing as mp\nfrom concurrent.futures import ProcessPoolExecutor\ndef work(x):\n    return x\n"
        "with ProcessPoolExecutor(mp_context=mp.get_context('fork')) as ex:\n    out = list(ex.map(work, range(3)))\n",
        # A method of an object, and a receiver that is no pool.
        "from multiprocessing import Pool\nwith Pool(4) as pool:\n    out = pool.map(model.predict, batches)\n",
        "def work(x):\n    return x\nout = list(map(work, range(10)))\nresult = executor.submit(work, 1)\n",
        "import pandas as pd\ndef clean(x):\n    return x\ns = pd.Series([1]).map(clean)\n",
        # A name that was a pool and then something else: unknown.
        "from multiprocessing import Pool\nfrom multiprocessing.pool import ThreadPool\ndef work(x):\n    return x\n"
        "pool = Pool(4)\npool.close()\npool = ThreadPool(4)\nout = pool.map(work, range(3))\n",
        # A name both defined and imported is not known to be the notebook's.
        "from multiprocessing import Pool\ndef work(x):\n    return x\nfrom workers import work\nwith Pool() as p:\n    p.map(work, [1])\n",
        # Pool-level calls that send no function.
        "from multiprocessing import Pool\npool = Pool(4)\npool.close()\npool.join()\n",
        # torch.multiprocessing with fork asked for; a dill pool given a self-contained function, or fork
        "import torch.multiprocessing as tmp\ndef work(x):\n    return x\nwith tmp.get_context('fork').Pool(2) as pool:\n    pool.map(work, [1])\n",
        "import numpy as np\nfrom multiprocess import Pool\ndef work(x):\n    import math\n    return math.sqrt(x)\nwith Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        "import numpy as np\nimport multiprocess as mp\ndef work(x):\n    return np.sqrt(x)\nwith mp.get_context('fork').Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        "from pathos.multiprocessing import ProcessingPool\ndef work(x, k=2):\n    return x * k\nout = ProcessingPool(4).map(work, [1, 2])\n",
        # a pool handed on, with an imported function, a thread pool, or a serial map
        "import emcee\nfrom multiprocessing import Pool\nfrom model import log_prob\nwith Pool() as pool:\n    sampler = emcee.EnsembleSampler(32, 5, log_prob, pool=pool)\n",
        "import emcee\nfrom multiprocessing.pool import ThreadPool\ndef log_prob(theta):\n    return -0.5 * theta @ theta\n"
        "with ThreadPool(4) as pool:\n    sampler = emcee.EnsembleSampler(32, 5, log_prob, pool=pool)\n",
        "import emcee\ndef log_prob(theta):\n    return -0.5 * theta @ theta\nsampler = emcee.EnsembleSampler(32, 5, log_prob, pool=None)\n",
        "from scipy.optimize import differential_evolution\ndef cost(x):\n    return x @ x\nresult = differential_evolution(cost, bounds, workers=1)\n",
        "import torch.multiprocessing as mp\nfrom trainer import train\nmp.spawn(train, args=(2,), nprocs=2)\n",
        "import torch.multiprocessing as mp\ndef train(rank):\n    print(rank)\nmp.start_processes(train, nprocs=2, start_method='fork')\n",
        # joblib and loky pickle notebook functions by value (cloudpickle)
        "from joblib import Parallel, delayed\nimport numpy as np\ndef work(x):\n    return np.sqrt(x)\nout = Parallel(n_jobs=4, backend='loky')(delayed(work)(i) for i in range(10))\n",
        "from loky import get_reusable_executor\ndef work(x):\n    return x\nout = list(get_reusable_executor(4).map(work, range(3)))\n",
    ]
    INVALID = [
        Invalid(
            "from multiprocessing import Pool\ndef work(x):\n    return x * x\nwith Pool(4) as pool:\n    out = pool.map(work, range(100))\n",
            line=5,
            column=11,
            message="Can't get attribute 'work'",
        ),
        # Defined in one cell, pool made in another, used in a third.
        Invalid(
            [
                "def work(x):\n    return x * x\n",
                "import multiprocessing as mp\npool = mp.Pool(processes=4)\n",
                "results = [pool.apply_async(work, (i,)) for i in range(10)]\n",
            ],
            cell=2,
            line=1,
            column=12,
        ),
        Invalid(
            "from multiprocessing import Pool\ndef work(x):\n    return x\nout = Pool(4).imap_unordered(work, range(10))\n",
            line=4,
            column=7,
        ),
        Invalid(
            "from multiprocessing import Pool\ndef work(a, b):\n    return a + b\nwith Pool() as p:\n    out = p.starmap(work, [(1, 2)])\n",
            line=5,
        ),
        Invalid(
            "from concurrent.futures import ProcessPoolExecutor\ndef work(x):\n    return x\n"
            "with ProcessPoolExecutor(max_workers=4) as executor:\n    futures = [executor.submit(work, i) for i in range(4)]\n",
            line=5,
            column=16,
        ),
        Invalid(
            "import concurrent.futures\ndef work(x):\n    return x\n"
            "with concurrent.futures.ProcessPoolExecutor() as ex:\n    out = list(ex.map(work, range(4)))\n",
            line=5,
            column=16,
        ),
        # Lambdas and nested functions cannot be pickled at all, fork or not.
        Invalid(
            "import multiprocessing as mp\nwith mp.get_context('fork').Pool(4) as pool:\n    out = pool.map(lambda x: x * 2, range(10))\n",
            line=3,
            column=11,
            message="PicklingError",
        ),
        Invalid(
            "from multiprocessing import Pool\nsquare = lambda x: x * x\nwith Pool() as pool:\n    out = pool.map(square, range(5))\n",
            line=4,
            message="lambda",
        ),
        Invalid(
            "from multiprocessing import Pool\ndef run(items):\n    def work(x):\n        return x\n    with Pool() as pool:\n"
            "        return pool.map(work, items)\nrun([1, 2])\n",
            line=6,
            column=16,
            message="inside run()",
        ),
        # functools.partial pickles the notebook function inside it.
        Invalid(
            "import functools\nfrom multiprocessing import Pool\ndef scale(x, k):\n    return x * k\n"
            "with Pool() as pool:\n    out = pool.map(functools.partial(scale, k=2), range(5))\n",
            line=6,
        ),
        # ...also when the partial is kept in a name first.
        Invalid(
            "from functools import partial\nfrom multiprocessing import Pool\ndef compare_one(x, n):\n    return x * n\n"
            "def run(xs):\n    G = partial(compare_one, n=3)\n    with Pool() as p:\n        return p.map(G, xs)\n",
            line=8,
            column=16,
            message="compare_one",
        ),
        # The spawn start method asked for explicitly.
        Invalid(
            "import multiprocessing as mp\ndef work(x):\n    return x\nctx = mp.get_context('spawn')\nwith ctx.Pool(2) as pool:\n"
            "    pool.map(work, [1])\n",
            line=6,
        ),
        # The same name, a thread pool in one cell and a process pool in a later one: the latest counts.
        Invalid(
            [
                "from multiprocessing import Pool\nfrom multiprocessing.pool import ThreadPool\ndef work(x):\n    return x\n",
                "with ThreadPool(4) as pool:\n    a = pool.map(work, [1])\n",
                "with Pool(4) as pool:\n    b = pool.map(work, [1])\n",
            ],
            cell=2,
            line=2,
            column=9,
        ),
        # A pool created inside a function.
        Invalid(
            [
                "from multiprocessing import Pool\ndef work(x):\n    return x\n",
                "def run():\n    pool = Pool(2)\n    return pool.map(func=work, iterable=[1])\n",
            ],
            cell=1,
            line=3,
        ),
        # torch.multiprocessing is multiprocessing
        Invalid(
            "import torch.multiprocessing as mp\ndef work(x):\n    return x\nwith mp.Pool(2) as pool:\n    pool.map(work, [1])\n",
            line=5,
            message="Can't get attribute 'work'",
        ),
        # torch.multiprocessing.spawn always spawns: DistributedDataParallel workers started from a notebook
        Invalid(
            "import torch.multiprocessing as mp\ndef train(rank, world_size):\n    print(rank)\n"
            "mp.spawn(train, args=(2,), nprocs=2, join=True)\n",
            line=4,
            column=1,
            message="Linux included",
        ),
        # spawn asked for: certain on Linux too
        Invalid(
            [
                "import multiprocessing as mp\nmp.set_start_method('spawn')\n",
                "def work(x):\n    return x\n",
                "with mp.Pool(2) as pool:\n    pool.map(work, [1])\n",
            ],
            cell=2,
            line=2,
            message="Linux included",
        ),
        Invalid(
            "import multiprocessing as mp\nfrom concurrent.futures import ProcessPoolExecutor\ndef work(x):\n    return x\n"
            "with ProcessPoolExecutor(mp_context=mp.get_context('forkserver')) as ex:\n    out = list(ex.map(work, range(3)))\n",
            line=6,
            message="Linux included",
        ),
        # a pool handed to a library that maps the notebook's function over it (emcee, scipy)
        Invalid(
            [
                "import emcee\nfrom multiprocessing import Pool\n",
                "def log_prob(theta):\n    return -0.5 * theta @ theta\n",
                "with Pool() as pool:\n    sampler = emcee.EnsembleSampler(32, 5, log_prob, pool=pool)\n    sampler.run_mcmc(p0, 100)\n",
            ],
            cell=2,
            line=2,
            column=15,
            message="pool=pool hands the pool",
        ),
        Invalid(
            "from multiprocessing import Pool\nfrom scipy.optimize import differential_evolution\ndef cost(x):\n    return x @ x\n"
            "pool = Pool(4)\nresult = differential_evolution(cost, [(0, 1)], workers=pool.map)\n",
            line=6,
            message="workers=pool.map",
        ),
        # multiprocess (dill) sends the function but not the notebook names it reads
        Invalid(
            "import numpy as np\nfrom multiprocess import Pool\ndef work(x):\n    return np.sqrt(x)\n"
            "with Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
            line=6,
            message="(np)",
        ),
        Invalid(
            [
                "import multiprocess as mp\n",
                "def helper(x):\n    return x + 1\ndef work(x):\n    return helper(x)\n",
                "pool = mp.Pool(2)\nout = pool.map(work, [1, 2])\n",
            ],
            cell=2,
            line=2,
            message="NameError",
        ),
    ]

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        # (scope id or None, name) -> (order, pool kind) of every binding of that name in that scope,
        # in notebook order: `ex` may be a thread pool in one cell and a process pool in the next
        self.bindings: dict[tuple[int | None, str], list[tuple[int, str | None]]] = {}
        self.order = 0
        # (scope id or None, name) -> the values assigned to it (to see `G = partial(work, k=2)`)
        self.values: dict[tuple[int | None, str], list[cst.BaseExpression | None]] = {}
        # (call, receiver: a pool kind or a name with the scopes to look it up in, what is sent, the
        # keyword that handed the pool to a library or None)
        self.candidates: list[tuple[cst.Call, object, Sent, str | None]] = []
        # the start method set_start_method() chose at notebook level (FORK, SPAWN or None)
        self.start_method_everywhere: str | None = None

    # -- traversal --------------------------------------------------------------------------------

    # Defs, lambdas and imports reach self.functions through TracksNotebookFunctions; the bindings below
    # also record which names hold a pool.

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        kind = self._pool_kind(node.value)
        for target in node.targets:
            self._bind(target.target, kind, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        self._bind(node.target, self._pool_kind(node.value) if node.value is not None else NOT_A_POOL)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        self._bind(node.target, NOT_A_POOL)

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self._bind(node.target, NOT_A_POOL)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        super().visit_WithItem(node)
        if node.asname is not None:
            self._bind(node.asname.name, self._pool_kind(node.item))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        last = last_name(func)
        if (
            last == "set_start_method"
            and self.context.qualified_name(func) in SET_START_METHOD
            and self.functions.function() is None
        ):
            method = self.context.evaluate(node.args[0].value) if node.args else None
            self.start_method_everywhere = (
                FORK if method == FORK else SPAWN if method in ("spawn", "forkserver") else None
            )
            return
        if last in ("spawn", "start_processes") and self.context.qualified_name(func) in TORCH_SPAWN:
            self._torch_spawn(node)
            return
        if any(arg.keyword is not None and arg.keyword.value in HANDING_KEYWORDS for arg in node.args):
            self._handed_pool(node)
        if not isinstance(func, cst.Attribute) or func.attr.value not in SENDING_METHODS:
            return
        sent = self._sent_function(node)
        if sent is None:
            return
        receiver = func.value
        if isinstance(receiver, cst.Name):
            scopes = self._scope_chain()
            self.order += 1
            self.candidates.append((node, (receiver.value, scopes, self.order), sent, None))
        else:
            kind = self._pool_kind(receiver)
            if kind is not NOT_A_POOL:
                self.candidates.append((node, kind, sent, None))

    # -- what is a pool ---------------------------------------------------------------------------

    def _pool_kind(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Call):
            return NOT_A_POOL
        func = node.func
        # cheap test first (every assigned call passes here); an imported name may be an alias
        last = last_name(func)
        if last not in _POOL_NAMES and not (isinstance(func, cst.Name) and last in self.context.symbols.imports):
            return NOT_A_POOL
        qualified = self.context.qualified_name(func)
        if qualified in DILL_POOLS:
            return DILL
        if qualified in PROCESS_POOLS:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "mp_context":
                    return self._context_method(arg.value)
            return OTHER
        if isinstance(func, cst.Attribute) and func.attr.value == "Pool":
            method = self._context_method(func.value)
            if method is not NOT_A_POOL and self._context_library(func.value) == "multiprocess":
                return DILL_FORK if method == FORK else DILL
            return method
        return NOT_A_POOL

    def _context_method(self, node: cst.BaseExpression) -> str | None:
        """For `mp.get_context("fork")` (or a notebook-level name assigned one): its start method."""
        if isinstance(node, cst.Name) and not self.context.scopes.is_local(node.value):
            values = self.context.symbols.assigned_values(node.value)
            if values and len(values) == 1:
                node = values[0]
        if isinstance(node, cst.Call) and self.context.qualified_name(node.func) in GET_CONTEXT:
            method = self.context.evaluate(node.args[0].value) if node.args else None
            return FORK if method == FORK else SPAWN if method in ("spawn", "forkserver") else OTHER
        return NOT_A_POOL

    def _context_library(self, node: cst.BaseExpression) -> str | None:
        """`multiprocess` for `multiprocess.get_context(...)` (or a name assigned one)."""
        if isinstance(node, cst.Name):
            values = self.context.symbols.assigned_values(node.value)
            if values and len(values) == 1:
                node = values[0]
        if isinstance(node, cst.Call):
            qualified = self.context.qualified_name(node.func) or ""
            return qualified.partition(".")[0]
        return None

    def _bind(self, target: cst.BaseExpression, kind: str | None, value: cst.BaseExpression | None = None) -> None:
        function = self.functions.function()
        key = id(function) if function is not None else None
        if isinstance(target, cst.Name):
            self.order += 1
            self.bindings.setdefault((key, target.value), []).append((self.order, kind))
            self.values.setdefault((key, target.value), []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, NOT_A_POOL)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, NOT_A_POOL)

    def _scope_chain(self) -> tuple[int | None, ...]:
        chain: list[int | None] = []
        function = self.functions.function()
        while function is not None:
            chain.append(id(function))
            function = self.functions.parents.get(id(function))
        chain.append(None)
        return tuple(chain)

    # -- what is sent -----------------------------------------------------------------------------

    def _sent_function(self, node: cst.Call) -> tuple | None:
        """(kind, name, where, the def or lambda) of a notebook function given as the call's function argument."""
        argument = None
        for arg in node.args:
            if arg.star:
                return None
            if arg.keyword is None:
                argument = arg.value
                break
            if arg.keyword.value in ("func", "fn"):
                argument = arg.value
                break
        return self._notebook_function(argument)

    def _torch_spawn(self, node: cst.Call) -> None:
        """`torch.multiprocessing.spawn(train, nprocs=2)`: processes started with spawn, always."""
        method = argument(node, 5, "start_method")  # start_processes(fn, args, nprocs, join, daemon, start_method)
        if method is not None and not (
            isinstance(method, cst.BaseExpression) and self.context.evaluate(method) != FORK
        ):
            return  # start_method="fork" (or something nblint cannot read)
        sent = self._sent_function(node)
        if sent is not None:
            self.candidates.append((node, SPAWN, sent, None))

    def _handed_pool(self, node: cst.Call) -> None:
        """`emcee.EnsembleSampler(nwalkers, ndim, log_prob, pool=pool)`: a library given a pool (or its
        `map`) and a notebook function maps the function over the pool itself."""
        receiver: object = None
        sent: Sent | None = None
        handed = ""
        for arg in node.args:
            if arg.star:
                return
            value = arg.value
            if arg.keyword is not None and arg.keyword.value in HANDING_KEYWORDS:
                if isinstance(value, cst.Attribute) and value.attr.value in SENDING_METHODS:
                    value = value.value  # workers=pool.map
                if isinstance(value, cst.Name):
                    self.order += 1
                    receiver = (value.value, self._scope_chain(), self.order)
                else:
                    kind = self._pool_kind(value)
                    receiver = kind if kind is not NOT_A_POOL else None
                handed = f"{arg.keyword.value}={source_text(arg.value, 30)}"
            elif sent is None:
                sent = self._notebook_function(value)
        if receiver is not None and sent is not None:
            self.candidates.append((node, receiver, sent, handed))

    def _notebook_function(self, argument: cst.BaseExpression | None) -> Sent | None:
        if isinstance(argument, cst.Name) and not self.functions.is_notebook_function(argument.value):
            argument = self._partial_behind(argument.value) or argument
        if isinstance(argument, cst.Call) and self.context.qualified_name(argument.func) == PARTIAL and argument.args:
            argument = argument.args[0].value
        if isinstance(argument, cst.Lambda):
            return ("lambda", "a lambda", "", argument)
        if not isinstance(argument, cst.Name) or not self.functions.is_notebook_function(argument.value):
            return None
        name = argument.value
        caller = self.functions.function()
        defined = self.functions.resolve(name, caller)
        parent = self.functions.parents.get(id(defined[-1]))
        if isinstance(defined[-1], cst.Lambda):
            return ("lambda", name, "", defined[-1])
        if parent is not None:
            return ("nested", name, self.functions.names.get(id(parent), "another function"), defined[-1])
        return ("notebook", name, "", defined[-1])

    def _partial_behind(self, name: str) -> cst.Call | None:
        """`G = functools.partial(work, k=2)` then `pool.map(G, xs)`: the partial G is bound to, when
        every assignment of G in the nearest scope that assigns it is the same partial."""
        for scope in self._scope_chain():
            values = self.values.get((scope, name))
            if values is None:
                continue
            if not all(self._is_partial(value) for value in values):
                return None
            partials = [value for value in values if isinstance(value, cst.Call)]
            wrapped = {code_of(value.args[0].value) for value in partials}
            return partials[0] if len(wrapped) == 1 else None
        return None

    def _is_partial(self, value: cst.BaseExpression | None) -> bool:
        return isinstance(value, cst.Call) and bool(value.args) and self.context.qualified_name(value.func) == PARTIAL

    # -- decision ---------------------------------------------------------------------------------

    def finish(self) -> None:
        for node, receiver, (kind, name, outer, function), handed in self.candidates:
            pool = receiver if not isinstance(receiver, tuple) else self._receiver_kind(*receiver)
            if pool is NOT_A_POOL or pool == DILL_FORK:
                continue
            if handed is not None:
                call = f"{code_of(node.func)}(..., {_sent_text(node, name, handed=True)}, ..., {handed})"
            else:
                call = f"{code_of(node.func)}({_sent_text(node, name)}, ...)"
            if pool == DILL:
                reads = self._notebook_globals(function)
                if reads:
                    self.report(
                        node,
                        _dill_message(call, name, reads),
                        fix=_dill_fix(name, reads),
                        severity=Severity.WARNING,
                        evidence=hang_evidence(
                            "blocking-call",
                            call,
                            "dill sends the function's code, not the notebook names it reads",
                            call=call,
                            function=name,
                            reads=list(reads),
                        ),
                    )
                continue
            if pool == OTHER and self.start_method_everywhere is not None:
                pool = self.start_method_everywhere
            if kind == "notebook" and pool == FORK:
                continue
            message = _message(call, kind, name, outer, spawn_asked=pool == SPAWN)
            if handed:
                message = f"{message} ({handed} hands the pool to a library that sends {name} to it)"
            self.report(
                node,
                message,
                fix=_fix(node, name),
                evidence=hang_evidence(
                    "blocking-call",
                    call,
                    "the pool's workers cannot import a function defined in the notebook (__main__)",
                    call=call,
                    function=name,
                    defined=kind,
                    start_method=pool if isinstance(pool, str) else None,
                ),
            )

    def _notebook_globals(self, function: cst.CSTNode) -> list[str]:
        """The notebook-level names (imports, other functions, variables) a function reads: dill sends
        the function's code but not them."""
        local = self.context.scopes.bound_by(function)
        symbols = self.context.symbols
        found: list[str] = []
        if not isinstance(function, (cst.FunctionDef, cst.Lambda)):
            return found
        stack: list[cst.CSTNode] = [function.body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Name):
                name = node.value
                if name not in local and name not in found and symbols.bindings(name):
                    found.append(name)
                continue
            if isinstance(node, cst.Attribute):
                stack.append(node.value)  # `np.sqrt`: np is read, sqrt is not a name
            elif isinstance(node, cst.Arg):
                stack.append(node.value)  # `f(axis=1)`: the keyword is not a name
            else:
                stack.extend(children(node))
        return sorted(found)

    def _receiver_kind(self, name: str, scopes: tuple[int | None, ...], order: int) -> str | None:
        """The pool `name` is at a use: its latest binding before the use in the innermost scope that
        binds it; a notebook-level name used inside a function must be the same kind in every binding."""
        for scope in scopes:
            bindings = self.bindings.get((scope, name))
            if bindings is None:
                continue
            if scope is None and scopes[0] is not None:
                kinds = {kind for _, kind in bindings}
                return kinds.pop() if len(kinds) == 1 else NOT_A_POOL
            before = [kind for at, kind in bindings if at < order]
            return before[-1] if before else NOT_A_POOL
        return NOT_A_POOL


def _sent_text(node: cst.Call, name: str, handed: bool = False) -> str:
    """The function argument as written (`G`, `partial(work, k=2)`), shortened; `lambda ...` for a lambda."""
    if name == "a lambda":
        return "lambda ..."
    if handed:
        return name
    for arg in node.args:
        if arg.keyword is None or arg.keyword.value in ("func", "fn"):
            return source_text(arg.value, 40)
    return name


def _fix(node: cst.Call, name: str) -> str:
    """The same call with the function imported from a module (a lambda's body becomes `work`)."""
    if name == "a lambda":
        name = "work"
        args = list(node.args)
        for index, arg in enumerate(args):
            if isinstance(arg.value, cst.Lambda):
                args[index] = arg.with_changes(value=cst.Name(name))
                break
        node = node.with_changes(args=args)
    return f"from workers import {name}  # {name} moved to workers.py, next to the notebook\n{code_of(node)}"


def _dill_message(call: str, name: str, reads: list[str]) -> str:
    shown = ", ".join(reads[:4]) + (", ..." if len(reads) > 4 else "")
    return (
        f"{call} sends {name} to worker processes through dill, which copies the function but not the notebook "
        f"names it reads ({shown}): under the spawn start method (macOS, Windows) and forkserver (Linux's default "
        f"from Python 3.14) a worker starts empty and fails with NameError; import what {name} needs inside it, "
        "or move it into a .py module"
    )


def _dill_fix(name: str, reads: list[str]) -> str:
    return f"def {name}(...):\n    # import here what {name} uses ({', '.join(reads[:4])}): dill does not send it"


def _message(call: str, kind: str, name: str, outer: str, spawn_asked: bool = False) -> str:
    if kind == "lambda":
        what = "a lambda" if name == "a lambda" else f"{name}, a lambda,"
        return (
            f"{call} sends {what} to worker processes: a lambda cannot be pickled, so it fails with PicklingError "
            "under every start method; define the function in a .py module and import it"
        )
    if kind == "nested":
        return (
            f"{call} sends {name}, defined inside {outer}(), to worker processes: a nested function cannot be "
            "pickled, so it fails under every start method; define it in a .py module and import it"
        )
    when = (
        "the notebook asks for the spawn (or forkserver) start method, so on every platform, Linux included,"
        if spawn_asked
        else "under the spawn start method (macOS, Windows) and forkserver (Linux's default from Python 3.14)"
    )
    return (
        f"{call} sends {name}, defined in this notebook, to worker processes: {when} they cannot import it from "
        f"__main__, so the "
        f"pool fails with \"Can't get attribute '{name}' on <module '__main__'>\" or hangs; move {name} into a .py "
        "module next to the notebook and import it"
    )
