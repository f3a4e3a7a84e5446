#!/usr/bin/env bash
# Fails, naming the files, when a C++ file of the repository is not formatted
# with the root .clang-format (clang-format 14, Debian 12's). Fix with:
#   git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=()
while IFS= read -r file; do
  if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
    unformatted+=("$file")
  fi
done < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ ${#unformatted[@]} -ne 0 ]; then
  echo "check-format: not formatted with .clang-format (run clang-format -i on them):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "check-format: all C++ files formatted"
