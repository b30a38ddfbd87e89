"""Configuration classes; every setting can come from the environment."""

import os

# The key used when SECRET_KEY is not set; ProductionConfig refuses to start with it.
DEV_SECRET_KEY = "dev-only-insecure-key"


class Config:
    """Settings shared by every environment, read from the environment where set."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    # A SQLAlchemy URL. None means a SQLite file in the instance folder (set by create_app).
    DATABASE_URL = os.environ.get("DATABASE_URL") or None
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in {"1", "true", "yes"}
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "registry@localhost")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    PAGE_SIZE = 25
    # Review assignments: days to accept or decline, and days to submit the review.
    REVIEW_RESPONSE_DAYS = int(os.environ.get("REVIEW_RESPONSE_DAYS", "7"))
    REVIEW_DUE_DAYS = int(os.environ.get("REVIEW_DUE_DAYS", "21"))
    # The largest request body accepted (uploaded badges and catalogue files included).
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    REQUIRE_SECRET_KEY = False
    # Above this many qualifications an evaluation is answered only under the costs whose
    # empty-wallet answers `flask stacking prepare` kept for the catalogue (503 otherwise):
    # computing them inside a request takes minutes and gigabytes at a million credentials.
    STACKING_ON_DEMAND_LIMIT = int(os.environ.get("STACKING_ON_DEMAND_LIMIT", "5000"))
    # Seconds a server trusts the search index revision it last read before reading it again:
    # remembered search answers may lag a change by this long (0: never).
    SEARCH_ANSWER_TTL = float(os.environ.get("SEARCH_ANSWER_TTL", "1"))
    # Seconds a server trusts what it last read to decide whether a credential page kept for
    # visitors is still current: such a page may lag a change by this long (0: never).
    VISITOR_PAGE_TTL = float(os.environ.get("VISITOR_PAGE_TTL", "1"))


class DevelopmentConfig(Config):
    """Local development and the demo, on SQLite unless DATABASE_URL says otherwise."""


class TestingConfig(Config):
    """The test suite: CSRF stays on, like in production."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    BASE_URL = "http://registry.test"
    SEARCH_ANSWER_TTL = 0.0  # each test changes the index and searches at once
    VISITOR_PAGE_TTL = 0.0  # and changes the catalogue and looks at a page at once


class ProductionConfig(Config):
    """Behind gunicorn: a real secret key is required."""

    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    # The "keep me logged in" cookie is as good as a password: HTTPS only, like the session.
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REQUIRE_SECRET_KEY = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def default_config() -> type[Config]:
    """The configuration class named by REGISTRY_ENV (development by default)."""
    return CONFIGS[os.environ.get("REGISTRY_ENV", "development")]
