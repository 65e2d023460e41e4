"""Acceptance by acoustic evidence: the measure, and the rule that uses it (plain data; the
real recordings exercise both end to end in test_real_speech.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voice_shop.intent.parser import IntentParser
from voice_shop.stt.base import Transcript
from voice_shop.stt.pocketsphinx_engine import (
    MIN_DYNAMIC_RANGE_DB,
    dynamic_range_db,
    loud_unexplained_s,
    sentence_shares,
    word_evidence,
)
from voice_shop.understand_grammar import (
    CLEAR_DYNAMIC_RANGE_DB,
    MAX_UNEXPLAINED_S,
    MIN_ORDER_SHARE,
    MIN_PRODUCT_EVIDENCE,
    MIN_SLOT_EVIDENCE,
    MIN_SLOT_EVIDENCE_CROSS_CHECKED,
    MIN_SLOT_EVIDENCE_NOISY,
    is_complete,
    is_cross_check_due,
    slot_evidence,
    understand,
)


def test_word_evidence_is_the_per_frame_gap_to_the_phone_loop() -> None:
    words = [("add", 0, 9, -20.0), ("bananas", 10, 29, -100.0)]
    phones = [("AE", 0, 4, -5.0), ("D", 5, 9, -5.0), ("B", 10, 29, -40.0)]
    assert word_evidence(words, phones) == pytest.approx((-1.0, -3.0))
    # A phone that straddles two words is shared by the frames each covers.
    assert word_evidence([("a", 0, 1, -2.0)], [("AH", 0, 3, -4.0)]) == pytest.approx((0.0,))


def test_unexplained_audio_is_what_the_words_leave_out_as_loud_as_they_are() -> None:
    """Speech the grammar passed over counts; a pause, or babble 20 dB under the words,
    does not (10 ms frames: 1 s of words, 1 s of quiet, 0.5 s of loud speech left out)."""
    rng = np.random.default_rng(3)
    words, quiet, passed_over = (rng.normal(0, 3000, 16000), rng.normal(0, 300, 16000),
                                 rng.normal(0, 3000, 8000))
    pcm = np.concatenate([words, quiet, passed_over]).astype(np.int16).tobytes()
    spans = (("add", 0, 49, -100.0), ("rice", 50, 99, -100.0))
    assert loud_unexplained_s(pcm, spans) == pytest.approx(0.5, abs=0.02)
    assert loud_unexplained_s(pcm, ()) == 0.0


def test_sentence_shares_sum_each_sentences_paths() -> None:
    """Paths that repeat a sentence (another alignment) add up; a path far below the best
    gets almost nothing; the shares sum to one."""
    paths = [("add a latte", -1.00), ("add a latte", -1.01), ("add a mocha", -1.02),
             ("add a mug", -2.0)]
    shares = sentence_shares(paths)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["add a latte"] > 0.5 > shares["add a mocha"] > shares["add a mug"]
    assert shares["add a mug"] < 1e-6
    assert sentence_shares([]) == {}


def _grammar_transcript(text: str, evidence: float, alternatives: tuple[str, ...] = (),
                        second: str | None = None, unexplained_s: float = 0.5,
                        shares: tuple[float, ...] | None = None) -> Transcript:
    """A grammar reading whose runners-up (if any) share the n-best list evenly with it
    unless ``shares`` says otherwise, and whose open pass caught only its last word unless
    ``second`` says otherwise."""
    if second is None:
        second = f"uh {text.split()[-1]}"
    if shares is None:
        shares = (1 / (1 + len(alternatives)),) * (1 + len(alternatives))
    return Transcript(text=text, is_in_domain=True, confidence=0.1, duration_s=2.0, decode_s=0.1,
                      alternatives=alternatives, is_grammar=True, second_opinion=second,
                      word_evidence=(evidence,) * len(text.split()),
                      unexplained_s=unexplained_s, shares=shares)


def test_clear_words_and_agreeing_runners_up_carry_a_grammar_reading(
        parser: IntentParser) -> None:
    text = "add two large lattes with oat milk"
    clear = MIN_SLOT_EVIDENCE + 1
    assert understand(_grammar_transcript(text, clear), parser).is_understood
    same_order = ("add two large lattes with oat milk please",)
    assert understand(_grammar_transcript(text, clear, same_order), parser).is_understood
    # Unclear words, or a runner-up as likely that means another order: not without a
    # second opinion.
    assert not understand(_grammar_transcript(text, MIN_SLOT_EVIDENCE - 1), parser).is_understood
    other_size = ("add two small lattes with oat milk",)
    assert not understand(_grammar_transcript(text, clear, other_size), parser).is_understood
    # The open pass hearing the same order still confirms it, whatever the evidence.
    assert understand(_grammar_transcript(text, MIN_SLOT_EVIDENCE - 1, other_size,
                                          second="add two large lattes with oat milk"),
                      parser).is_understood


def test_a_far_less_likely_runner_up_does_not_unseat_a_clear_reading(
        parser: IntentParser) -> None:
    """"light roast" or "dark roast": when the runner-up's path scores far below the
    reading's, the reading holds most of the probability and stands; when the runner-up
    holds more than the margin allows, it does not."""
    text, clear = "add two large lattes with oat milk", MIN_SLOT_EVIDENCE + 1
    other_size = ("add two small lattes with oat milk",)
    likely = MIN_ORDER_SHARE + 0.05
    assert understand(_grammar_transcript(text, clear, other_size,
                                          shares=(likely, 1 - likely)), parser).is_understood
    unsure = MIN_ORDER_SHARE - 0.05
    assert not understand(_grammar_transcript(text, clear, other_size,
                                              shares=(unsure, 1 - unsure)), parser).is_understood
    # Runners-up meaning the same order add their share to the reading's.
    same_order = ("add two large lattes with oat milk please", *other_size)
    half = (MIN_ORDER_SHARE / 2, MIN_ORDER_SHARE / 2 + 0.05, 1 - MIN_ORDER_SHARE - 0.05)
    assert understand(_grammar_transcript(text, clear, same_order, shares=half),
                      parser).is_understood


def test_a_reading_standing_on_its_evidence_needs_one_of_its_slot_words_heard_twice(
        parser: IntentParser) -> None:
    """1.6 s of read speech, "the second check out" to the open pass, fit "seven
    cappuccinos" well word by word: an open pass that heard none of the words naming the
    products and options leaves the reading unconfirmed. A command naming no product stands
    only when the open pass heard it too."""
    text, clear = "add two large lattes with oat milk", MIN_SLOT_EVIDENCE + 1
    assert understand(_grammar_transcript(text, clear, second="the large one"),
                      parser).is_understood
    assert not understand(_grammar_transcript(text, clear, second="the second check out"),
                          parser).is_understood
    assert not understand(_grammar_transcript(text, clear, second=""), parser).is_understood
    item_less = "what is on my wish list"
    assert not understand(_grammar_transcript(item_less, clear, second="what is on the"),
                          parser).is_understood
    assert understand(_grammar_transcript(item_less, clear, second=item_less),
                      parser).is_understood


def test_an_open_pass_that_heard_a_rival_option_value_unseats_a_clear_reading(
        parser: IntentParser) -> None:
    """Grammar "a double shot dark roast mocha", open pass "... triple shot ...": a clear
    reading does not stand against another value heard for one of its options, while the
    same value with a word missed ("a splash of oat milk" for "oat milk") is no rival."""
    text, clear = "add a large latte with whole milk", MIN_SLOT_EVIDENCE + 1
    rival = "add a large latte with almond milk"
    assert [i.options for i in parser.parse(rival).items] == [
        {"size": "large", "milk": "almond milk"}]
    assert not understand(_grammar_transcript(text, clear, second=rival), parser).is_understood
    oat = "add a large latte with a splash of oat milk"
    partial = "add a large latte with oat milk"
    assert understand(_grammar_transcript(oat, clear, second=partial), parser).is_understood


def test_slot_evidence_counts_the_words_where_the_slot_is_said(parser: IntentParser) -> None:
    """"a" of "a splash of oat milk" names an option; the article "a" before the drink does
    not, and a swallowed article must not sink a clearly said order."""
    text = "i'd like a latte with a splash of oat milk"
    evidence = (-1.0, -1.0, -15.0, -2.0, -1.0, -3.0, -3.0, -3.0, -3.0, -3.0)
    transcript = replace(_grammar_transcript(text, 0.0), word_evidence=evidence)
    intent = parser.parse(text)
    assert [(item.query, item.options) for item in intent.items] == [
        ("latte", {"milk": "a splash of oat milk"})]
    assert slot_evidence(intent, transcript) == pytest.approx((-2.0 - 3.0 * 5) / 6)


def test_a_reading_that_leaves_most_of_the_speech_unexplained_does_not_stand_alone(
        parser: IntentParser) -> None:
    """Eleven seconds of read speech came out as "what is on my wish list": six words
    that fit, with the rest passed over as filler, and an open pass rambling over it parsed
    to the same request. The words must cover the audio."""
    text, clear = "what is on my wish list", MIN_SLOT_EVIDENCE + 1
    assert understand(_grammar_transcript(text, clear, second=text), parser).is_understood
    assert not understand(_grammar_transcript(text, clear, second=text,
                                              unexplained_s=MAX_UNEXPLAINED_S + 7),
                          parser).is_understood
    rambling = "what is on them hi one that what's in there bring my list read is in let"
    assert not understand(_grammar_transcript(text, clear, second=rambling,
                                              unexplained_s=MAX_UNEXPLAINED_S + 7),
                          parser).is_understood


def test_an_open_pass_that_heard_another_option_value_does_not_confirm(
        parser: IntentParser) -> None:
    """Grammar "a double shot dark roast mocha", open pass "a triple shot dark roast mocha":
    half the options heard alike, but the other half heard differently is disagreement."""
    text, unclear = "add a large latte with oat milk", MIN_SLOT_EVIDENCE - 1
    agreeing = "add a large latte please"  # the size heard, the milk not
    assert understand(_grammar_transcript(text, unclear, second=agreeing), parser).is_understood
    other_size = "add a small latte with oat milk"
    assert not understand(_grammar_transcript(text, unclear, second=other_size),
                          parser).is_understood


def test_in_clear_audio_a_product_the_open_pass_missed_must_fit_on_its_own(
        parser: IntentParser) -> None:
    """Options that fit well cannot carry a product word that fits badly ("latte" for a
    said "mocha") unless the open pass heard the product too; in noise, where every word
    fits worse, the mean is asked as before."""
    text = "add two large lattes with oat milk"
    good = MIN_SLOT_EVIDENCE + 3
    words = text.split()
    evidence = tuple(MIN_PRODUCT_EVIDENCE - 1 if w == "lattes" else good for w in words)
    reading = replace(_grammar_transcript(text, good, second="uh large with oat milk"),
                      word_evidence=evidence, dynamic_range_db=45.0)
    assert slot_evidence(parser.parse(text), reading) >= MIN_SLOT_EVIDENCE  # the mean hides it
    assert not understand(reading, parser).is_understood
    heard = replace(reading, second_opinion="uh large lattes with oat milk")
    assert understand(heard, parser).is_understood
    fitting = replace(reading, word_evidence=tuple(
        MIN_PRODUCT_EVIDENCE + 1 if w == "lattes" else good for w in words))
    assert understand(fitting, parser).is_understood
    noisy = replace(reading, dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB - 6,
                    word_evidence=tuple(e - good + MIN_SLOT_EVIDENCE_NOISY + 2
                                        if e == good else e for e in evidence))
    assert slot_evidence(parser.parse(text), noisy) >= MIN_SLOT_EVIDENCE_NOISY
    assert understand(noisy, parser).is_understood


def test_noisier_audio_must_show_clearer_evidence(parser: IntentParser) -> None:
    """Evidence that carries a reading in a quiet room does not carry it at ~10 dB SNR,
    where the phone loop fits the noise as badly as the grammar does."""
    text = "add two large lattes with oat milk"
    middling = (MIN_SLOT_EVIDENCE + MIN_SLOT_EVIDENCE_NOISY) / 2
    quiet = replace(_grammar_transcript(text, middling), dynamic_range_db=45.0)
    noisy = replace(quiet, dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB - 6)
    assert understand(quiet, parser).is_understood
    assert not understand(noisy, parser).is_understood
    clear = replace(noisy, word_evidence=(MIN_SLOT_EVIDENCE_NOISY + 0.5,) * 7)
    assert understand(clear, parser).is_understood


def test_a_reading_other_views_agree_on_may_show_weaker_evidence(
        parser: IntentParser) -> None:
    """In noise, the grammar pass over a second filter's output (``cross_check``) meaning
    the same order carries evidence under the noisy floor and a split n-best list; another
    order does not."""
    text = "add two large lattes with oat milk"
    weak = (MIN_SLOT_EVIDENCE_CROSS_CHECKED + MIN_SLOT_EVIDENCE_NOISY) / 2
    split = ("add two small lattes with oat milk",)
    noisy = replace(_grammar_transcript(text, weak, split),
                    dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB - 6)
    assert not understand(noisy, parser).is_understood
    same_order = replace(noisy, cross_check=("add two large lattes with oat milk please",))
    assert understand(same_order, parser).is_understood
    assert not understand(replace(noisy, cross_check=split), parser).is_understood
    too_weak = replace(same_order, word_evidence=(MIN_SLOT_EVIDENCE_CROSS_CHECKED - 1,) * 7)
    assert not understand(too_weak, parser).is_understood
    # The open pass must still have heard one of the reading's slot words.
    deaf = replace(same_order, second_opinion="uh please")
    assert not understand(deaf, parser).is_understood


def test_in_clear_audio_warped_views_stand_in_for_the_share_not_the_evidence(
        parser: IntentParser) -> None:
    """Clear audio is cross-checked with the vocal tract warped both ways: when every view
    means the same order, a split n-best list no longer refuses the reading, but the
    evidence asked of clear audio stays what it was."""
    text = "add two large lattes with oat milk"
    split = ("add two small lattes with oat milk",)
    clear = replace(_grammar_transcript(text, MIN_SLOT_EVIDENCE + 0.5, split),
                    dynamic_range_db=45.0)
    assert not understand(clear, parser).is_understood
    views = (text, "add two large lattes with oat milk please")
    assert understand(replace(clear, cross_check=views), parser).is_understood
    one_differs = (text, split[0])
    assert not understand(replace(clear, cross_check=one_differs), parser).is_understood
    unclear = replace(clear, cross_check=views, word_evidence=(MIN_SLOT_EVIDENCE - 0.5,) * 7)
    assert not understand(unclear, parser).is_understood


def test_with_others_talking_around_it_a_reading_needs_its_views(
        parser: IntentParser) -> None:
    """With other people talking around the speech, a reading that holds the whole n-best
    list still needs every view of the cross-check to mean its order; the views are then
    due, and decide."""
    text = "add two large lattes with oat milk"
    alone = replace(_grammar_transcript(text, MIN_SLOT_EVIDENCE + 0.5), dynamic_range_db=35.0)
    assert understand(alone, parser).is_understood
    talked_over = replace(alone, others_talking_s=3.0)
    assert not understand(talked_over, parser).is_understood
    assert is_cross_check_due(talked_over, parser)
    views = (text, "add two large lattes with oat milk please")
    assert understand(replace(talked_over, cross_check=views), parser).is_understood
    one_differs = (text, "add two small lattes with oat milk")
    assert not understand(replace(talked_over, cross_check=one_differs), parser).is_understood


def test_under_others_voices_a_reading_stands_only_on_its_own_words(
        parser: IntentParser) -> None:
    """Others talking not far under the speech: the open pass and the views hear their
    voices too, so whatever confirms a reading, its own words must fit the audio as
    noisy audio's must. Clear of them, or with nobody else talking, it stands as before."""
    text = "add two large lattes with oat milk"
    weak = MIN_SLOT_EVIDENCE_NOISY - 0.5
    confirmed = replace(_grammar_transcript(text, weak, second=text),
                        dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB - 4, cross_check=(text, text))
    assert understand(confirmed, parser).is_understood  # the open pass heard it all
    talked_over = replace(confirmed, others_talking_s=3.0)
    assert not understand(talked_over, parser).is_understood
    assert understand(replace(talked_over, dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB + 4),
                      parser).is_understood
    strong = replace(talked_over, word_evidence=(MIN_SLOT_EVIDENCE_NOISY + 0.5,) * 7)
    assert understand(strong, parser).is_understood


