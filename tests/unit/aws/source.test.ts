import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SourceAccessDeniedError } from '../../../src/errors';
import { sourceTags } from '../../../src/aws/source';
import { offlineS3, s3Error } from '../../helpers/unit-builders';

const BUCKET = 'source-bucket';
const KEY = 'docs/a b+c.txt';

describe('sourceTags', () => {
  const client = offlineS3();
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  it('reads the tags of the pinned version', async () => {
    // Prepare
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'blue' }] });

    // Act
    const tags = await sourceTags(client, BUCKET, KEY, 'v1');

    // Assess
    expect(s3).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: BUCKET, Key: KEY, VersionId: 'v1' });
    expect(tags).toEqual([{ Key: 'team', Value: 'blue' }]);
  });

  it('turns AccessDenied into SourceAccessDeniedError', async () => {
    // Prepare
    s3.on(GetObjectTaggingCommand).rejects(s3Error('AccessDenied', 403));

    // Act
    const error = await sourceTags(client, BUCKET, KEY, 'v1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(SourceAccessDeniedError);
  });
});
