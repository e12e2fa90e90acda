#!/usr/bin/env python3
"""Side-by-side benchmark: sharp, libvips' vipsthumbnail and `darkroom thumbnail` on the same images.

Run through bench/compare.sh, which installs the tools and builds darkroom. For every job and mode the
three tools run in alternation, `--runs` times; each run processes `--repeat` copies (symlinks) of the
image and, to take process start-up out, the same job with one copy: ms per image is
(T(repeat) - T(1)) / (repeat - 1), the median over runs. Peak RSS is the largest resident set of the
`repeat` run (summed over processes where a tool needs one process per core). CPU ms per image is
measured like ms per image, from user + system time: it barely depends on what else the machine runs.
Quality is PSNR against a
reference made independently with Pillow: full decode, EXIF orientation, ICC profile to sRGB, Lanczos
resize (after a centre crop for square thumbnails) to each output's exact size.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps

JOBS = [
    # name, image key, width, format, upload-variants job
    ("12 Mpx JPEG -> 800 px JPEG q80", "12mpx", 800, "jpeg", False),
    ("12 Mpx JPEG -> 400 px JPEG q80", "12mpx", 400, "jpeg", False),
    ("12 Mpx JPEG -> 800 px WebP q80", "12mpx", 800, "webp", False),
    ("12 Mpx JPEG -> upload variants (4 sizes x JPEG+WebP)", "12mpx", None, None, True),
    ("48 Mpx JPEG (generated) -> 800 px JPEG q80", "48mpx", 800, "jpeg", False),
    ("testdata photos (JPEG, TIFF) -> 800 px JPEG q80", "photos", 800, "jpeg", False),
]
VARIANT_BOXES = {"thumb": (256, True), "small": (640, False), "medium": (1280, False), "large": (2048, False)}


def commands(tool, job, files, out, parallel, env):
    """The command lines (one per process) that run `job` over `files` with `parallel` images in flight."""
    _, _, width, fmt, variants = job
    if tool == "sharp":
        cmd = ["node", str(Path(__file__).with_name("sharp_thumbnail.mjs")), "--parallel", str(parallel), "-o", out]
        cmd += ["--upload-variants"] if variants else ["--width", str(width), "--format", fmt, "--quality", "80"]
        return [cmd + files]
    if tool == "darkroom":
        cmd = [env["darkroom"], "thumbnail", "--threads", str(parallel), "-o", out]
        cmd += ["--upload-variants"] if variants else ["--width", str(width), "--format", fmt, "--quality", "80"]
        return [cmd + files]
    if tool == "vips":
        if variants:
            return None  # vipsthumbnail makes one output per decode: no like-for-like set
        suffix = f"[Q=80,optimize_coding,strip]" if fmt == "jpeg" else "[Q=80,strip]"
        ext = "jpeg" if fmt == "jpeg" else "webp"
        # vipsthumbnail handles its files one after another: one process per image in flight. `>`: never
        # enlarge, as sharp (withoutEnlargement) and darkroom do.
        chunks = [files[i::parallel] for i in range(parallel)]
        return [
            ["vipsthumbnail", "--vips-cache-max", "0", "-s", f"{width}x>", "-o", f"{out}/%s.{ext}{suffix}"] + chunk
            for chunk in chunks
            if chunk
        ]
    raise ValueError(tool)


def run(cmds):
    """Runs the processes concurrently; returns (wall seconds, summed peak RSS in KiB, CPU seconds)."""
    started = time.perf_counter()
    procs = []
    for cmd in cmds:
        rss_file = tempfile.NamedTemporaryFile(delete=False)
        rss_file.close()
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file.name] + cmd
        procs.append((subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), rss_file.name))
    rss, cpu = 0, 0.0
    for proc, rss_path in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(proc.args)}\n{err.decode()[-2000:]}")
        peak, user, system = Path(rss_path).read_text().strip().splitlines()[-1].split()
        rss += int(peak)
        cpu += float(user) + float(system)
        os.unlink(rss_path)
    return time.perf_counter() - started, rss, cpu


def reference(source, size, crop):
    """The source, fully decoded, upright, in sRGB, resized with Lanczos to `size` (w, h)."""
    img = Image.open(source)
    img = ImageOps.exif_transpose(img)
    icc = img.info.get("icc_profile")
    img = img.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(__import__("io").BytesIO(icc))
            img = ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # an unusable profile: compare as sRGB, as the tools then do
            pass
    if crop:
        w, h = img.size
        want = size[0] / size[1]
        if w / h > want:
            cw = round(h * want)
            img = img.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
        else:
            ch = round(w / want)
            img = img.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return np.asarray(img.resize(size, Image.LANCZOS), dtype=np.float64)


def psnr(output, source, crop):
    out = Image.open(output).convert("RGB")
    ref = reference(source, out.size, crop)
    mse = np.mean((np.asarray(out, dtype=np.float64) - ref) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def quality(job, source, out_dir):
    """Mean PSNR and total bytes of the outputs made from `source` (the first input of the job)."""
    stem = Path(source).stem
    outs = sorted(p for p in Path(out_dir).iterdir() if p.name.startswith(stem + ".") or p.name.startswith(stem + "-"))
    scores, total = [], 0
    for p in outs:
        variant = p.stem.rsplit("-", 1)[-1] if job[4] else None
        crop = bool(variant and VARIANT_BOXES.get(variant, (0, False))[1])
        scores.append(psnr(p, source, crop))
        total += p.stat().st_size
    return (statistics.mean(scores) if scores else float("nan")), total


def inputs(sources, count, workdir):
    """`count` symlinks cycling through `sources`, so every file name (and output) is distinct."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        src = Path(sources[i % len(sources)])
        link = workdir / f"{src.stem}.{i:03d}{src.suffix}"
        if not link.exists():
            link.symlink_to(src.resolve())
        files.append(str(link))
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--darkroom", required=True)
    ap.add_argument("--large", required=True, help="the generated large JPEG")
    ap.add_argument("--photos", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=12)
    ap.add_argument("--jobs", default="", help="comma-separated job numbers (1-based); default all")
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()

    photos = Path(args.photos)
    images = {
        "12mpx": [str(photos / "iphone_4032x3024.jpg")],
        "48mpx": [args.large],
        "photos": sorted(str(p) for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".tiff", ".tif")),
    }
    env = {"darkroom": args.darkroom}
    cores = os.cpu_count() or 1
    tools = ["sharp", "vips", "darkroom"]
    selected = [JOBS[int(n) - 1] for n in args.jobs.split(",") if n] or JOBS
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="darkroom-bench-"))
    try:
        for job in selected:
            for mode, parallel in (("one at a time", 1), (f"one per core ({cores})", cores)):
                repeat = args.repeat if job[1] != "48mpx" else max(3, args.repeat // 4)
                files_n = inputs(images[job[1]], max(repeat, len(images[job[1]])), tmp / "in" / job[1])
                files_1 = files_n[:parallel]
                times = {t: [] for t in tools}
                cpus = {t: [] for t in tools}
                rss = {t: 0 for t in tools}
                for r in range(args.runs):
                    # Alternate the order so no tool always runs on a warmer (or hotter) machine.
                    order = tools[r % len(tools):] + tools[: r % len(tools)]
                    for tool in order:
                        out = tmp / "out" / tool
                        shutil.rmtree(out, ignore_errors=True)
                        out.mkdir(parents=True)
                        cmd_n = commands(tool, job, files_n, str(out), parallel, env)
                        if cmd_n is None:
                            continue
                        t1, _, c1 = run(commands(tool, job, files_1, str(out), parallel, env))
                        tn, peak, cn = run(cmd_n)
                        # Wall time per image: in the parallel mode, the inverse of the throughput.
                        extra = len(files_n) - len(files_1)
                        times[tool].append((tn - t1) / extra * 1000)
                        # CPU time per image: what the image costs whatever else the machine runs.
                        cpus[tool].append((cn - c1) / extra * 1000)
                        rss[tool] = max(rss[tool], peak)
                for tool in tools:
                    if not times[tool]:
                        continue
                    out = tmp / "out" / tool
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir(parents=True)
                    run(commands(tool, job, files_n[:1], str(out), 1, env))
                    score, size = quality(job, files_n[0], out)
                    ms = statistics.median(times[tool])
                    cpu = statistics.median(cpus[tool])
                    rows.append((job[0], mode, tool, ms, 1000 / ms, rss[tool] / 1024, size, score, cpu))
                print_table(rows, sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(rows, sys.stdout)
    if args.markdown:
        with open(args.markdown, "w") as f:
            print_table(rows, f)


def print_table(rows, out):
    sharp = {(r[0], r[1]): r for r in rows if r[2] == "sharp"}
    print("| job | mode | tool | ms/image | images/s | x sharp | CPU ms/image | x sharp | peak RSS MiB | x sharp | output bytes | x sharp | PSNR dB | vs sharp |", file=out)
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", file=out)
    for job, mode, tool, ms, ips, rss, size, score, cpu in rows:
        s = sharp.get((job, mode))
        ratio = lambda a, b: f"{a / b:.2f}" if s and b else "-"
        delta = f"{score - s[7]:+.2f}" if s else "-"
        print(
            f"| {job} | {mode} | {tool} | {ms:.1f} | {ips:.1f} | {ratio(s[3], ms) if s else '-'} | "
            f"{cpu:.1f} | {ratio(s[8], cpu) if s else '-'} | {rss:.0f} | "
            f"{ratio(rss, s[5]) if s else '-'} | {size} | {ratio(size, s[6]) if s else '-'} | {score:.2f} | {delta} |",
            file=out,
        )
    out.flush()


if __name__ == "__main__":
    main()