def test_a_cross_check_is_due_only_where_it_could_change_the_answer(
        parser: IntentParser) -> None:
    """The recogniser decodes the views only when agreeing views would turn a refusal into
    an order: not for a reading that already stands, nor for one too weak either way."""
    text = "add two large lattes with oat milk"
    split = ("add two small lattes with oat milk",)
    refused = replace(_grammar_transcript(text, MIN_SLOT_EVIDENCE + 0.5, split),
                      dynamic_range_db=45.0)
    assert is_cross_check_due(refused, parser)
    assert not is_cross_check_due(replace(refused, cross_check=(text,)), parser)  # decoded
    standing = replace(refused, alternatives=(), shares=(1.0,))
    assert understand(standing, parser).is_understood
    assert not is_cross_check_due(standing, parser)
    hopeless = replace(refused, word_evidence=(MIN_SLOT_EVIDENCE - 0.5,) * 7)
    assert not is_cross_check_due(hopeless, parser)
    noisy_weak = replace(hopeless, dynamic_range_db=CLEAR_DYNAMIC_RANGE_DB - 6,
                         word_evidence=(MIN_SLOT_EVIDENCE_CROSS_CHECKED + 0.1,) * 7)
    assert is_cross_check_due(noisy_weak, parser)  # in noise the views lower the floor


