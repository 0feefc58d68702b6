"""Who is looking and what they may have: `policy` (the rules, no Streamlit), `session` (sign-in, the current
viewer), `audit` (the access log and refusals). Nothing here imports `data`, `ui` or a page."""
