"""The language check on real text: py3langid's model, hand-made passages."""

from __future__ import annotations

from rag.nlp.language import language_mismatch
from tests.rag.extractive.parts import passage

ENGLISH = (
    "Voters in the town of Quelmor elected Greta Nakamura as their new mayor on Sunday, after a campaign "
    "fought over the price of housing and the future of the old harbour, which the council wants to sell."
)
SPANISH = (
    "Los votantes de la ciudad de Quelmor eligieron el domingo a Greta Nakamura como nueva alcaldesa, tras "
    "una campaña centrada en el precio de la vivienda y el futuro del viejo puerto, que el ayuntamiento quiere vender."
)


def test_a_question_in_another_language_than_the_articles_is_named():
    english, spanish = [passage(ENGLISH), passage(ENGLISH)], [passage(SPANISH), passage(SPANISH)]
    assert language_mismatch("¿Quién fue elegida alcaldesa de Quelmor?", english, 0.9) == ("Spanish", "English")
    assert language_mismatch("Who was elected mayor of Quelmor?", spanish, 0.9) == ("English", "Spanish")


def test_short_passages_of_names_are_no_language_to_refuse_a_question_by():
    teasers = [passage(text) for text in ("Greta Nakamura elected.", "Quelmor votes.", "Nakamura wins Quelmor.")]
    assert language_mismatch("Who was elected mayor of Quelmor?", teasers, 0.9) is None
    assert language_mismatch("Who was elected mayor of Quelmor?", [passage(ENGLISH), passage(ENGLISH)], 0.9) is None
