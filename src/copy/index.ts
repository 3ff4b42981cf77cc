export { copyVersion } from './copy-version';
export type {
  CopyRequest,
  CopyResult,
  DestinationTarget,
  SourceVersion,
  UploadCheckpoint,
  UploadCheckpointStore,
} from './types';
