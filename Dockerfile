# postmortem-sync worker image: runs `postmortem-sync run` as a non-root user.
# State (SQLite database, reports) lives in the /data volume; definitions and the teams
# file are mounted read-only at /config; tokens come as container secrets (/run/secrets).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY sync ./sync
COPY connectors ./connectors
COPY config ./config
COPY examples ./examples

# The same install step as README.md.
RUN pip install --no-cache-dir . \
    && groupadd --system --gid 10001 pmsync \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin pmsync \
    && mkdir -p /data /config \
    && chown pmsync:pmsync /data

ENV PMSYNC_DATABASE_URL=sqlite:////data/postmortem-sync.db \
    PMSYNC_REPORTS_DIR=/data/reports \
    PMSYNC_POSTMORTEMS_DIR=/config/postmortems \
    PMSYNC_TEAMS_FILE=/config/teams.yaml

VOLUME ["/data"]
WORKDIR /data
USER 10001:10001

ENTRYPOINT ["postmortem-sync"]
CMD ["run"]
