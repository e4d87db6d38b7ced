import { describe, expect, it } from 'vitest';
import { formatBytes, isImage, resourceUrl } from './format';

describe('format', () => {
  it.each<[number | bigint, string]>([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [10n * 1024n * 1024n, '10 MB'],
  ])('formatBytes(%s)', (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });

  it('builds file URLs from the resource name and an encoded filename', () => {
    expect(resourceUrl({ name: 'resources/42', filename: 'my photo #1.jpg' })).toBe(
      '/file/resources/42/my%20photo%20%231.jpg',
    );
  });

  it('knows images by MIME type', () => {
    expect(isImage({ type: 'image/png' })).toBe(true);
    expect(isImage({ type: 'application/pdf' })).toBe(false);
  });
});
