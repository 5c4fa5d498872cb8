"""Perception: torch models whose outputs become probabilistic facts.

Not built yet: this package holds its place in the layout (see the README's roadmap).
"""

__all__: list[str] = []
