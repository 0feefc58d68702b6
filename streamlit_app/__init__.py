"""The committee dashboard (Streamlit): `streamlit run streamlit_app/app.py`."""
