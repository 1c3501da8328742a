"""Follow-up conversations from the user's own articles, and how well newsqa reads them.

    python -m eval.followups generate --corpus C --count 150 --out conversations.jsonl
    python -m eval.followups run --conversations conversations.jsonl --data-dir DIR --out FOLDER

Each conversation opens with a "who" question drawn from a sentence of an article whose
subject is a person ("Shujaa al-Ali led the loyalists in Balqasah." → "Who led the
loyalists in Balqasah?"), then follow-ups, each with the standalone question it stands for:

- ``pronoun``: another sentence of the article with that person as its subject, asked about
  another of its entities, the person's name replaced by "he" or "she" (the pronoun the
  article uses most); a third turn does the same with a third such sentence;
- ``there``: a sentence naming the first question's place after "in", asked about another
  entity, "in <place>" replaced by "there";
- ``what about``: "What about <X>?", for the first question with its place, person or
  organisation replaced by another the article names with the same spaCy label (only where the
  question names one of that label: with two, the follow-up has no one standalone question);
- ``when``: "And when?", "When did that happen?" or "When was that?", for the first sentence
  asked as "When did <person> <verb> …?".

``run`` asks every conversation through :func:`rag.answer` with its history (each earlier
turn as the question it was understood as, the way the chat UI sends it) and every
standalone question alone, and reports:

- ``followup_rewrite_accuracy``: the share of follow-ups whose rewrite asks what their
  standalone question asks, by :func:`asks_the_same` (the words of newsqa's answer to the
  opening question allowed: the standalone question names that person as the article's sentence
  did, often by surname, and a rewrite naming them as newsqa answered, often in full, asks the same);
- ``followup_answer_agreement``: the share whose answer (short answer, or abstention) is the
  standalone question's;
- ``followup_rewrite_accuracy_names_as_written``: the same without that allowance, the opening
  answer's name counted as extra terms where it is longer than the article's sentence wrote it;
- ``followup_rewrite_accuracy_after_true_answers``: the rewriter alone, each follow-up rewritten
  after the turns as generated (with their true answers) rather than after newsqa's answers: a
  wrong or withheld first answer makes "When was that?" ask about the wrong person.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from eval.data import read_corpus, save_metrics, write_rows
from eval.generate import FOLDED_PREPOSITIONS, WH_WORDS, standalone_sentences
from newsqa.text import content_terms

# The question words, by which two questions ask for the same kind of thing.
_QUESTION_WORDS = ("who", "whom", "what", "which", "when", "where", "why", "how")
# A rewrite may name more than its standalone question ("Shujaa al-Ali" for "al-Ali"), up to this share of
# the standalone's terms (at least one term).
EXTRA_TERMS_SHARE = 0.25
# Ways to ask when the first answer's event happened: a bare question word, or "that" for the event.
_WHEN_FOLLOW_UPS = ("And when?", "When did that happen?", "When was that?")
_VERB_PARTS = ("aux", "auxpass", "neg")
_OPENING_WORDS = 25  # longer opening sentences make questions nobody would type
_SENTENCES_READ = 12  # of each article, from its start: where its people are introduced


def _question_word(question: str) -> str:
    words = question.lower().replace("?", " ").split()
    return next((w for w in words if w in _QUESTION_WORDS), "")


def asks_the_same(rewrite: str, standalone: str, opening_answer: str = "") -> bool:
    """Whether a rewrite asks what its standalone question asks: the same question word, every content
    term of the standalone question (stemmed, stopwords left out: newsqa.text.content_terms), and few
    terms more (EXTRA_TERMS_SHARE of the standalone's). Terms of the answer to the conversation's opening
    question are no more: a rewrite naming that answer as it was given ("When did Butte County District
    Attorney Mike Ramsey say …?") asks what the standalone question naming him as its sentence did ("When
    did Ramsey say …?") asks, since that name's own terms must be there too."""
    if _question_word(rewrite) != _question_word(standalone):
        return False
    ours, theirs = set(content_terms(rewrite)), set(content_terms(standalone))
    extra = ours - theirs - set(content_terms(opening_answer))
    return theirs <= ours and len(extra) <= max(1, EXTRA_TERMS_SHARE * len(theirs))


def _in_place(doc, entity, subject=None, subject_text: str = "") -> str | None:
    """The sentence asking for ``entity`` in its place ("… fled when?"), the ``subject`` tokens written as
    ``subject_text``; None when the entity has no question word."""
    wh = WH_WORDS.get(entity.label_)
    if wh is None or entity.start == 0:
        return None
    start = entity.start
    if start > 0 and doc[start - 1].lower_ in FOLDED_PREPOSITIONS.get(wh, ()):
        start -= 1
    if wh == "who":
        wh = "whom"
    words = []
    for token in doc:
        if start <= token.i < entity.end:
            if token.i == start:
                words.append(wh)
            continue
        if subject is not None and subject.start <= token.i < subject.end:
            if token.i == subject.start:
                words.append(subject_text)
            continue
        if token.is_punct and token.i == len(doc) - 1:
            continue
        words.append(token.text)
    question = " ".join(words).replace(" ,", ",").replace(" 's", "'s")
    return question[0].upper() + question[1:] + "?"


def _person_subject(doc):
    """The PERSON entity that opens a sentence as the subject of the verb right after it, if any
    ("Shujaa al-Ali led …", not "Ginsburg, a friend of Kay's, wrote …")."""
    for entity in doc.ents:
        if entity.start == 0 and entity.label_ == "PERSON" and entity.root.dep_ in ("nsubj", "nsubjpass"):
            after = doc[entity.end] if entity.end < len(doc) else None
            verb = entity.root.head
            if after is not None and (after.i == verb.i or (after.head.i == verb.i and after.dep_ in _VERB_PARTS)):
                return entity
    return None


def _when_question(doc, subject) -> str | None:
    """ "When did <subject> <verb> …?" from a sentence whose subject opens it."""
    verb = subject.root.head
    if verb.dep_ != "ROOT" or verb.lemma_ == "be":
        return None
    auxiliaries = [t for t in verb.children if t.dep_ in ("aux", "auxpass")]
    rest = [t for t in doc if t.i >= subject.end and not (t.is_punct and t.i == len(doc) - 1) and t not in auxiliaries]
    if auxiliaries:
        head = auxiliaries[0].text
    elif verb.tag_ == "VBD":
        head = "did"
    else:
        return None
    words = [verb.lemma_ if t.i == verb.i and not auxiliaries else t.text for t in rest]
    return _question_text(["When", head, subject.text, *words])


def _question_text(words) -> str:
    return " ".join(words).replace(" ,", ",") + "?"


def _who_question(sentence, person, entity=None, rival: str = "") -> str:
    """The sentence asked as "Who …?" for the person who opens it, with ``entity`` (if given) replaced by
    ``rival``."""
    words = []
    for token in sentence[person.end :]:
        if token.is_punct and token.i == len(sentence) - 1:
            continue
        if entity is not None and entity.start <= token.i < entity.end:
            if token.i == entity.start:
                words.append(rival)
            continue
        words.append(token.text)
    return _question_text(["Who", *words])


def _plain_name(text: str) -> bool:
    """A name as a user would type it: letters, spaces, dots and hyphens, no possessive."""
    return bool(re.fullmatch(r"[A-Z][\w.\- ]*", text)) and not text.endswith(("'s", "’s"))


def _pronoun(text: str) -> str:
    """The pronoun an article uses most for people: he or she."""
    words = Counter(text.lower().split())
    return "she" if words["she"] + words["her"] > words["he"] + words["his"] + words["him"] else "he"


def _conversation(row: dict, rng: random.Random) -> dict | None:
    from rag import nlp

    docs = nlp.parse(standalone_sentences(row)[:_SENTENCES_READ])
    openings = [
        (doc, subject) for doc in docs if len(doc) <= _OPENING_WORDS and (subject := _person_subject(doc)) is not None
    ]
    openings = [(doc, subject) for doc, subject in openings if _plain_name(subject.text)]
    if not openings:
        return None
    first, person = rng.choice(openings)
    name = person.text
    surname = name.split()[-1]
    question = _who_question(first, person)
    turns: list[dict] = [{"question": question, "answer": name}]
    options = []
    # Another sentence with the person as subject, asked about another of its entities.
    later = []
    for doc in docs:
        subject = _person_subject(doc)
        if doc is first or subject is None or subject.text not in (name, surname):
            continue
        askable = [e for e in doc.ents if e.start != subject.start and _in_place(doc, e)]
        if askable:
            later.append((doc, subject, askable[0]))
    if later:
        options.append("pronoun")
    places = [e for e in first.ents if e.label_ in ("GPE", "LOC") and e.start > 0 and first[e.start - 1].lower_ == "in"]
    there = []
    for place in places:
        for doc in docs:
            if doc is first:
                continue
            spans = [e for e in doc.ents if e.text == place.text and e.start > 0 and doc[e.start - 1].lower_ == "in"]
            others = [e for e in doc.ents if spans and e.text != place.text and WH_WORDS.get(e.label_)]
            if spans and others and (asked := _in_place(doc, others[0])):
                there.append((place.text, asked))
    if there:
        options.append("there")
    swaps = []
    for entity in first.ents:
        if entity.start < person.end or entity.label_ not in ("GPE", "ORG", "PERSON"):
            continue
        if sum(e.label_ == entity.label_ for e in first.ents if e.start >= person.end) > 1:
            continue  # "What about X?" could mean either of two names of X's kind: no one standalone question
        rival_names = {
            e.text
            for d in docs
            for e in d.ents
            if e.label_ == entity.label_ and _plain_name(e.text) and e.text not in question and e.text not in name
        }
        if rival_names:
            swaps.append((entity, sorted(rival_names)))
    if swaps:
        options.append("what about")
    when = _when_question(first, person)
    if when:
        options.append("when")
    if not options:
        return None
    kind = rng.choice(options)
    if kind == "pronoun":
        pronoun = _pronoun(row["text"])
        for doc, subject, entity in rng.sample(later, min(2, len(later))):
            alone = _in_place(doc, entity, subject, name)
            follow = _in_place(doc, entity, subject, pronoun)
            turns.append({"question": follow, "standalone": alone, "kind": "pronoun"})
    elif kind == "there":
        named, standalone = rng.choice(there)
        follow = standalone.replace(f"in {named}", "there", 1)
        turns.append({"question": follow[0].upper() + follow[1:], "standalone": standalone, "kind": "there"})
    elif kind == "what about":
        entity, rivals = rng.choice(swaps)
        rival = rng.choice(rivals)
        alone = _who_question(first, person, entity, rival)
        turns.append({"question": f"What about {rival}?", "standalone": alone, "kind": "what about"})
    else:
        turns.append({"question": rng.choice(_WHEN_FOLLOW_UPS), "standalone": when, "kind": "when"})
    return {"id": row["id"], "date": row.get("published", ""), "turns": turns}


def generate(corpus: Path, count: int, seed: int = 0) -> list[dict]:
    """Up to ``count`` conversations, one per article, reproducible for a seed."""
    rng = random.Random(seed)
    rows = [r for r in read_corpus(corpus) if str(r.get("text") or "").strip()]
    rng.shuffle(rows)
    conversations: list[dict] = []
    for row in rows:
        if len(conversations) >= count:
            break
        if (conversation := _conversation(row, rng)) is not None:
            conversations.append(conversation)
    return conversations


def _said(result) -> str:
    return "(abstained)" if result.abstained else " ".join(content_terms(result.short_answer or result.text))


def run(conversations: list[dict], settings, records: list[dict] | None = None) -> dict[str, Any]:
    """Ask every conversation and its standalone questions; ``records`` receives one entry per follow-up."""
    from rag import answer
    from rag.conversation import standalone_question

    by_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    # The rewriter alone: each follow-up after the turns as generated (the true answer), not newsqa's.
    on_gold: list[bool] = []
    # The rule before it allowed the opening answer's words: kept beside it, so that the two can be compared.
    names_as_written: list[bool] = []
    for conversation in conversations:
        history: list[tuple[str, str]] = []
        gold: list[tuple[str, str]] = []
        opening = ""  # newsqa's answer to the opening question, which its rewrites may name
        # Asked the day the article came out, as its reader would have: the article is news then.
        as_of = date.fromisoformat(conversation["date"][:10]) if conversation["date"] else None
        for turn in conversation["turns"]:
            result = answer(turn["question"], history=history, as_of=as_of, settings=settings)
            understood = result.understood_as or turn["question"]
            history.append((understood, result.text))
            if "standalone" not in turn:
                opening = result.short_answer or ""
                gold.append((turn["question"], f"{turn['answer']} [1]"))
                continue
            on_gold.append(asks_the_same(standalone_question(turn["question"], gold), turn["standalone"]))
            gold.append((turn["standalone"], ""))
            alone = answer(turn["standalone"], as_of=as_of, settings=settings)
            outcome = (asks_the_same(understood, turn["standalone"], opening), _said(result) == _said(alone))
            by_kind[turn["kind"]].append(outcome)
            names_as_written.append(asks_the_same(understood, turn["standalone"]))
            if records is not None:
                records.append(
                    {**turn, "understood_as": understood, "answer": _said(result), "standalone_answer": _said(alone)}
                )
    every = [outcome for outcomes in by_kind.values() for outcome in outcomes]
    return {
        "conversations": len(conversations),
        "three_turn_conversations": sum(len(c["turns"]) >= 3 for c in conversations),
        "followups": len(every),
        "followup_rewrite_accuracy": sum(r for r, _ in every) / len(every) if every else 0.0,
        "followup_answer_agreement": sum(a for _, a in every) / len(every) if every else 0.0,
        "followup_rewrite_accuracy_names_as_written": sum(names_as_written) / len(every) if every else 0.0,
        "followup_rewrite_accuracy_after_true_answers": sum(on_gold) / len(on_gold) if on_gold else 0.0,
        "by_kind": {
            kind: {
                "followups": len(outcomes),
                "rewrite_accuracy": sum(r for r, _ in outcomes) / len(outcomes),
                "answer_agreement": sum(a for _, a in outcomes) / len(outcomes),
            }
            for kind, outcomes in sorted(by_kind.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("generate", help="conversations from a corpus's articles")
    make.add_argument("--corpus", type=Path, required=True)
    make.add_argument("--count", type=int, default=150)
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--out", type=Path, required=True)
    ask = sub.add_parser("run", help="ask the conversations and report")
    ask.add_argument("--conversations", type=Path, required=True)
    ask.add_argument("--data-dir", type=Path, required=True, help="an index holding the conversations' articles")
    ask.add_argument("--out", type=Path, required=True, help="folder for metrics.json")
    ask.add_argument("--records", type=Path, help="also write each follow-up's rewrite and answers here")
    args = parser.parse_args()
    if args.command == "generate":
        conversations = generate(args.corpus, args.count, args.seed)
        write_rows(conversations, args.out)
        print(f"{len(conversations)} conversations written to {args.out}")
        return
    from newsqa.settings import Settings

    conversations = [json.loads(line) for line in args.conversations.read_text().splitlines() if line.strip()]
    records: list[dict] = []
    metrics = run(conversations, Settings().with_data_dir(args.data_dir), records)
    save_metrics(args.out, metrics, records, args.records)


if __name__ == "__main__":
    main()
