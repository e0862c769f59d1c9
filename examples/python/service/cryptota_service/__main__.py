"""`python3 -m cryptota_service`: serve the API with uvicorn on HOST:PORT (default 127.0.0.1:8001).

Configuration errors are printed as one clear line and exit with status 2.
"""

import sys


def main() -> int:
    from .config import ConfigError, load_settings
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"cryptota-service: configuration error: {e}", file=sys.stderr)
        return 2
    import uvicorn
    from .app import create_app
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
