import { UploadPartCommand } from '@aws-sdk/client-s3';
import { partCount } from '../core/part-size';
import { CopyCheckpointedError, IntegrityError } from '../errors';
import { abortUpload } from './abort-upload';
import type { DonePart } from './complete-upload';
import { completeUpload } from './complete-upload';
import { openUpload } from './open-upload';
import { PartBuffers } from './part-buffers';
import { PAYLOAD_HASH_STEP, payloadHash } from './payload-hash';
import { runPartPool } from './part-pool';
import { readSource } from './source-read';
import type { CopyRequest, CopyResult } from './types';

/**
 * Resumable multipart copy: each part is a ranged, pinned GetObject read into one buffer and an
 * UploadPart whose signed payload hash the destination verifies, at most `partsInFlight` at once. When the invocation runs short of
 * time it stops starting parts and throws CopyCheckpointedError, leaving upload and checkpoint for
 * the next attempt. An IntegrityError aborts the upload; any other error keeps it to resume.
 */
export async function copyMultipart(request: CopyRequest, partSize: number): Promise<CopyResult> {
  const { source, destination, checkpoints, signal } = request;
  const { size } = source.version;
  const total = partCount(size, partSize);
  const buffers = request.buffers ?? new PartBuffers(request.partsInFlight * partSize);
  const upload = await openUpload(request, partSize, buffers);
  const target = { bucket: destination.bucket, key: destination.key, uploadId: upload.uploadId };

  // Every part in place: listed ones of the right size (others are uploaded again), then ours.
  const done = new Map<number, DonePart>();
  for (const p of upload.listed) {
    if (p.partNumber >= 1 && p.partNumber <= total && p.size === partLength(p.partNumber)) {
      done.set(p.partNumber, { etag: p.etag });
    }
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !done.has(n));
  // Part buffers come from the budget shared by every copy in the process; part 1 comes already read.
  let firstPart = upload.firstPart;

  async function copyPart(partNumber: number): Promise<void> {
    const prefetched = partNumber === 1 ? firstPart : undefined;
    if (partNumber === 1) firstPart = undefined;
    const buffer = prefetched?.buffer ?? (await buffers.acquire(partSize));
    try {
      const range = { start: (partNumber - 1) * partSize, length: partLength(partNumber) };
      const bytes = prefetched?.bytes ?? (await readSource(source.client, source.version, range, signal, buffer)).bytes;
      await uploadPart(partNumber, bytes);
    } finally {
      buffers.release(buffer);
    }
  }

  async function uploadPart(partNumber: number, bytes: Buffer): Promise<void> {
    // The signed payload hash is the part's integrity check (the destination verifies it); no
    // Content-MD5 on top: one hash per byte instead of two.
    const command = new UploadPartCommand({
      Bucket: target.bucket,
      Key: target.key,
      UploadId: target.uploadId,
      PartNumber: partNumber,
      Body: bytes,
      ContentLength: bytes.length,
    });
    command.middlewareStack.add(payloadHash(bytes), PAYLOAD_HASH_STEP);
    const uploaded = await destination.client.send(command, { abortSignal: signal });
    if (!uploaded.ETag) throw new Error(`UploadPart ${partNumber} of ${target.key} returned no ETag`);
    done.set(partNumber, { etag: uploaded.ETag });
  }

  function partLength(partNumber: number): number {
    return Math.min(partSize, size - (partNumber - 1) * partSize);
  }

  try {
    const { stopped } = await runPartPool(
      missing,
      request.partsInFlight,
      () => request.remainingTimeMs() < request.checkpointMarginMs,
      copyPart,
    );
    if (stopped && done.size < total) throw new CopyCheckpointedError(done.size, total);
  } catch (err) {
    if (err instanceof IntegrityError) {
      await abortUpload(destination.client, target, signal);
      await checkpoints.clear();
    }
    throw err;
  } finally {
    // Part 1 read but never uploaded (stopped or failed before it started): its buffer goes back.
    if (firstPart) buffers.release(firstPart.buffer);
    firstPart = undefined;
  }

  const result = await completeUpload(request, target, done, total, upload.tags, upload.resumed).catch(async (err: unknown) => {
    // The destination refuses the parts we list (e.g. a stale checkpoint): start afresh next time.
    if (err instanceof Error && (err.name === 'InvalidPart' || err.name === 'InvalidPartOrder')) {
      await abortUpload(destination.client, target, signal);
      await checkpoints.clear();
    }
    throw err;
  });
  await checkpoints.clear();
  return { ...result, parts: total, resumed: upload.resumed };
}
