// The CLI's entry point, bundled by scripts/build.mjs into build/cli/partition-s3-replicate.js.
import { main } from './main';

void main(process.argv).then((code) => {
  process.exitCode = code;
});
