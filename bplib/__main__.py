"""``python -m bplib``: the same as the ``bplib`` command.

The command belongs to the instructor's tools; it is found through the installed
package's metadata, so the library itself imports nothing of them.
"""
import sys
from importlib.metadata import entry_points


def main():
    (command,) = entry_points(group="console_scripts", name="bplib")
    return command.load()()


if __name__ == "__main__":
    sys.exit(main())
