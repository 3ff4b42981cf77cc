import type { SourceListing } from '../../../src/core/source-state';
import { currentState, isReplicaOf, replicaTag, versionIdentity } from '../../../src/core/source-state';
import { listedDeleteMarker, listedVersion } from '../../helpers/builders';

describe('currentState', () => {
  it('is the version marked IsLatest', () => {
    // Prepare
    const current = listedVersion({ versionId: 'v2', isLatest: true });
    const listing: SourceListing = { versions: [current, listedVersion({ versionId: 'v1' })], deleteMarkers: [listedDeleteMarker()] };

    // Act
    const state = currentState(listing);

    // Assess
    expect(state).toEqual({ kind: 'version', version: current });
  });

  it('is the delete marker marked IsLatest when no version is', () => {
    // Prepare
    const marker = listedDeleteMarker({ versionId: 'dm2', isLatest: true });
    const listing: SourceListing = { versions: [listedVersion({ versionId: 'v1' })], deleteMarkers: [marker, listedDeleteMarker({ versionId: 'dm1' })] };

    // Act
    const state = currentState(listing);

    // Assess
    expect(state).toEqual({ kind: 'marker', marker });
  });

  it('is absent when the key has no entries', () => {
    // Act
    const state = currentState({ versions: [], deleteMarkers: [] });

    // Assess
    expect(state).toEqual({ kind: 'absent' });
  });

  it('is absent when only non-current entries are listed', () => {
    // Act
    const state = currentState({ versions: [listedVersion()], deleteMarkers: [listedDeleteMarker()] });

    // Assess
    expect(state).toEqual({ kind: 'absent' });
  });
});

describe('versionIdentity', () => {
  it('is the version id of a versioned object', () => {
    // Act
    const identity = versionIdentity(listedVersion({ versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' }));

    // Assess
    expect(identity).toBe('3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY');
  });

  it('tells apart two writes of the null version by their time and ETag', () => {
    // Prepare
    const first = listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date('2024-01-01T10:00:00Z') });
    const rewrittenSameBytes = listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date('2024-01-01T11:00:00Z') });
    const sameTimeOtherBytes = listedVersion({ versionId: 'null', etag: '"bbb"', lastModified: new Date('2024-01-01T10:00:00Z') });

    // Act
    const identities = [first, rewrittenSameBytes, sameTimeOtherBytes].map(versionIdentity);

    // Assess
    expect(new Set(identities).size).toBe(3);
    expect(identities[0]).toBe(`null@${Date.parse('2024-01-01T10:00:00Z')}@aaa`);
  });

  it('ignores whether the ETag is quoted', () => {
    // Prepare
    const lastModified = new Date('2024-01-01T10:00:00Z');

    // Act
    const quoted = versionIdentity({ versionId: 'null', etag: '"aaa"', lastModified });
    const bare = versionIdentity({ versionId: 'null', etag: 'aaa', lastModified });

    // Assess
    expect(quoted).toBe(bare);
  });
});

describe('replicaTag', () => {
  it('joins the version identity and the unquoted ETag', () => {
    // Prepare
    const version = listedVersion({ versionId: 'v7', etag: '"9bb58f26192e4ba00f01e2e7b136bbd8-3"' });

    // Act
    const tag = replicaTag(version);

    // Assess
    expect(tag).toBe('v7;9bb58f26192e4ba00f01e2e7b136bbd8-3');
  });

  it('differs for two writes of the null version', () => {
    // Act
    const a = replicaTag(listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date(1000) }));
    const b = replicaTag(listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date(2000) }));

    // Assess
    expect(a).not.toBe(b);
    expect(a).toBe('null@1000@aaa;aaa');
  });
});

describe('isReplicaOf', () => {
  it('is true for the marker of the same version, whatever ETag it recorded', () => {
    // Prepare: the listing once showed an empty ETag for this version
    const version = listedVersion({ versionId: 'v7', etag: '"abc"' });
    const markerWithEmptyEtag = replicaTag({ ...version, etag: '' });

    // Act
    const sameTag = isReplicaOf(replicaTag(version), version);
    const emptyEtag = isReplicaOf(markerWithEmptyEtag, version);

    // Assess
    expect(sameTag).toBe(true);
    expect(emptyEtag).toBe(true);
  });

  it('is false for another version or no marker', () => {
    // Prepare
    const version = listedVersion({ versionId: 'v7' });

    // Act
    const other = isReplicaOf(replicaTag(listedVersion({ versionId: 'v6' })), version);
    const none = isReplicaOf(undefined, version);
    const prefixOnly = isReplicaOf('v', version);

    // Assess
    expect(other).toBe(false);
    expect(none).toBe(false);
    expect(prefixOnly).toBe(false);
  });

  it('tells apart two writes of the null version', () => {
    // Prepare
    const first = listedVersion({ versionId: 'null', etag: '"aaa"', lastModified: new Date(1000) });
    const second = listedVersion({ versionId: 'null', etag: '"bbb"', lastModified: new Date(2000) });

    // Act
    const result = isReplicaOf(replicaTag(first), second);

    // Assess
    expect(result).toBe(false);
    expect(isReplicaOf(replicaTag(second), second)).toBe(true);
  });
});
