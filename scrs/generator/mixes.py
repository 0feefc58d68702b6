"""Probability tables built from the seeds and the plan (crime mix, incident type given crime code)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scrs.generator import plan
from scrs.generator.reference import Reference
from scrs.generator.sampling import mix_vector

N_VARIANTS = 3  # crime mix variants: 0 no coronavirus offences, 1 full, 2 reduced


@dataclass(frozen=True)
class Mixes:
    code_weight: np.ndarray  # [variant, code]
    type_given_code: np.ndarray  # [code, type]
    allowed_code_weight: np.ndarray  # [variant * n_types + type, code]: codes a crime may have for the type
    disallowed_code_weight: np.ndarray  # same, codes that would be a wrong classification
    restrictive_type: np.ndarray  # bool per type: not every category allowed

    def variant_row(self, variant: np.ndarray, type_idx: np.ndarray) -> np.ndarray:
        return variant * self.type_given_code.shape[1] + type_idx


def covid_variant(local: np.ndarray) -> np.ndarray:
    """Crime-mix variant from naive local seconds (coronavirus restrictions offences by period)."""
    day = np.asarray(local, dtype=np.int64) // 86_400
    full = np.array(plan.COVID_FULL, dtype="datetime64[D]").astype(np.int64)
    reduced = np.array(plan.COVID_REDUCED, dtype="datetime64[D]").astype(np.int64)
    v = np.zeros(day.size, dtype=np.int64)
    v[(day >= full[0]) & (day < full[1])] = 1
    v[(day >= reduced[0]) & (day < reduced[1])] = 2
    return v


def build_mixes(ref: Reference) -> Mixes:
    codes, types = ref.crime_codes, ref.incident_types
    unknown = set(plan.CODE_SHARE_IN_GROUP) - set(codes)
    if unknown:
        raise ValueError(f"plan.CODE_SHARE_IN_GROUP names codes not in seeds/crime_codes.csv: {sorted(unknown)}")
    groups = np.array(ref.code_legacy_group)
    share = np.array([plan.CODE_SHARE_IN_GROUP.get(c, np.nan) for c in codes])
    base = np.zeros(len(codes))
    smallest = min(plan.LEGACY_GROUP_VOLUME.values())
    for g in np.unique(groups):
        m = groups == g
        s = share[m]
        s = np.where(np.isnan(s), 1.0 / m.sum(), s)
        base[m] = plan.LEGACY_GROUP_VOLUME.get(str(g), smallest) * s / s.sum()
    covid = groups == "COVID"
    code_weight = np.tile(base, (N_VARIANTS, 1))
    code_weight[0, covid] = 0.0
    code_weight[2, covid] *= plan.COVID_REDUCED_FACTOR

    any_types = set(ref.any_category_types)
    restrictive = np.array([t not in any_types for t in types])
    any_mix = mix_vector(types, plan.ANY_TYPE_MIX, "ANY_TYPE_MIX")
    for t in plan.ANY_TYPE_MIX:
        if t not in any_types:
            raise ValueError(f"plan.ANY_TYPE_MIX: {t} does not allow any category in seeds/incident_types.csv")
    tgc = np.zeros((len(codes), len(types)))
    for i, (code, cat) in enumerate(zip(codes, ref.code_category, strict=True)):
        aff = plan.TYPE_AFFINITY_BY_CODE.get(code) or plan.TYPE_AFFINITY_BY_CATEGORY.get(cat, {})
        ci = ref.categories.index(cat)
        for t in aff:
            if t not in types or not ref.allowed[types.index(t), ci]:
                raise ValueError(f"plan: incident type {t} does not allow category {cat} (crime code {code})")
        if aff:
            w = mix_vector(types, aff, "TYPE_AFFINITY")
        else:
            w = (ref.allowed[:, ci] & restrictive).astype(float)
            w = w / w.sum() if w.sum() else any_mix
        tgc[i] = (1 - plan.ANY_TYPE_SHARE) * w + plan.ANY_TYPE_SHARE * any_mix

    allowed = ref.code_allowed()  # [type, code]
    allowed_w = (code_weight[:, None, :] * allowed[None, :, :]).reshape(-1, len(codes))
    disallowed_w = (code_weight[:, None, :] * ~allowed[None, :, :]).reshape(-1, len(codes))
    return Mixes(code_weight, tgc, allowed_w, disallowed_w, restrictive)
