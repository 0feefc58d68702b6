"""Synthetic SCRS extracts with planted compliance, and the truth they plant (`scrs generate`).

Public API: `generate`, `parse_years`, `GenerateSummary`, `DEFAULT_SCALE`, `DEFAULT_YEARS`.
"""

from scrs.generator.core import DEFAULT_SCALE, DEFAULT_YEARS, GenerateSummary, generate
from scrs.generator.periods import parse_years

__all__ = ["DEFAULT_SCALE", "DEFAULT_YEARS", "GenerateSummary", "generate", "parse_years"]
