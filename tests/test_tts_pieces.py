"""How a reply is cut into the pieces Piper says one at a time (plain text, no voice)."""

from __future__ import annotations

from voice_shop.tts import MAX_PIECE_CHARS, speakable_pieces

DEALS = ("Today's deals: Potato chips are 25 percent off; Bananas are 20 percent off this "
         "week; Oat milk is 15 percent off; Toilet paper is 10 percent off.")


def test_a_long_sentence_is_said_in_runs_of_whole_clauses() -> None:
    assert speakable_pieces(DEALS) == [
        "Today's deals:",
        "Potato chips are 25 percent off; Bananas are 20 percent off this week;",
        "Oat milk is 15 percent off; Toilet paper is 10 percent off."]


def test_sentences_within_the_limit_are_kept_whole() -> None:
    text = ("Your order is two bags of long grain white rice and a dozen large eggs. "
            "The total is eleven dollars and forty-seven cents. Shall I place the order?")
    assert speakable_pieces(text) == [
        "Your order is two bags of long grain white rice and a dozen large eggs.",
        "The total is eleven dollars and forty-seven cents.", "Shall I place the order?"]


def test_a_long_clause_is_never_cut_inside() -> None:
    clause = " ".join(["very"] * 30) + " long words"
    said = f"Yes. {clause}, and more."
    assert speakable_pieces(said) == ["Yes.", f"{clause},", "and more."]
    assert len(clause) > MAX_PIECE_CHARS
