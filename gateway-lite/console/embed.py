#!/usr/bin/env python3
"""Writes the console's static files into a C++ source file: their bytes and
a table of (path, content type, bytes), which console.cpp serves.

    embed.py OUTPUT.cpp FILE...

A file's path in the table is its path under console/ ("app.js",
"vendor/chart.min.js"); a file outside console/ stops the build. Its content
type comes from its extension, and an extension not listed here stops the
build rather than be served with a guessed type."""

import os
import sys

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.txt': 'text/plain; charset=utf-8',
}


def c_bytes(data):
    lines = []
    for i in range(0, len(data), 20):
        lines.append('    ' + ', '.join(str(b) for b in data[i:i + 20]) + ',')
    return '\n'.join(lines)


def main(argv):
    if len(argv) < 3:
        sys.exit('usage: embed.py OUTPUT.cpp FILE...')
    output, files = argv[1], argv[2:]
    parts = ['// Written by gateway-lite/console/embed.py from gateway-lite/console/: do not edit.',
             '#include "console.hpp"', '', 'namespace ostor::gw {', '', 'namespace {', '']
    rows = []
    console_dir = os.path.dirname(os.path.abspath(__file__))
    names = [os.path.relpath(os.path.abspath(path), console_dir).replace(os.sep, '/') for path in files]
    for n, (name, path) in enumerate(sorted(zip(names, files))):
        if name.startswith('../'):
            sys.exit(f'embed.py: {path} is not under {console_dir}')
        ext = os.path.splitext(name)[1]
        if ext not in CONTENT_TYPES:
            sys.exit(f'embed.py: {name}: no content type known for "{ext}"')
        with open(path, 'rb') as f:
            data = f.read()
        # A trailing 0 keeps an empty file's array legal; the size excludes it.
        array = c_bytes(data + bytes(1))
        parts.append(f'const unsigned char kFile{n}[] = {{\n{array}\n}};')
        rows.append(f'    {{"{name}", "{CONTENT_TYPES[ext]}", '
                    f'{{reinterpret_cast<const char*>(kFile{n}), {len(data)}}}}},')
    parts += ['', 'const ConsoleFile kFiles[] = {'] + rows + ['};', '', '}  // namespace', '',
              'std::span<const ConsoleFile> console_files() { return kFiles; }', '',
              '}  // namespace ostor::gw', '']
    text = '\n'.join(parts)
    with open(output, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main(sys.argv)
