# medkg application image; the database comes from NEO4J_URI (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /opt/medkg
COPY pyproject.toml README.md constraints.txt ./
COPY core core
COPY kgmodel kgmodel
COPY graph graph
COPY app app
COPY embeddings embeddings
COPY extractor extractor
COPY linker linker
COPY cypher cypher
COPY data/sample data/sample
# the same pinned set as the venv (make venv): every transitive dependency from constraints.txt
RUN pip install --no-cache-dir -c constraints.txt -e . && useradd --create-home medkg
USER medkg
CMD ["medkg", "demo"]
