// The sharp side of bench/compare.py: the same jobs as `darkroom thumbnail`, with sharp's defaults
// (fastShrinkOnLoad, 4:2:0, optimised Huffman coding) and its cache off, so repeated runs of one image
// decode every time.
//
//   node sharp_thumbnail.mjs --width W [--height H] [--fit inside|cover|fill] [--format jpeg|webp|png]
//        [--quality Q] [--parallel N] [--upload-variants] -o OUTDIR FILE...
import { basename, extname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.SHARP_DIR ? join(process.env.SHARP_DIR, 'x.js') : import.meta.url);
const sharp = require('sharp');
sharp.cache(false);

const args = process.argv.slice(2);
const opt = { fit: 'inside', format: 'jpeg', quality: 80, parallel: 1, files: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = () => args[++i];
  if (a === '--width') opt.width = Number(next());
  else if (a === '--height') opt.height = Number(next());
  else if (a === '--fit') opt.fit = next();
  else if (a === '--format') opt.format = next();
  else if (a === '--quality') opt.quality = Number(next());
  else if (a === '--parallel') opt.parallel = Number(next());
  else if (a === '--upload-variants') opt.variants = true;
  else if (a === '-o') opt.out = next();
  else opt.files.push(a);
}
mkdirSync(opt.out, { recursive: true });

const encode = (pipeline, format) =>
  format === 'webp' ? pipeline.webp({ quality: opt.quality })
  : format === 'png' ? pipeline.png()
  : pipeline.jpeg({ quality: opt.quality });

// The worker's set: a 256 square thumb and 640/1280/2048 boxes, each as JPEG and WebP.
const VARIANTS = [
  ['thumb', { width: 256, height: 256, fit: 'cover' }],
  ['small', { width: 640, height: 640, fit: 'inside' }],
  ['medium', { width: 1280, height: 1280, fit: 'inside' }],
  ['large', { width: 2048, height: 2048, fit: 'inside' }],
];

async function one(file) {
  const stem = basename(file, extname(file));
  if (opt.variants) {
    // One input, every output cloned from it: sharp's way to produce a set (each clone decodes again,
    // shrunk on load for its own size).
    const input = sharp(file).rotate();
    const jobs = [];
    for (const [name, box] of VARIANTS) {
      for (const format of ['jpeg', 'webp']) {
        const p = input.clone().resize({ ...box, withoutEnlargement: true });
        jobs.push(encode(p, format).toFile(join(opt.out, `${stem}-${name}.${format}`)));
      }
    }
    await Promise.all(jobs);
    return;
  }
  const p = sharp(file).rotate().resize({
    width: opt.width, height: opt.height, fit: opt.fit, withoutEnlargement: true,
  });
  await encode(p, opt.format).toFile(join(opt.out, `${stem}.${opt.format}`));
}

let next = 0;
async function worker() {
  while (next < opt.files.length) await one(opt.files[next++]);
}
await Promise.all(Array.from({ length: opt.parallel }, worker));
