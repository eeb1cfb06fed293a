"""medkg linker: gazetteer matching and mention -> KG concept linking (a pure library).

Imports only NumPy, rapidfuzz, pyahocorasick, OpenCC, pydantic and ``core``; never ``graph``, ``neo4j`` or torch.

Example:
    >>> from linker import ConceptRecord, Linker
    >>> linker = Linker([ConceptRecord("Drug:来氟米特片", "Drug", "来氟米特片")])
    >>> linker.link("爱若华", type="药物").best.concept_id
    'Drug:来氟米特片'
"""

from linker.config import (
    BlockingConfig,
    FuzzyConfig,
    GazetteerConfig,
    IndexConfig,
    LinkerConfig,
    NormalizerConfig,
    VectorConfig,
)
from linker.gazetteer import Gazetteer, GazetteerMatch, Segmentation
from linker.index import ConceptIndex
from linker.linker import Linker
from linker.normalize import Normalizer
from linker.records import KG_TYPES, Candidate, ConceptRecord, LinkResult
from linker.typemap import resolve_type

__all__ = [
    "KG_TYPES",
    "BlockingConfig",
    "Candidate",
    "ConceptIndex",
    "ConceptRecord",
    "FuzzyConfig",
    "Gazetteer",
    "GazetteerConfig",
    "GazetteerMatch",
    "IndexConfig",
    "LinkResult",
    "Linker",
    "LinkerConfig",
    "Normalizer",
    "NormalizerConfig",
    "Segmentation",
    "VectorConfig",
    "resolve_type",
]