@pytest.mark.parametrize("range_db", [45.0, CLEAR_DYNAMIC_RANGE_DB - 6])
@pytest.mark.parametrize("evidence", [MIN_SLOT_EVIDENCE_NOISY + 0.5, MIN_SLOT_EVIDENCE + 0.1,
                                      MIN_SLOT_EVIDENCE_CROSS_CHECKED + 0.1,
                                      MIN_SLOT_EVIDENCE_CROSS_CHECKED - 0.5])
@pytest.mark.parametrize("alternatives", [(), ("add two small lattes with oat milk",)])
def test_views_never_matter_where_no_cross_check_is_due(
        parser: IntentParser, range_db: float, evidence: float,
        alternatives: tuple[str, ...]) -> None:
    """Whatever the views turn out to say (none, empty, agreeing, split, another order),
    a transcript for which no cross-check is due is understood as without them."""
    text = "add two large lattes with oat milk"
    other = alternatives[0] if alternatives else "add a mocha"
    for second in (None, "uh please", "add two large lattes with oat milk"):
        transcript = replace(_grammar_transcript(text, evidence, alternatives, second),
                             dynamic_range_db=range_db)
        if is_cross_check_due(transcript, parser):
            continue
        alone = understand(transcript, parser)
        for views in [("",), (text,), (text, text), (text, other), (other,)]:
            assert understand(replace(transcript, cross_check=views), parser) == alone, views


