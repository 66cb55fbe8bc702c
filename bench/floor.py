"""The read-and-tokenize floor of the benchmark (bench/scale.py):
`python3 bench/floor.py REPO` reads every file pipelint reads (Python, SQL,
YAML, TOML, CODEOWNERS; not .git) and tokenizes it: the `tokenize` module for
Python, a simple word/number/string/punctuation scanner for the rest. It
prints the file, byte and token counts. No parsing, no graph: no linter of
these files can be faster than this single process.
"""

import io
import os
import re
import sys
import tokenize

READ = (".py", ".sql", ".yml", ".yaml", ".toml")
# Strings, quoted names, numbers, words, Jinja delimiters, then any other
# non-space character: enough to split SQL, YAML and TOML into tokens.
TOKEN = re.compile(
    rb"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\d+(?:\.\d+)?|\w+|\{\{|\}\}|\{%|%\}|\S"
)


def main(root):
    files = size = tokens = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(names):
            if not (name.endswith(READ) or name == "CODEOWNERS"):
                continue
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            files += 1
            size += len(data)
            if name.endswith(".py"):
                try:
                    tokens += sum(1 for _ in tokenize.tokenize(io.BytesIO(data).readline))
                except (tokenize.TokenError, SyntaxError):
                    pass
            else:
                tokens += len(TOKEN.findall(data))
    print(f"{files} files, {size} bytes, {tokens} tokens")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
