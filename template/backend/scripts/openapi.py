"""Print the service's OpenAPI document, built from the app itself (no server needed).

python -m scripts.openapi > openapi.json
"""

import json
import sys

from app.core.config import Environment, Settings
from app.main import create_app


def document() -> str:
    # Local defaults, not the .env: the document is the same in every environment, and the
    # export must not depend on the secrets a deployed environment needs.
    app = create_app(Settings(_env_file=None, environment=Environment.LOCAL))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    sys.stdout.write(document())


if __name__ == "__main__":
    main()
