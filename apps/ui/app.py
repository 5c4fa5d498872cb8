"""The nesy console: ``nesy app [BUNDLE]`` or ``streamlit run apps/ui/app.py -- BUNDLE``.

Each page is a script of its own that also runs alone (the ``AppTest`` tests load them one by
one); like this one, they draw only when Streamlit runs them (``__name__ == "__main__"``),
so importing them draws nothing.
"""

from __future__ import annotations

import streamlit as st

from apps.ui import _shared

PAGES = [  # (script, title, icon); the first is the default page
    ("diagnose.py", "Diagnose", ":material/stethoscope:"),
    ("rules.py", "Rules", ":material/gavel:"),
    ("knowledge_graph.py", "Knowledge", ":material/hub:"),
    ("batch.py", "Batch", ":material/table_view:"),
    ("models.py", "Models", ":material/model_training:"),
]


def main() -> None:
    st.set_page_config(page_title="nesy console", page_icon=":material/neurology:",
                       layout="wide")
    pages = [st.Page(script, title=title, icon=icon, default=i == 0)
             for i, (script, title, icon) in enumerate(PAGES)]
    page = st.navigation(pages)
    _shared.sidebar()
    page.run()


if __name__ == "__main__":
    main()
