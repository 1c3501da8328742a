"""The extractive engine and its learned reader, a module per job.

``question`` (what a question asks for) → ``pool`` (the sentences read) → ``candidates``
(mentions, merged) → ``features`` (what the model sees) → ``model`` (the learned scorer, pure)
→ ``engine`` (the answer, its quotes, abstention) with ``sources`` (when reports disagree).
"""