def test_a_cut_wake_phrase_takes_its_measures_with_it(parser: IntentParser) -> None:
    """With a custom wake phrase the recogniser hears "hey shop add ...": the command cut
    from it keeps per-word evidence and per-sentence shares in line with its words, so it
    can still be heard clearly (misaligned evidence would count as none)."""
    text = "add two large lattes with oat milk"
    woken = replace(_grammar_transcript(f"hey shop {text}", MIN_SLOT_EVIDENCE + 0.5),
                    alternatives=("hey shop add two small lattes with oat milk", "add a mocha"),
                    shares=(0.8, 0.15, 0.05), dynamic_range_db=45.0,
                    cross_check=(f"hey shop {text}", "a mocha"))
    cut = woken.without_wake(("hey", "shop"))
    assert cut.text == text and len(cut.word_evidence) == len(text.split())
    assert cut.alternatives == ("add two small lattes with oat milk",)
    assert cut.shares == (0.8, 0.15) and cut.cross_check == (text, "")
    assert understand(cut, parser).is_understood
    assert not understand(replace(cut, word_evidence=woken.word_evidence), parser).is_understood
    assert woken.without_wake(("okay", "shop")).text == ""


def test_unmeasured_evidence_never_accepts(parser: IntentParser) -> None:
    transcript = Transcript(text="add two large lattes", is_in_domain=True, confidence=0.1,
                            duration_s=2.0, decode_s=0.1, is_grammar=True)
    assert not understand(transcript, parser).is_understood


