import { partSize } from '../core/part-size';
import { copyMultipart } from './multipart';
import { copySinglePart } from './single-part';
import type { CopyRequest, CopyResult } from './types';

/**
 * Copy one pinned source version to the destination: one PutObject when it fits in one part,
 * else a resumable multipart copy. Throws CopyCheckpointedError when the invocation runs out of
 * time (retry to resume), IntegrityError when bytes do not match, SourceAccessDeniedError or a
 * PermanentError('source-archived') when the source can never be read; 412 PreconditionFailed,
 * NoSuchVersion and NoSuchKey pass through for the caller to re-plan.
 */
export async function copyVersion(request: CopyRequest): Promise<CopyResult> {
  const size = partSize(request.source.version.size);
  return request.source.version.size <= size ? copySinglePart(request) : copyMultipart(request, size);
}
