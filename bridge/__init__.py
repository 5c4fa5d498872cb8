"""Grounding a case and the ``Engine`` facade over symbolic, neural and knowledge.

Not built yet: this package holds its place in the layout (see the README's roadmap).
"""

__all__: list[str] = []