def test_a_code_or_a_place_heard_is_kept_when_no_order_is_understood(
        parser: IntentParser) -> None:
    """A PIN said digit by digit, or "the second one", is no order, but the dialog's
    question needs it: the not-understood intent carries those slots."""
    for text, slots in (("four three two one", (None, "4321")), ("the second one", (2, None))):
        transcript = Transcript(text=text, is_in_domain=True, confidence=0.5, duration_s=1.5,
                                decode_s=0.1, is_grammar=True, second_opinion=text)
        understood = understand(transcript, parser)
        assert not understood.is_understood
        assert (understood.intent.choice, understood.intent.digits) == slots


def test_noisy_audio_has_too_little_dynamic_range_for_word_evidence() -> None:
    """Speech-like bursts over a quiet room pass; the same under steady noise do not."""
    rng = np.random.default_rng(1)
    frames = np.full(200, 1.0)
    frames[40:160:2] = 1e6  # loud frames, 60 dB over the room
    assert dynamic_range_db(frames) >= MIN_DYNAMIC_RANGE_DB
    noisy = frames + 1e5 * (1 + rng.random(200))  # a noise floor ~8 dB under the speech
    assert dynamic_range_db(noisy) < MIN_DYNAMIC_RANGE_DB
    assert dynamic_range_db(np.ones(2)) == 0.0


