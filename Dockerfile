# Ops Maturity: one image for the web app (gunicorn), the Celery worker and beat.
# docker-compose.yml runs all three from it. Configuration comes only from the
# environment at run time (opsmaturity/settings.py); nothing secret is baked in.
FROM python:3.11-slim

# settings.py derives BASE_DIR (templates/, static/, staticfiles/, var/) from
# where opsmaturity/ lives, so the code runs from /app (PYTHONPATH), not from the
# copy `pip install .` puts in site-packages. WEB_CONCURRENCY is gunicorn's
# worker count (its own default is a single worker).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    OPS_VAR_DIR=/app/var \
    WEB_CONCURRENCY=3

WORKDIR /app

# An unprivileged user without a login shell or a home directory.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

# Production dependencies only (no [test] extras). Copying just what the
# install needs keeps this layer cached until pyproject.toml or the code changes.
COPY pyproject.toml ./
COPY opsmaturity ./opsmaturity
RUN pip install . && rm -rf build opsmaturity.egg-info

COPY . .

# The SECRET_KEY is a throwaway that exists for this one command (settings
# refuse to load without one); DEBUG stays off so collectstatic writes the
# hashed, compressed files whitenoise's manifest storage serves. The code and
# staticfiles/ stay root-owned, read-only to app; var/ is the one folder the
# app may write to.
RUN mkdir -p var \
    && SECRET_KEY=collectstatic-build-only-not-a-secret-never-used-to-sign-anything python manage.py collectstatic --no-input \
    && chown -R app:app var

USER app:app

EXPOSE 8000

# No curl in slim: ask /healthz with urllib; an HTTP error (503) exits non-zero.
# Django checks the Host header, so send the first concrete ALLOWED_HOSTS entry.
# The worker and beat run from this image too: compose gives them their own checks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = next((x.strip().lstrip('.') for x in os.environ.get('ALLOWED_HOSTS', '').split(',') if x.strip() not in ('', '*')), 'localhost'); u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# gunicorn's control socket would go under $HOME, which the app user lacks.
CMD ["gunicorn", "opsmaturity.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--no-control-socket"]
