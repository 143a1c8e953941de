"""The structured evidence a finding carries besides its message, and the message made from it.

Every door formats from these fields (JSON's `evidence` object, SARIF result `properties`, the guard's
refusal), so nothing reads numbers back out of a message. A size finding (NB1xx, NB3xx reads) has:

- `estimate_bytes`, `budget_bytes`: the estimate and the budget it was judged against;
- `subject`: the code, as shown (`np.zeros((n, 50))`);
- `claim`: what it does, without the budget (`allocates ~74.5 GiB (float64)`);
- `way_out`: the safe rewrite in words;
- `shape`, `dtype` where known, `at_least` when the estimate is a lower bound;
- `values`: the names that sized it, each with how its value is known (`{"rows": "rows has 47,912 items"}`).

A loop finding (`kind` "loop": NB201, NB202, NB206, NB401) has `loop` (its header, `while x < n`), `missing`
(what the loop lacks: "a break, return or raise", "an update of `x`"), `loop_line` when the loop is not the
finding's own line, and `function` when it sits in one. Every other hang finding (`hang_evidence`) has `kind`,
`subject` (the code, as shown) and `why` (what hangs or kills the kernel), and the fields of its kind:

- "recursion" (NB203): `function` (`Bag.__len__`), `call` (the self-call, `len(BAG)`), `missing` ("a base case");
- "recursion-limit" (NB204): `limit`, `max_recursion_limit`;
- "integer" (NB205): `digits` (or `digits_log10` past 10^15), `max_integer_digits`, `values` of named operands;
  a wrapping NumPy power: `dtype`, `bits`, `needed_bits`;
- "blocking-call" (NB403, NB404, NB405, NB406, NB407): `call` and what blocks: `seconds` of a sleep, the
  `function` a pool is sent, the `command` that waits for a terminal, `reached_by` for a prompt in a function.

The values are JSON types only (str, int, float, bool, None, lists and dicts of them).
"""

from __future__ import annotations

from typing import Any, Mapping

EMPTY: Mapping[str, Any] = {}


def size_evidence(
    subject: str,
    claim: str,
    estimate: int,
    budget: int,
    way_out: str,
    *,
    shape: tuple[int, ...] | list[int] | None = None,
    dtype: str | None = None,
    values: Mapping[str, str] | None = None,
    at_least: bool = False,
    **more: Any,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "kind": "size",
        "estimate_bytes": int(estimate),
        "budget_bytes": int(budget),
        "subject": subject,
        "claim": claim,
        "way_out": way_out,
    }
    if shape is not None:
        found["shape"] = [int(d) for d in shape]
    if dtype is not None:
        found["dtype"] = dtype
    if at_least:
        found["at_least"] = True
    if values:
        found["values"] = dict(values)
    found.update({key: value for key, value in more.items() if value is not None})
    return found


def size_message(evidence: Mapping[str, Any], over: str, separator: str = " ") -> str:
    """`{subject} {claim}{separator}over the {budget} budget; {way_out}`: the message a size rule shows,
    `over` being the budget as written (nblint.core.sizes.format_budget)."""
    return f"{evidence['subject']} {evidence['claim']}{separator}over the {over} budget; {evidence['way_out']}"


def loop_evidence(loop_line: int | None, missing: str, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": "loop", "missing": missing}
    if loop_line is not None:
        found["loop_line"] = int(loop_line)
    found.update({key: value for key, value in more.items() if value is not None})
    return found


def hang_evidence(kind: str, subject: str, why: str, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": kind, "subject": subject, "why": why}
    found.update({key: value for key, value in more.items() if value is not None})
    return found


def is_size(evidence: Mapping[str, Any] | None) -> bool:
    return bool(evidence) and all(key in evidence for key in ("estimate_bytes", "subject", "claim", "way_out"))


def named_values(node: Any, context: Any, limit: int = 400) -> dict[str, str]:
    """The names an expression reads whose value sized it, each with how that value is known: a live
    object's own evidence (`rows has 47,912 items`), a number (`ROWS is 1,000,000`). Attribute names
    and functions are left out; at most `limit` nodes are looked at."""
    import libcst as cst

    found: dict[str, str] = {}
    stack = [node]
    seen = 0
    while stack and seen < limit:
        current = stack.pop()
        seen += 1
        if isinstance(current, cst.Name):
            name = current.value
            if name in found or name in ("True", "False", "None"):
                continue
            facts = context.live_facts(name)
            if facts is not None and facts.evidence:
                found[name] = facts.evidence
                continue
            value = context.evaluate(current)
            if type(value) in (int, float):
                found[name] = f"{name} is {value:,}"
            continue
        if isinstance(current, cst.Attribute):
            stack.append(current.value)
            continue
        stack.extend(reversed(list(current.children)))
    return found
