"""The pages of the flowready Streamlit app (routed by ``app.py``)."""
