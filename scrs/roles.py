"""The dashboard's roles: the one list the accounts file, the CLI and the access policy all use.

What each role may see and download is decided in `streamlit_app/access/policy.py` (docs/access.md).
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["committee", "division", "registrar", "engineer"]
ROLES: tuple[Role, ...] = get_args(Role)
# The one role bound to a division code.
DIVISION_ROLE: Role = "division"
