"""The ``bplib`` command (also ``python -m bplib``): the instructor's tools.

bplib student makes the student notebooks from the solutions; bplib grade
grades submissions against them.
"""
import argparse
import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

# name: (module, one-line help, example). Each module provides add_arguments(parser)
# and run(args) -> exit code. Only the module of the command given is imported, so
# `bplib --help` answers at once.
COMMANDS = {
    "student": ("bpinstructor.student", "make the student notebooks from the solutions",
                "bplib student solutions/ notebooks/ --execute-solutions\n"
                "  bplib student solutions/ notebooks/ --check"),
    "grade": ("bpinstructor.grading.cli", "grade student submissions against the solutions",
              "bplib grade submissions/ --solutions solutions/ --csv scores.csv "
              "--feedback feedback/"),
}


def _version():
    try:
        return version("bplib")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def parser_for(command=None):
    """The argument parser; only ``command``'s own options are loaded.

    Parameters
    ----------
    command : str, optional
        A key of ``COMMANDS``, or None for the top level alone.

    Returns
    -------
    argparse.ArgumentParser
    """
    examples = "\n".join(f"  {example}" for _, _, example in COMMANDS.values())
    parser = argparse.ArgumentParser(
        prog="bplib", description=__doc__.split("\n\n")[1],
        epilog=f"examples:\n{examples}\n\n`bplib COMMAND --help` lists a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bplib {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text, example) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:],
                           epilog=f"example:\n  {example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(module=module)
        if name == command:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = parser_for(command if command in COMMANDS else None).parse_args(argv)
    return importlib.import_module(args.module).run(args)


if __name__ == "__main__":
    sys.exit(main())
