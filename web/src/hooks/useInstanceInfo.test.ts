import { describe, expect, it, vi } from 'vitest';
import { Code, ConnectError } from '../api';
import type { InstanceInfo } from '../lib/instance';
import { createInstanceInfoStore } from './useInstanceInfo';

const sample: InstanceInfo = { firstSignUp: true, allowSignUp: true, disallowPublicVisibility: false, maxUploadBytes: 1024n };

describe('instance info store', () => {
  it('is loading until the first answer, then caches it', async () => {
    const fetchInfo = vi.fn(async () => sample);
    const store = createInstanceInfoStore(fetchInfo);
    expect(store.get()).toEqual({ loading: true, error: '' });
    await Promise.all([store.load(), store.load()]);
    await store.load();
    expect(fetchInfo).toHaveBeenCalledTimes(1);
    expect(store.get()).toEqual({ info: sample, loading: false, error: '' });
  });

  it('notifies subscribers and stops after unsubscribe', async () => {
    const store = createInstanceInfoStore(async () => sample);
    const seen: boolean[] = [];
    const off = store.subscribe(() => seen.push(store.get().loading));
    await store.load();
    expect(seen).toEqual([true, false]);
    off();
    await store.refresh();
    expect(seen).toEqual([true, false]);
  });

  it('keeps a readable error and no info when the call fails', async () => {
    const store = createInstanceInfoStore(async () => {
      throw new ConnectError('down', Code.Unavailable);
    });
    await store.load();
    const s = store.get();
    expect(s.info).toBeUndefined();
    expect(s.loading).toBe(false);
    expect(s.error).not.toBe('');
  });

  it('refresh fetches again, keeping the old answer meanwhile and on failure', async () => {
    const later: InstanceInfo = { ...sample, firstSignUp: false, allowSignUp: false };
    const fetchInfo = vi
      .fn<() => Promise<InstanceInfo>>()
      .mockResolvedValueOnce(sample)
      .mockResolvedValueOnce(later)
      .mockRejectedValueOnce(new ConnectError('down', Code.Unavailable));
    const store = createInstanceInfoStore(fetchInfo);
    await store.load();
    const pending = store.refresh();
    expect(store.get()).toMatchObject({ info: sample, loading: true });
    await pending;
    expect(store.get().info).toEqual(later);
    await store.refresh();
    expect(store.get().info).toEqual(later);
    expect(store.get().error).not.toBe('');
    expect(fetchInfo).toHaveBeenCalledTimes(3);
  });
});
