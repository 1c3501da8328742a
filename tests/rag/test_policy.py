"""The answering policy with the fake embedder: which engine answers, and the fallback's reason."""

from __future__ import annotations

import numpy as np

from newsqa.settings import Settings
from newsqa.types import Query
from rag.policy import AnsweringPolicy
from rag.response import Response, build_answer
from tests.rag.extractive.parts import passage


def test_the_policy_falls_back_to_extractive_with_a_notice_when_no_llm_is_configured(fake_embedder):
    settings = Settings(engine="llm")
    policy = AnsweringPolicy(fake_embedder, settings)
    question = "Who led the loyalists in Balqasah?"
    plan = policy.plan(question, [])
    assert plan.engine is policy.extractive
    assert plan.fallback_reason and plan.fallback_reason.startswith("no LLM configured")
    text = "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah."
    query = Query(text=plan.search_text, vector=fake_embedder.embed_query(plan.search_text))

    def steps():
        reply = yield from policy.respond(query, [passage(text)], plan)
        return build_answer(question, reply, [passage(text)])

    pieces = list(Response(steps()))
    final = pieces[-1]
    assert final.engine == "extractive"
    assert final.notice == f"{plan.fallback_reason}; showing the extractive answer instead."
    assert "".join(pieces[:-1]) == final.text == "Shujaa al-Ali [1]"
    assert final.citations[0].quote == text and final.citations[0].start == 0


def test_the_policy_abstains_on_no_passages(fake_embedder):
    policy = AnsweringPolicy(fake_embedder, Settings())
    result = policy.answer("Who?", Query(text="Who?", vector=np.zeros(256, dtype=np.float32)), [])
    assert result.abstained and result.text == "The indexed articles do not say. (no passages were retrieved)"
    assert result.notice is None and result.citations == []


def test_a_response_streams_once_then_holds_its_answer(fake_embedder):
    policy = AnsweringPolicy(fake_embedder, Settings())
    text = "Loyalists led by Shujaa al-Ali attacked the checkpoint in Balqasah."
    question = "Who led the loyalists in Balqasah?"
    query = Query(text=question, vector=fake_embedder.embed_query(question))

    def steps():
        reply = yield from policy.respond(query, [passage(text)], policy.plan(question, []))
        return build_answer(question, reply, [])

    response = Response(steps())
    first = response.answer()
    assert first.short_answer == "Shujaa al-Ali"
    assert response.answer() is first and list(response) == [first], "nothing is answered twice"
