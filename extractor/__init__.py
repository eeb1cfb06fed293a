"""The knowledge-enhanced NER tagger (CBT-KG): encoders, KG fusion, char features, BiLSTM-CRF, plugins.

Submodules are imported on demand (``from extractor.checkpoint import load_tagger``) so that importing
``extractor`` does not import torch.
"""

__all__: list[str] = []
