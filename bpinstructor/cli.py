"""The ``bplib`` command: ``bplib student`` makes the student notebooks,
``bplib grade`` grades submissions against the solutions."""
import argparse
import importlib
import sys

# Each command lives in its own module, which provides add_arguments(parser)
# and run(args) -> exit code; importing them lazily keeps `bplib --help` fast.
COMMANDS = {
    "student": ("bpinstructor.student", "generate notebooks/ from solutions/"),
    "grade": ("bpinstructor.grading.cli", "grade student submissions against the solutions"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bplib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(module=module)
        importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    return importlib.import_module(args.module).run(args)


if __name__ == "__main__":
    sys.exit(main())
