// Key rotation on a warm handler: access keys of the destination user made and removed with
// radosgw-admin while the mocked secret follows.
import { join } from 'node:path';
import { bump, run, sleep } from './util';

/** Access keys of the destination user, made and removed with radosgw-admin. */
export class Rotation {
  private readonly made: string[] = [];
  private current = { accessKeyId: '', secretAccessKey: '' };

  public constructor(private readonly region: string) {}

  public secret(): string {
    return JSON.stringify({ user: 'replicator', accesskey: this.current.accessKeyId, secretaccesskey: this.current.secretAccessKey, partition: 'aws-us-gov', accountid: '222233334444', region: this.region });
  }

  public async begin(): Promise<void> {
    this.current = await this.create(1);
  }

  /** Graceful at a third (new key in the secret, then the old one removed), harsh at two thirds (old key removed first). */
  public async step(i: number, total: number, faults: Map<string, number>, flush: () => Promise<void>): Promise<void> {
    const third = Math.max(1, Math.floor(total / 3));
    if (i === third) {
      const old = this.current;
      this.current = await this.create(2);
      await flush(); // the warm handler still holds the old key: work arrives before it is removed
      await sleep(300);
      await this.remove(old.accessKeyId);
      bump(faults, 'key rotated (graceful)');
    }
    if (i === 2 * third) {
      await this.remove(this.current.accessKeyId);
      await flush(); // work arrives while the secret still names the removed key
      await sleep(2_000);
      this.current = await this.create(3);
      bump(faults, 'key rotated (harsh)');
    }
  }

  public async end(): Promise<void> {
    for (const key of this.made) await this.remove(key).catch(() => undefined);
  }

  private async create(n: number): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const accessKeyId = `ROTATED${Date.now().toString(36).toUpperCase()}${n}`.slice(0, 20).padEnd(20, '0');
    const secretAccessKey = `rotatedSecret${n}${Date.now()}`.padEnd(40, 'x');
    await this.admin(['key', 'create', '--key-type=s3', `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`]);
    this.made.push(accessKeyId);
    return { accessKeyId, secretAccessKey };
  }

  private async remove(accessKeyId: string): Promise<void> {
    await this.admin(['key', 'rm', '--key-type=s3', `--access-key=${accessKeyId}`]);
    this.made.splice(this.made.indexOf(accessKeyId), 1);
  }

  private async admin(args: string[]): Promise<void> {
    const dir = process.env.LOCAL_TEST_ENV_DIR;
    if (!dir) throw new Error('LOCAL_TEST_ENV_DIR is not set: key rotation needs the local test environment');
    await run('radosgw-admin', ['-c', join(dir, 'ceph.conf'), ...args, '--uid=dest', `--tenant=${process.env.LOCAL_S3_DEST_TENANT ?? 'dstpart'}`]);
  }
}
