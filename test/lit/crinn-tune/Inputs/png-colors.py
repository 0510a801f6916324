#!/usr/bin/env python3
"""png-colors.py <png> <#rrggbb>...: checks that a screenshot shows each
colour (within a small tolerance, for antialiasing) on at least 20 pixels, and
prints how many pixels of each it found. Standard library only: a PNG decoder
for the 8-bit RGB/RGBA, non-interlaced images Chromium writes."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or color not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    channels = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    previous, rows = bytearray(stride), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1: line[i] = (line[i] + left) & 255
            elif kind == 2: line[i] = (line[i] + up) & 255
            elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    for line in rows:
        for x in range(width):
            yield tuple(line[x * channels:x * channels + 3])


def main():
    path, wanted = sys.argv[1], [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in sys.argv[2:]]
    counts = [0] * len(wanted)
    for rgb in pixels(path):
        for i, want in enumerate(wanted):
            if all(abs(a - b) <= 24 for a, b in zip(rgb, want)):
                counts[i] += 1
    missing = [sys.argv[2 + i] for i, n in enumerate(counts) if n < 20]
    for colour, n in zip(sys.argv[2:], counts):
        print(f"{colour}: {n} pixels")
    if missing:
        sys.exit(f"{path}: no {' '.join(missing)} on the page")


main()