def test_speech_cut_as_the_device_cuts_it_still_has_its_dynamic_range() -> None:
    """An utterance cut to its speech keeps ~0.5 s of room around ~3 s of words (9% of its
    frames): the quiet reference must be the room, not the softest syllables."""
    room = np.ones(18)
    soft, loud = np.full(40, 1e3), np.full(142, 1e6)  # syllables 30 and 60 dB over the room
    frames = np.concatenate([room[:12], soft[:20], loud, soft[20:], room[12:]])
    assert dynamic_range_db(frames) >= MIN_DYNAMIC_RANGE_DB


def test_passes_that_disagree_on_the_amount_are_not_guessed_between(
        parser: IntentParser) -> None:
    """The open pass's own whole command no longer overrides a grammar reading of the same
    products with another amount ("a few bags of rice" for "add two bags of rice")."""
    transcript = Transcript(text="add two large lattes", is_in_domain=True, confidence=0.1,
                            duration_s=2.0, decode_s=0.1, is_grammar=True,
                            second_opinion="add three large lattes",
                            is_second_opinion_a_command=True)
    assert not understand(transcript, parser).is_understood
    other_product = Transcript(text="", is_in_domain=False, confidence=0.0, duration_s=2.0,
                               decode_s=0.1, is_grammar=True,
                               second_opinion="add three large lattes",
                               is_second_opinion_a_command=True)
    assert understand(other_product, parser).text == "add three large lattes"
    # Nor another request about the same product: an add heard as a removal is no guess.
    flipped = Transcript(text="add two large lattes", is_in_domain=True, confidence=0.1,
                         duration_s=2.0, decode_s=0.1, is_grammar=True,
                         second_opinion="remove the lattes", is_second_opinion_a_command=True)
    assert not understand(flipped, parser).is_understood
    # Nor when the grammar's reading of the product is itself incomplete (an option of
    # another product before it).
    assert not is_complete(parser.parse("add two large bananas"))
    muddled = Transcript(text="add two large bananas", is_in_domain=True, confidence=0.1,
                         duration_s=2.0, decode_s=0.1, is_grammar=True,
                         second_opinion="remove the bananas", is_second_opinion_a_command=True)
    assert not understand(muddled, parser).is_understood


def test_a_rival_whole_command_from_the_open_pass_outweighs_clear_slot_words(
        parser: IntentParser) -> None:
    """Piper's "add a pack of bacon" was read by the grammar as "avocado please", whose one
    slot word fit well; the open pass heard the real sentence, a whole command of its own."""
    clear = MIN_SLOT_EVIDENCE + 1
    rival = _grammar_transcript("avocado please", clear, second="add a pack of bacon")
    rival = Transcript.from_dict({**rival.to_dict(), "is_second_opinion_a_command": True})
    assert understand(rival, parser).text == "add a pack of bacon"
    # An open pass that heard no whole command leaves the clear reading standing.
    muddled = _grammar_transcript("avocado please", clear, second="a pack of")
    assert understand(muddled, parser).text == "avocado please"
