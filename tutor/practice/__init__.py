"""Practice without end: gradient skills (:mod:`.skills`) and generated, checked problems (:mod:`.generate`).

Textual-free; imports the engine, expression language, graph, checker and pack models only.
"""
