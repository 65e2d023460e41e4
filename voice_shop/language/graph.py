"""The shop's language as a deterministic word graph: the recogniser's finite-state grammar.

PocketSphinx can compile JSGF itself, but it expands every optional word into a null
transition; a template language full of optional fillers becomes tens of thousands of null
arcs and decodes far slower than real time. Here the templates are compiled the way a
speech toolkit compiles a grammar: Thompson construction (with epsilon arcs), epsilon
removal, subset construction (one arc per word per state, so no word is searched twice in
parallel) and merging of states with the same future (minimisation). The result is written
in PocketSphinx's FSG format, and it also answers "is this word sequence a command?" and
"is this prefix already a complete command?" in microseconds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from hassil.expression import (
    Alternative,
    Expression,
    ListReference,
    Permutation,
    RuleReference,
    TextChunk,
)
from hassil.expression import (
    Sequence as HSequence,
)

from ..errors import VoiceShopError
from ..text import normalize

BRANCH_PENALTY = 0.75
"""An arc's probability is (arcs leaving its state) ** -BRANCH_PENALTY. With 1 (an even
share) every word of a long command costs a factor of the branching ("add a pack of bacon"
lost to "avocado thank you"); with 0 (all arcs weigh one) the search prunes too little and
decodes slower than real time."""
MAX_STATES = 400_000
"""Beyond this the grammar is too large to decode in real time; the caller falls back."""


class GrammarTooLarge(VoiceShopError):
    code = "grammar_too_large"


class _Nfa:
    """States are ints; arcs carry a word or None (epsilon)."""

    def __init__(self) -> None:
        self.arcs: list[list[tuple[str | None, int]]] = []

    def state(self) -> int:
        self.arcs.append([])
        if len(self.arcs) > MAX_STATES:
            raise GrammarTooLarge("the shop grammar is too large for the recogniser")
        return len(self.arcs) - 1

    def arc(self, src: int, word: str | None, dst: int) -> None:
        self.arcs[src].append((word, dst))


@dataclass(frozen=True)
class WordGraph:
    """A deterministic, minimal word acceptor."""

    start: int
    finals: frozenset[int]
    arcs: tuple[dict[str, int], ...]
    """Per state: word -> next state."""

    @property
    def n_states(self) -> int:
        return len(self.arcs)

    @property
    def n_arcs(self) -> int:
        return sum(len(a) for a in self.arcs)

    def walk(self, words: Sequence[str]) -> int | None:
        state = self.start
        for word in words:
            nxt = self.arcs[state].get(word)
            if nxt is None:
                return None
            state = nxt
        return state

    def accepts(self, words: Sequence[str]) -> bool:
        """True when the words are a whole sentence of the language."""
        state = self.walk(words)
        return state is not None and state in self.finals

    def is_prefix(self, words: Sequence[str]) -> bool:
        """True when the words can still grow into a sentence of the language."""
        return self.walk(words) is not None

    def to_json(self) -> str:
        return json.dumps({"start": self.start, "finals": sorted(self.finals),
                           "arcs": list(self.arcs)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> WordGraph:
        """The graph ``to_json`` wrote; ValueError when the text is not one."""
        try:
            data = json.loads(text)
            start, finals, arcs = data["start"], data["finals"], data["arcs"]
        except (TypeError, KeyError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a word graph: {exc}") from exc
        states = range(len(arcs))
        if (not isinstance(start, int) or start not in states
                or not all(isinstance(f, int) and f in states for f in finals)
                or not all(isinstance(a, dict) and all(
                    isinstance(d, int) and d in states for d in a.values()) for a in arcs)):
            raise ValueError("not a word graph: a state out of range")
        return cls(start=start, finals=frozenset(finals), arcs=tuple(arcs))

    def to_fsg(self, name: str = "shop") -> str:
        """PocketSphinx FSG text (arc weights: see ``BRANCH_PENALTY``). Final states reach one
        extra final state by a null arc."""
        final = self.n_states
        lines = [f"FSG_BEGIN {name}", f"NUM_STATES {self.n_states + 1}",
                 f"START_STATE {self.start}", f"FINAL_STATE {final}"]
        for state, arcs in enumerate(self.arcs):
            exits = len(arcs) + (1 if state in self.finals else 0)
            prob = max(exits, 1) ** -BRANCH_PENALTY
            for word, dst in sorted(arcs.items()):
                lines.append(f"TRANSITION {state} {dst} {prob:.6g} {word}")
            if state in self.finals:
                lines.append(f"TRANSITION {state} {final} {prob:.6g}")
        lines.append("FSG_END")
        return "\n".join(lines) + "\n"


Resolver = Callable[[str], Expression]
ListValues = Callable[[str], Sequence[str]]


class GraphBuilder:
    """Compiles template expressions (hassil's tree) into a :class:`WordGraph`."""

    def __init__(self, rules: Resolver, lists: ListValues) -> None:
        self._rules = rules
        self._lists = lists
        self._nfa = _Nfa()

    def build(self, roots: Iterable[Expression], prefix: Sequence[str] = ()) -> WordGraph:
        nfa = self._nfa = _Nfa()
        start = nfa.state()
        body_start = start
        if prefix:  # an optional leading phrase (the wake phrase)
            body_start = nfa.state()
            nfa.arc(start, None, body_start)
            self._words(start, list(prefix), body_start)
        final = nfa.state()
        for root in roots:
            self._expr(root, body_start, final, depth=0)
        return _minimise(_determinise(nfa, start, final))

    # ---- Thompson construction -----------------------------------------------------------------
    def _words(self, src: int, words: list[str], dst: int) -> None:
        if not words:
            self._nfa.arc(src, None, dst)
            return
        state = src
        for word in words[:-1]:
            nxt = self._nfa.state()
            self._nfa.arc(state, word, nxt)
            state = nxt
        self._nfa.arc(state, words[-1], dst)

    def _list(self, name: str, src: int, dst: int) -> None:
        """A list as a trie, so values sharing first words share states."""
        trie: dict[tuple[int, str], int] = {}
        for value in self._lists(name):
            words = value.split()
            state = src
            for word in words[:-1]:
                key = (state, word)
                if key not in trie:
                    trie[key] = self._nfa.state()
                    self._nfa.arc(state, word, trie[key])
                state = trie[key]
            if words:
                self._nfa.arc(state, words[-1], dst)

    def _expr(self, e: Expression, src: int, dst: int, depth: int) -> None:
        if depth > 60:
            raise VoiceShopError("shop language: rules refer to each other without end")
        if isinstance(e, TextChunk):
            self._words(src, normalize(e.text).split(), dst)
        elif isinstance(e, ListReference):
            self._list(e.list_name, src, dst)
        elif isinstance(e, RuleReference):
            self._expr(self._rules(e.rule_name), src, dst, depth + 1)
        elif isinstance(e, Permutation):
            raise VoiceShopError("shop language: permutations (a;b) are not supported")
        elif isinstance(e, Alternative):
            for item in e.items:
                self._expr(item, src, dst, depth + 1)
            if e.is_optional:
                self._nfa.arc(src, None, dst)
        elif isinstance(e, HSequence):
            items = [i for i in e.items
                     if not (isinstance(i, TextChunk) and not i.text.strip())]
            state = src
            for index, item in enumerate(items):
                nxt = dst if index == len(items) - 1 else self._nfa.state()
                self._expr(item, state, nxt, depth + 1)
                state = nxt
            if not items:
                self._nfa.arc(src, None, dst)
        else:
            raise VoiceShopError(f"shop language: unsupported template part {type(e).__name__}")


def _closures(nfa: _Nfa) -> Callable[[int], frozenset[int]]:
    memo: dict[int, frozenset[int]] = {}

    def closure(state: int) -> frozenset[int]:
        if state in memo:
            return memo[state]
        seen = {state}
        stack = [state]
        while stack:
            for word, dst in nfa.arcs[stack.pop()]:
                if word is None and dst not in seen:
                    seen.add(dst)
                    stack.append(dst)
        memo[state] = frozenset(seen)
        return memo[state]

    return closure


def _determinise(nfa: _Nfa, start: int, final: int) -> WordGraph:
    """Subset construction over epsilon closures."""
    closure = _closures(nfa)
    first = closure(start)
    ids: dict[frozenset[int], int] = {first: 0}
    arcs: list[dict[str, int]] = [{}]
    finals: set[int] = set()
    stack = [first]
    while stack:
        subset = stack.pop()
        sid = ids[subset]
        if final in subset:
            finals.add(sid)
        moves: dict[str, set[int]] = defaultdict(set)
        for state in subset:
            for word, dst in nfa.arcs[state]:
                if word is not None:
                    moves[word] |= closure(dst)
        for word, targets in moves.items():
            key = frozenset(targets)
            if key not in ids:
                ids[key] = len(arcs)
                arcs.append({})
                stack.append(key)
                if len(arcs) > MAX_STATES:
                    raise GrammarTooLarge("the shop grammar is too large for the recogniser")
            arcs[sid][word] = ids[key]
    return WordGraph(0, frozenset(finals), tuple(arcs))


def _minimise(graph: WordGraph) -> WordGraph:
    """Merge states with the same future. The graph is acyclic (templates have no loops),
    so states are grouped bottom-up by (is final, outgoing arcs to merged states)."""
    order = _postorder(graph)
    merged: dict[int, int] = {}
    signature_ids: dict[tuple[bool, tuple[tuple[str, int], ...]], int] = {}
    new_arcs: list[dict[str, int]] = []
    new_finals: set[int] = set()
    for state in order:
        signature = (state in graph.finals,
                     tuple(sorted((w, merged[d]) for w, d in graph.arcs[state].items())))
        if signature not in signature_ids:
            signature_ids[signature] = len(new_arcs)
            new_arcs.append(dict(signature[1]))
            if signature[0]:
                new_finals.add(len(new_arcs) - 1)
        merged[state] = signature_ids[signature]
    return WordGraph(merged[graph.start], frozenset(new_finals), tuple(new_arcs))


def _postorder(graph: WordGraph) -> list[int]:
    seen: set[int] = set()
    order: list[int] = []
    stack: list[tuple[int, bool]] = [(graph.start, False)]
    while stack:
        state, done = stack.pop()
        if done:
            order.append(state)
            continue
        if state in seen:
            continue
        seen.add(state)
        stack.append((state, True))
        for dst in graph.arcs[state].values():
            if dst not in seen:
                stack.append((dst, False))
    return order
