"""The ``nesy`` command line (and, later, the Streamlit app): thin layers over the API."""

__all__: list[str] = []
