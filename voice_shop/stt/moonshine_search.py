"""The shop's language steers Moonshine's decoder: a beam search in which every hypothesis is
a path of the shop's word graph, so the model itself chooses, token by token, which of the
sentences the shop understands the audio sounds most like.

Each hypothesis is a position in the graph (a state, and how far into the tokens of one of
its words it is); only tokens that continue some word of the graph, or end a sentence of it,
are allowed, scored by the model's own log-probabilities (never renormalised over the
allowed ones, so a path's score is log P(sentence | audio), as forced decoding gives).
A few words the graph does not know may come first ("brew a mocha": any verb of the
shopper's own), spelled with the model's likeliest tokens. The results are readings to
score, not a decision: what was heard freely stays the yardstick of how far the catalog bent it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..language.graph import WordGraph
from .moonshine_model import END, START, MoonshineModel, empty_past, log_softmax

BEAM = 4
"""Hypotheses in the shop's language kept at each step."""
FREE_BEAM = 2
"""Hypotheses still in their free opening words kept at each step, besides: the model's own
words always score better than the shop's, and would crowd them out."""
FREE_WORDS = 2
"""Words outside the shop's language that may open the sentence."""
KEPT_TRIES = 1024
"""States whose token tries are kept between utterances (a few MB; then built again)."""
_WORD_START = "\u2581".encode()


@dataclass
class _Node:
    """A node of one state's token trie: the tokens of the words leaving the state."""

    children: dict[int, _Node] = field(default_factory=dict)
    next_state: int | None = None
    """The graph state after the word whose tokens end here."""


FREE = -1
"""The state of a hypothesis still in its free opening words."""


@dataclass(frozen=True)
class _Hypothesis:
    tokens: tuple[int, ...]
    score: float
    state: int
    """Graph state whose word is being spelled, or ``FREE``."""
    node: _Node | None
    """Where in the tokens of the state's words (None while free, or after the end mark)."""
    free_words: int = 0
    done: bool = False
    """Written to its end mark: only the end token may follow."""
    before_end: float = 0.0
    """The score before the end mark."""


@dataclass(frozen=True)
class Found:
    """A sentence of the shop's language the search wrote to its end."""

    written: str
    """With the model's capitals and end mark."""
    score: float
    """log P(written | audio) as the search found it."""
    end_nats: float
    """log P(end mark, end of text | the sentence before it, audio): how sure the model is
    that the speech ends where the sentence does."""


_Move = tuple[int, int, "_Node | None", int, bool]
"""A next token, and the hypothesis's state, node, free words and end after it."""


