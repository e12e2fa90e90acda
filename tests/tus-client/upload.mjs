// Uploads a photo to a running Darkroom with tus-js-client, unchanged: in chunks smaller than the photo
// (several PATCHes), stopped half-way and resumed from the offset the server reports, then waits for the
// image to be processed and checks its size and SHA-256. Run by scripts/tus-client.
//
//   DARKROOM_URL=http://127.0.0.1:8080 DARKROOM_TOKEN=<access token> PHOTO=path/to.jpg node upload.mjs
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import * as tus from 'tus-js-client'

const base = process.env.DARKROOM_URL
const token = process.env.DARKROOM_TOKEN
const photoPath = process.env.PHOTO
if (!base || !token || !photoPath) {
  console.error('set DARKROOM_URL, DARKROOM_TOKEN and PHOTO')
  process.exit(2)
}
const photo = readFileSync(photoPath)
// Several PATCHes for any photo over 1 MiB, each far under S3's 5 MiB part minimum.
const chunkSize = Math.max(256 * 1024, Math.ceil(photo.length / 8))
const headers = { Authorization: `Bearer ${token}` }
const fail = (message) => {
  console.error(`tus-client: ${message}`)
  process.exit(1)
}

function options (extra) {
  return {
    endpoint: `${base}/v1/tus/`,
    headers,
    chunkSize,
    retryDelays: null,
    metadata: { filename: basename(photoPath), filetype: 'image/jpeg', visibility: 'private' },
    ...extra
  }
}

// First attempt: creation with its first chunk, then PATCHes, stopped after the second chunk.
let patches = 0
const uploadUrl = await new Promise((resolve, reject) => {
  const upload = new tus.Upload(photo, options({
    uploadDataDuringCreation: true,
    onError: reject,
    onSuccess: () => reject(new Error('the first attempt was meant to stop half-way')),
    onChunkComplete: (_size, accepted) => {
      patches++
      if (patches === 2) {
        upload.abort(false).then(() => resolve({ url: upload.url, accepted }), reject)
      }
    }
  }))
  upload.start()
}).catch((err) => fail(`first attempt: ${err}`))
console.log(`tus-client: stopped at ${uploadUrl.accepted} of ${photo.length} bytes (${uploadUrl.url})`)

// Second attempt: resumes the same upload from the offset HEAD reports, to the end.
let resumedFrom = null
let imageId = null
await new Promise((resolve, reject) => {
  const upload = new tus.Upload(photo, options({
    uploadUrl: uploadUrl.url,
    onError: reject,
    onProgress: (sent) => { if (resumedFrom === null) resumedFrom = sent },
    onChunkComplete: () => { patches++ },
    onAfterResponse: (_req, res) => {
      const id = res.getHeader('Darkroom-Image-Id')
      if (id) imageId = id
    },
    onSuccess: resolve
  }))
  upload.start()
}).catch((err) => fail(`resumed attempt: ${err}`))
if (resumedFrom === null || resumedFrom < uploadUrl.accepted) fail(`did not resume (first progress ${resumedFrom})`)
if (patches < 3) fail(`only ${patches} PATCHes: the chunk size should make several`)
if (!imageId) fail('the last PATCH named no image (Darkroom-Image-Id)')
console.log(`tus-client: ${patches} chunks, resumed at ${resumedFrom}, image ${imageId}`)

// The image is processed like any upload.
const sha256 = createHash('sha256').update(photo).digest('hex')
const deadline = Date.now() + 60_000
for (;;) {
  const response = await fetch(`${base}/v1/images/${imageId}`, { headers })
  if (!response.ok) fail(`getImage answered ${response.status}`)
  const image = await response.json()
  if (image.status === 'ready') {
    if (image.bytes !== photo.length) fail(`the image has ${image.bytes} bytes, not ${photo.length}`)
    if (image.sha256 !== sha256) fail(`the image's sha256 is ${image.sha256}, not ${sha256}`)
    console.log(`tus-client: image ${imageId} ready (${image.width}x${image.height})`)
    break
  }
  if (image.status === 'failed') fail(`processing failed: ${JSON.stringify(image.failure)}`)
  if (Date.now() > deadline) fail('the image was not ready within 60 s')
  await new Promise((resolve) => setTimeout(resolve, 250))
}
