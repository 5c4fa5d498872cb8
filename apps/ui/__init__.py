"""The diagnostic console: a Streamlit app over the Engine (``nesy app [BUNDLE]``).

``app.py`` is the entry script; each page is a script of its own (``diagnose.py``,
``rules.py``, ``knowledge_graph.py``, ``batch.py``, ``models.py``) that also runs alone, which
is how the ``AppTest`` tests load them. ``_shared.py`` holds what the pages share: the
bundle, the engine (one per bundle and rules version, shared by every session) and the
layout helpers. The pages are thin: what they show comes from ``bridge``, ``knowledge`` and
``neural``.
"""
