"""A Nations-sized toy medical KG written for these tests (about 3 KB of triples).

Three clusters (respiratory, digestive, skin); each has four diseases, four symptoms, two drugs and
one department. Every disease belongs to its cluster's department, takes both cluster drugs, has
three of the four cluster symptoms, and accompanies the next disease of its cluster. Held-out
triples are therefore predictable from structure, which a popularity baseline cannot see.
"""

from __future__ import annotations

CLUSTERS = {
    "resp": ("呼吸内科", ["感冒", "肺炎", "支气管炎", "哮喘"], ["咳嗽", "发热", "咽痛", "气喘"],
             ["阿莫西林", "止咳糖浆"]),
    "dig": ("消化内科", ["胃炎", "肠炎", "胃溃疡", "胆囊炎"], ["腹痛", "腹泻", "恶心", "反酸"],
            ["奥美拉唑", "蒙脱石散"]),
    "skin": ("皮肤科", ["湿疹", "荨麻疹", "皮炎", "银屑病"], ["瘙痒", "红斑", "脱屑", "丘疹"],
             ["炉甘石洗剂", "氯雷他定"]),
}


def toy_triples() -> list[tuple[str, str, str]]:
    """(head id, relation type, tail id) with ids like ``Disease:感冒``."""
    triples = []
    for department, diseases, symptoms, drugs in CLUSTERS.values():
        for i, disease in enumerate(diseases):
            d = f"Disease:{disease}"
            triples.append((d, "BELONGS_TO", f"Department:{department}"))
            triples.extend((d, "COMMON_DRUG", f"Drug:{drug}") for drug in drugs)
            triples.extend((d, "HAS_SYMPTOM", f"Symptom:{symptoms[(i + k) % 4]}") for k in range(3))
            triples.append((d, "ACCOMPANY_WITH", f"Disease:{diseases[(i + 1) % 4]}"))
    return triples


def toy_concepts() -> list[tuple[str, str]]:
    """(label, name) of every concept of the toy KG."""
    seen = {}
    for head, _, tail in toy_triples():
        for cid in (head, tail):
            label, name = cid.split(":", 1)
            seen[cid] = (label, name)
    return sorted(seen.values())
