# medkg application image; the database comes from NEO4J_URI (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /opt/medkg
COPY pyproject.toml README.md ./
COPY graph graph
COPY embeddings embeddings
COPY extractor extractor
COPY linker linker
COPY cypher cypher
COPY data/sample data/sample
RUN pip install --no-cache-dir -e . && useradd --create-home medkg
USER medkg
CMD ["medkg", "demo"]
