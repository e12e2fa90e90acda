#!/usr/bin/env python3
"""Peak RSS of the worker fed hostile and huge uploads (stdlib only; vips for the large JPEGs if present).

Starts `darkroom serve` (API and worker in one process, embedded defaults, the default worker concurrency)
on a temporary data dir, uploads each file in turn and then all the large ones at once, waits for each to
be processed, and prints the outcome and the process's peak RSS (VmHWM) after each step. The process's
peak is what Kubernetes' memory limit sees.

    bench/worker_rss.py target/release/darkroom
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

PHOTOS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata", "photos")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, colour_type=2, depth=8, rows=None, extra=b""):
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    if rows is None:
        row = b"\0" + bytes(width * channels * depth // 8)
        rows = row * height
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    comp = zlib.compressobj(9)
    data = comp.compress(rows) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def gif_frames(n):
    frame = b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0"
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff" + frame * n + b";"


def content_type(data):
    for magic, kind in ((b"\xff\xd8", "image/jpeg"), (b"\x89PNG", "image/png"), (b"GIF8", "image/gif")):
        if data.startswith(magic):
            return kind
    if data[4:12] == b"ftypheic":
        return "image/heic"
    return "image/svg+xml"


def samples(work):
    out = [
        ("12 Mpx phone JPEG", open(os.path.join(PHOTOS, "iphone_4032x3024.jpg"), "rb").read()),
        # Decoded in the native-codecs build only (a 415 otherwise): a full decode, no shrink-on-load.
        ("8.5 Mpx iPhone HEIC", open(os.path.join(PHOTOS, "IMG_5195.HEIC"), "rb").read()),
        ("PNG zlib bomb: 64 MB of zeros behind a 64x64 header", png(64, 64, rows=bytes(64 << 20))),
        ("PNG iCCP bomb (200 MB profile)", png(16, 16, extra=chunk(b"iCCP", b"x\0\0" + zlib.compress(bytes(200 << 20), 9)))),
        ("PNG pixel flood 100000x100000", png(100_000, 100_000, rows=b"")),
        ("GIF with 10 000 frames", gif_frames(10_000)),
        ("PNG 7000x4500 RGB (31.5 Mpx)", png(7000, 4500)),
        ("PNG 5000x5000 RGBA 16-bit", png(5000, 5000, colour_type=6, depth=16)),
        ("PNG 7071x7071 RGBA (50 Mpx)", png(7071, 7071, colour_type=6)),
        ("SVG", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("truncated 12 Mpx JPEG", open(os.path.join(PHOTOS, "iphone_4032x3024.jpg"), "rb").read()[:1_000_000]),
    ]
    if shutil.which("vips"):
        src = os.path.join(PHOTOS, "iphone_4032x3024.jpg")
        for name, opts in (("8064x6048 JPEG (48.8 Mpx, baseline)", "[Q=90]"), ("8064x6048 JPEG (48.8 Mpx, progressive)", "[Q=90,interlace]")):
            path = os.path.join(work, name.split()[-1].strip("()") + ".jpg")
            subprocess.run(["vips", "resize", src, path + opts, "2"], check=True)
            out.append((name, open(path, "rb").read()))
    return out


class Server:
    def __init__(self, binary, data_dir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(data_dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", data_dir],
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "DARKROOM_MAX_UPLOAD_BYTES": str(200_000_000)},
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        sys.exit("server did not start")

    def call(self, method, path, body=None, token=None, content_type="application/json"):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header("content-type", content_type)
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return {"http_status": e.code, **json.loads(e.read() or b"{}")}

    def peak_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/darkroom"
    work = tempfile.mkdtemp(prefix="darkroom-rss-")
    server = Server(binary, work)
    try:
        body = json.dumps({"username": "rss", "email": "rss@example.org", "password": "a long password"}).encode()
        token = server.call("POST", "/v1/auth/register", body)["access_token"]
        print(f"| upload | outcome | process peak RSS after (MiB) |\n|---|---|---:|\n| (started) | | {server.peak_mib():.0f} |")

        def wait(image_id):
            for _ in range(1200):
                image = server.call("GET", f"/v1/images/{image_id}", token=token)
                if image.get("status") != "processing":
                    return image
                time.sleep(0.1)
            return {"status": "still processing"}

        def outcome(image):
            if "http_status" in image:
                return f"refused at upload: {image['http_status']} {image.get('code', '')}"
            if image.get("status") == "failed":
                return f"failed: {image['failure']['code']}"
            return image.get("status", "?")

        files = samples(work)
        for name, data in files:
            up = server.call("POST", "/v1/images?visibility=private", data, token, content_type(data))
            image = wait(up["id"]) if "id" in up else up
            print(f"| {name} ({len(data):,} bytes) | {outcome(image)} | {server.peak_mib():.0f} |", flush=True)
        # The heaviest accepted ones again, all at once: the worker runs as many jobs as it has cores.
        heavy = [f for f in files if "Mpx" in f[0] and "16-bit" not in f[0]]
        ids = [server.call("POST", "/v1/images?visibility=private", d, token, content_type(d)).get("id") for _, d in heavy]
        results = [outcome(wait(i)) if i else "refused at upload" for i in ids]
        print(f"| all {len(heavy)} large ones at once | {', '.join(results)} | {server.peak_mib():.0f} |")
        # AVIF variants come from follow-up jobs after `ready` (variant_formats): let them run too.
        time.sleep(float(os.environ.get("AVIF_SETTLE_SECS", "60")))
        print(f"| (AVIF follow-up jobs, {os.environ.get('AVIF_SETTLE_SECS', '60')} s later) | | {server.peak_mib():.0f} |")
    finally:
        server.proc.terminate()
        server.proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
