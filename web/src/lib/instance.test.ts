import { describe, expect, it } from 'vitest';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import {
  allowedVisibility,
  canSignUp,
  formatLimit,
  initialAuthMode,
  oversizeMessage,
  partitionBySize,
  visibilityChoices,
  type InstanceInfo,
} from './instance';

const info = (over: Partial<InstanceInfo> = {}): InstanceInfo => ({
  firstSignUp: false,
  allowSignUp: false,
  disallowPublicVisibility: false,
  maxUploadBytes: 32n << 20n,
  ...over,
});

describe('sign-in page mode', () => {
  it('opens in sign-up mode only for the first account', () => {
    expect(initialAuthMode(info({ firstSignUp: true, allowSignUp: true }))).toBe('signUp');
    expect(initialAuthMode(info({ allowSignUp: true }))).toBe('signIn');
    expect(initialAuthMode(undefined)).toBe('signIn');
  });

  it('offers sign-up when open, for the first account, or when unknown', () => {
    expect(canSignUp(info({ allowSignUp: true }))).toBe(true);
    expect(canSignUp(info({ firstSignUp: true }))).toBe(true);
    expect(canSignUp(info())).toBe(false);
    expect(canSignUp(undefined)).toBe(true);
  });
});

describe('visibility choices', () => {
  const values = (v: Visibility, off: boolean) => visibilityChoices(v, off).map((o) => o.value);

  it('offers all three when public memos are allowed', () => {
    expect(values(Visibility.PRIVATE, false)).toEqual([Visibility.PRIVATE, Visibility.PROTECTED, Visibility.PUBLIC]);
    expect(visibilityChoices(Visibility.PUBLIC, false).every((o) => !o.disabled)).toBe(true);
  });

  it('drops Public for new choices when public memos are off', () => {
    expect(values(Visibility.PRIVATE, true)).toEqual([Visibility.PRIVATE, Visibility.PROTECTED]);
    expect(values(Visibility.PROTECTED, true)).toEqual([Visibility.PRIVATE, Visibility.PROTECTED]);
    expect(values(Visibility.UNSPECIFIED, true)).toEqual([Visibility.PRIVATE, Visibility.PROTECTED]);
  });

  it('keeps an already public memo shown as Public, but not choosable again', () => {
    const opts = visibilityChoices(Visibility.PUBLIC, true);
    expect(opts.map((o) => o.value)).toEqual([Visibility.PRIVATE, Visibility.PROTECTED, Visibility.PUBLIC]);
    const pub = opts[2];
    expect(pub.label).toBe('Public');
    expect(pub.disabled).toBe(true);
    expect(opts.slice(0, 2).every((o) => !o.disabled)).toBe(true);
  });

  it('preselects Signed-in users instead of a Public default when public memos are off', () => {
    expect(allowedVisibility(Visibility.PUBLIC, true)).toBe(Visibility.PROTECTED);
    expect(allowedVisibility(Visibility.PUBLIC, false)).toBe(Visibility.PUBLIC);
    expect(allowedVisibility(Visibility.PRIVATE, true)).toBe(Visibility.PRIVATE);
  });
});

describe('upload limit', () => {
  it('names the limit in MiB when whole, else in bytes', () => {
    expect(formatLimit(32n << 20n)).toBe('32 MiB');
    expect(formatLimit(1 << 20)).toBe('1 MiB');
    expect(formatLimit(1_500_000n)).toBe('1500000 bytes');
    expect(formatLimit((3n << 20n) + 1n)).toBe('3145729 bytes');
    expect(formatLimit(1n)).toBe('1 byte');
    expect(formatLimit(0n)).toBe('0 bytes');
  });

  it('refuses only files larger than the limit, naming file and limit', () => {
    const max = 2n << 20n;
    expect(oversizeMessage({ name: 'ok.jpg', size: 2 << 20 }, max)).toBe('');
    expect(oversizeMessage({ name: 'big.mov', size: (2 << 20) + 1 }, max)).toBe(
      '“big.mov” is too large to attach: files can be at most 2 MiB.',
    );
    expect(oversizeMessage({ name: 'x.bin', size: 1001 }, 1000n)).toBe(
      '“x.bin” is too large to attach: files can be at most 1000 bytes.',
    );
    expect(oversizeMessage({ name: '', size: 5 }, 4n)).toContain('“file”');
  });

  it('refuses nothing when the limit is unknown or not positive', () => {
    expect(oversizeMessage({ name: 'a', size: 1e12 }, undefined)).toBe('');
    expect(oversizeMessage({ name: 'a', size: 1e12 }, 0n)).toBe('');
  });

  it('splits a batch into uploads and refusals, keeping order', () => {
    const files = [
      { name: 'a.txt', size: 10 },
      { name: 'huge.iso', size: 5000 },
      { name: 'b.txt', size: 1000 },
      { name: 'huge2.iso', size: 1001 },
    ];
    const { accepted, refused } = partitionBySize(files, 1000n);
    expect(accepted.map((f) => f.name)).toEqual(['a.txt', 'b.txt']);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toContain('huge.iso');
    expect(refused[1]).toContain('huge2.iso');
  });
});
