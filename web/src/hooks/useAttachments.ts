import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, resourceClient } from '../api';
import type { Resource } from '../gen/memoria/v1/resource_service_pb';
import { isImage, resourceUrl } from '../lib/format';
import { partitionBySize } from '../lib/instance';
import { uploadResource } from '../lib/upload';
import { useInstanceInfo } from './useInstanceInfo';

export type UploadStatus = 'queued' | 'uploading' | 'done' | 'failed';

export interface Attachment {
  key: string;
  filename: string;
  size: number;
  status: UploadStatus;
  loaded: number;
  total: number;
  error: string;
  /** Set once stored on the server. */
  resource?: Resource;
  /** The local file, kept for retrying. */
  file?: File;
  /** Was attached to the memo before this edit began. */
  existing: boolean;
  previewUrl?: string;
}

let keySeq = 0;

/** Deletes an upload nobody will attach; failure only leaves an orphan file. */
function forget(r: Resource): void {
  resourceClient.deleteResource({ name: r.name }).catch(() => undefined);
}

function fromResource(r: Resource): Attachment {
  return {
    key: `r-${r.name}`,
    filename: r.filename,
    size: Number(r.size),
    status: 'done',
    loaded: 0,
    total: 0,
    error: '',
    resource: r,
    existing: true,
    previewUrl: isImage(r) ? resourceUrl(r) : undefined,
  };
}

function fromFile(f: File): Attachment {
  return {
    key: `f-${++keySeq}`,
    filename: f.name || 'file',
    size: f.size,
    status: 'queued',
    loaded: 0,
    total: f.size,
    error: '',
    file: f,
    existing: false,
    previewUrl: f.type.startsWith('image/') ? URL.createObjectURL(f) : undefined,
  };
}

export interface Attachments {
  items: Attachment[];
  /** Queues files; those over the instance's size limit are refused instead. */
  add: (files: Iterable<File>) => void;
  /** Why files of the last add were refused (too large), one sentence each. */
  refused: string[];
  remove: (key: string) => void;
  retry: (key: string) => void;
  /** Forget everything (after saving); uploaded files now belong to the memo. */
  clear: () => void;
  /** Delete uploads that were never attached (on cancel). */
  discard: () => void;
  busy: boolean;
  failed: boolean;
  resourceNames: string[];
}

/**
 * Files for a memo: existing resources plus new files, uploaded one at a time
 * in the order chosen, each with real byte progress.
 */
export function useAttachments(initial: readonly Resource[] = []): Attachments {
  const [items, setItems] = useState<Attachment[]>(() => initial.map(fromResource));
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const controllers = useRef(new Map<string, AbortController>());
  const uploading = useRef(false);
  const [refused, setRefused] = useState<string[]>([]);
  const { info } = useInstanceInfo();
  const maxBytes = useRef(info?.maxUploadBytes);
  maxBytes.current = info?.maxUploadBytes;

  const patch = useCallback((key: string, change: Partial<Attachment>) => {
    setItems((list) => list.map((a) => (a.key === key ? { ...a, ...change } : a)));
  }, []);

  // Start the next queued upload whenever none is running.
  useEffect(() => {
    if (uploading.current) return;
    const next = items.find((a) => a.status === 'queued');
    if (!next?.file) return;
    const file = next.file;
    const ctrl = new AbortController();
    controllers.current.set(next.key, ctrl);
    uploading.current = true;
    patch(next.key, { status: 'uploading', loaded: 0, error: '' });
    uploadResource(file, ({ loaded, total }) => patch(next.key, { loaded, total }), ctrl.signal)
      .then((resource) => patch(next.key, { status: 'done', resource, loaded: file.size }))
      .catch((err: unknown) => {
        if (!ctrl.signal.aborted) patch(next.key, { status: 'failed', error: errorMessage(err) });
      })
      .finally(() => {
        controllers.current.delete(next.key);
        uploading.current = false;
        // Wake the effect for the next file.
        setItems((list) => [...list]);
      });
  }, [items, patch]);

  // Revoke object URLs of previews when they go away.
  const previews = useRef(new Set<string>());
  useEffect(() => {
    const current = new Set(items.map((a) => a.previewUrl).filter((u): u is string => !!u?.startsWith('blob:')));
    for (const u of previews.current) if (!current.has(u)) URL.revokeObjectURL(u);
    previews.current = current;
  }, [items]);
  useEffect(
    () => () => {
      for (const u of previews.current) URL.revokeObjectURL(u);
      for (const c of controllers.current.values()) c.abort();
    },
    [],
  );

  const add = useCallback((files: Iterable<File>) => {
    // Refuse what the server would refuse anyway, before sending any bytes.
    const { accepted, refused } = partitionBySize([...files], maxBytes.current);
    setRefused(refused);
    const added = accepted.map(fromFile);
    if (added.length) setItems((list) => [...list, ...added]);
  }, []);

  const remove = useCallback((key: string) => {
    const a = itemsRef.current.find((x) => x.key === key);
    if (!a) return;
    controllers.current.get(key)?.abort();
    // A fresh upload that is not attached to anything yet: delete it.
    if (!a.existing && a.resource) forget(a.resource);
    setItems((list) => list.filter((x) => x.key !== key));
  }, []);

  const retry = useCallback((key: string) => patch(key, { status: 'queued', error: '', loaded: 0 }), [patch]);

  const clear = useCallback(() => {
    setItems([]);
    setRefused([]);
  }, []);

  const discard = useCallback(() => {
    for (const a of itemsRef.current) {
      controllers.current.get(a.key)?.abort();
      if (!a.existing && a.resource) forget(a.resource);
    }
    setItems([]);
    setRefused([]);
  }, []);

  return {
    items,
    add,
    refused,
    remove,
    retry,
    clear,
    discard,
    busy: items.some((a) => a.status === 'queued' || a.status === 'uploading'),
    failed: items.some((a) => a.status === 'failed'),
    resourceNames: items.filter((a) => a.resource).map((a) => (a.resource as Resource).name),
  };
}
