// Launches dynalite (an in-memory DynamoDB) on 127.0.0.1 for the integration tests.
// Usage: node dynalite.mjs PORT ENV_DIR   (ENV_DIR only tags the command line, so that
// stop.sh can tell this process from anyone else's before it kills it)
import dynalite from 'dynalite';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node dynalite.mjs PORT ENV_DIR');
  process.exit(2);
}
// Tables are ACTIVE at once instead of after the default 500 ms.
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (err) => {
  console.error(`dynalite: ${err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`dynalite listening on 127.0.0.1:${port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
