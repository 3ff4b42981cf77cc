// Launches fauxqs (an in-memory SQS server: FIFO groups, deduplication, visibility timeouts,
// redrive to a DLQ) on 127.0.0.1 for the integration and fault tests. Its own CLI binds every
// interface, so it is started here through its library API instead.
// Usage: node sqs.mjs PORT ENV_DIR   (ENV_DIR only tags the command line, so that stop.sh can
// tell this process from anyone else's before it kills it)
import { buildApp } from 'fauxqs';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node sqs.mjs PORT ENV_DIR');
  process.exit(2);
}
const app = buildApp({ logger: false });
try {
  await app.listen({ host: '127.0.0.1', port });
} catch (err) {
  console.error(`fauxqs: ${err.message}`);
  process.exit(1);
}
console.log(`fauxqs listening on 127.0.0.1:${port}`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
