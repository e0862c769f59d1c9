"""Execute a notebook headless (nbclient, python3 kernel) and fail on any cell error."""

import os
import sys

import nbformat
from nbclient import NotebookClient


def main() -> int:
    path = sys.argv[1]
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(path)}})
    client.execute()
    n = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"{path}: {n} code cells ran without error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