class GraphSearch:
    """Constrained decoding over one catalog's word graph (a state's token trie is built
    when a hypothesis first reaches it)."""

    def __init__(self, model: MoonshineModel, graph: WordGraph) -> None:
        self.model = model
        self.graph = graph
        self._tries: dict[tuple[int, bool], _Node] = {}
        self.stops = (model.tokenizer.piece_id(b"."), model.tokenizer.piece_id(b"?"))
        pieces = model.tokenizer.pieces
        self.word_starts = np.array([p.startswith(_WORD_START) for p in pieces])
        self.is_word_piece = np.array([_is_word_piece(p.removeprefix(_WORD_START))
                                       for p in pieces])
        """Pieces of words (letters, apostrophes): what a free word may be spelled with."""

    def _trie(self, state: int, first: bool) -> _Node:
        """The tokens of the words leaving ``state`` (capitalised when ``first``)."""
        key = (state, first)
        if key not in self._tries:
            if len(self._tries) >= KEPT_TRIES:
                self._tries.clear()
            root = _Node()
            for word, after in self.graph.arcs[state].items():
                node = root
                for token in self.model.tokenizer.encode(written_word(word, first)):
                    node = node.children.setdefault(token, _Node())
                node.next_state = after
            self._tries[key] = root
        return self._tries[key]

    def _moves(self, hyp: _Hypothesis, row: np.ndarray) -> list[_Move]:
        """Every token allowed after the hypothesis."""
        if hyp.done:
            return [(END, hyp.state, None, hyp.free_words, True)]
        if hyp.state == FREE:  # the model's own likeliest tokens, or the shop's first words
            moves: list[_Move] = []
            for token in map(int, np.argpartition(-row, FREE_BEAM)[:FREE_BEAM]):
                starts = bool(self.word_starts[token]) or not hyp.tokens
                if self.is_word_piece[token] and not (starts and hyp.free_words >= FREE_WORDS):
                    moves.append((token, FREE, None, hyp.free_words + starts, False))
            return moves + self._words_from(hyp, self.graph.start, first=not hyp.tokens)
        assert hyp.node is not None
        moves = [(token, hyp.state, child, hyp.free_words, False)
                 for token, child in hyp.node.children.items()]
        if hyp.node.next_state is not None:  # a word is complete: the next may begin
            moves += self._words_from(hyp, hyp.node.next_state, first=False)
        return moves

    def _words_from(self, hyp: _Hypothesis, state: int, first: bool) -> list[_Move]:
        """The first tokens of the words leaving ``state``; an end mark when a sentence may
        end there."""
        moves: list[_Move] = [(token, state, child, hyp.free_words, False)
                              for token, child in self._trie(state, first).children.items()]
        if state in self.graph.finals and hyp.tokens:
            moves += [(stop, state, None, hyp.free_words, True) for stop in self.stops]
        return moves

    def _grown(self, hyp: _Hypothesis, row: np.ndarray) -> list[_Hypothesis]:
        """The hypothesis grown by its ``BEAM`` likeliest allowed tokens."""
        moves = self._moves(hyp, row)
        if len(moves) > BEAM:
            gains = row[[move[0] for move in moves]]
            moves = [moves[k] for k in np.argpartition(-gains, BEAM)[:BEAM]]
        return [_Hypothesis((*hyp.tokens, token), hyp.score + float(row[token]), state, node,
                            free, done, hyp.before_end if hyp.done else hyp.score)
                for token, state, node, free, done in moves]

    def search(self, states: np.ndarray, cap: int, keep: int = 3) -> list[Found]:
        """The ``keep`` likeliest sentences of the graph (after at most ``FREE_WORDS`` free
        words), the likeliest first."""
        hyps = [_Hypothesis((), 0.0, self.graph.start, self._trie(self.graph.start, True)),
                _Hypothesis((), 0.0, FREE, None)]
        found: dict[str, Found] = {}
        """Sentences written to their end (and their scores), by their words: one sentence
        ended by "." or by "?" is found once."""
        past = empty_past(len(hyps))
        for step in range(cap):
            feed = np.array([[hyp.tokens[-1] if hyp.tokens else START] for hyp in hyps],
                            np.int64)
            states = _cross(states, len(hyps))
            logits, *present = self.model.decoder.run(None, {
                "input_ids": feed, "encoder_hidden_states": states,
                "use_cache_branch": np.array([step > 0]), **past})
            grown: list[tuple[_Hypothesis, int]] = []
            for k, hyp in enumerate(hyps):
                grown.extend((move, k) for move in self._grown(hyp, log_softmax(logits[k, -1])))
            grown.sort(key=lambda m: (-m[0].score, m[0].state == FREE))
            alive: list[tuple[_Hypothesis, int]] = []
            free = 0
            seen: set[tuple[int, ...]] = set()
            for move, k in grown:
                if move.tokens in seen:
                    continue
                seen.add(move.tokens)
                if move.tokens[-1] == END:
                    words = self.model.tokenizer.decode(list(move.tokens[:-2]))
                    if words not in found:
                        found[words] = Found(self.model.tokenizer.decode(list(move.tokens)),
                                             move.score, move.score - move.before_end)
                elif move.state == FREE:
                    if free < FREE_BEAM:
                        alive.append((move, k))
                        free += 1
                elif len(alive) - free < BEAM:
                    alive.append((move, k))
            best = sorted((f.score for f in found.values()), reverse=True)
            if not alive or (len(best) >= keep and best[keep - 1] >= alive[0][0].score):
                break
            rows = np.array([k for _, k in alive])
            past = {name: _cross(old if step > 0 else new, len(rows)) if ".encoder." in name
                    else new[rows] for (name, old), new in zip(past.items(), present, strict=True)}
            hyps = [move for move, _ in alive]
        return sorted(found.values(), key=lambda f: -f.score)[:keep]


def _cross(keys: np.ndarray, rows: int) -> np.ndarray:
    """The encoder's states, keys or values for ``rows`` hypotheses: the same audio for every
    one, so copied only when the number of hypotheses changes."""
    return keys if keys.shape[0] == rows else np.repeat(keys[:1], rows, axis=0)


def _is_word_piece(piece: bytes) -> bool:
    text = piece.decode("utf-8", "replace")
    return bool(text) and all(ch.isalpha() or ch == "'" for ch in text)


_CAPITALISED = {"i": "I", "i'd": "I'd", "i'm": "I'm", "i'll": "I'll", "i've": "I've"}


def written_word(word: str, first: bool) -> str:
    """A word as the model writes it: "I" always capital, the sentence's first word too."""
    word = _CAPITALISED.get(word, word)
    return word[:1].upper() + word[1:] if first else word
