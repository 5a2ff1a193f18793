#!/usr/bin/env bash
# Prints the path of a CPython X.Y interpreter, or nothing. uv does not see pyenv's versions
# through its shims, so look in pyenv's own folders first, then on PATH.
set -u
v="$1"
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for d in $(ls -d "$root"/versions/"$v".* "$root"/versions/"$v" 2>/dev/null | sort -V -r); do
    if [ -x "$d/bin/python" ]; then echo "$d/bin/python"; exit 0; fi
  done
fi
if p=$(command -v "python$v" 2>/dev/null) && "$p" -c 'import sys' >/dev/null 2>&1; then
  echo "$p"
fi
