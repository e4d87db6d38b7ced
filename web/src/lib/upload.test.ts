// @vitest-environment jsdom
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Code, ConnectError, errorMessage } from '../api';
import { CreateResourceRequestSchema, ResourceSchema } from '../gen/memoria/v1/resource_service_pb';
import { uploadResource } from './upload';

/** A scripted XMLHttpRequest: records the request, answers as told. */
class FakeXHR {
  static last: FakeXHR;
  static answer: (x: FakeXHR) => void = () => {};
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: Uint8Array | null = null;
  status = 0;
  response: ArrayBuffer | null = null;
  responseType = '';
  withCredentials = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: Uint8Array) {
    this.body = body;
    FakeXHR.last = this;
    queueMicrotask(() => FakeXHR.answer(this));
  }
  abort() {
    this.onabort?.();
  }
}

/** jsdom's File has no arrayBuffer(); give it the browser's. */
function file(text: string, name: string, type = ''): File {
  const f = new File([text], name, { type });
  return Object.assign(f, { arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer });
}

function bytes(s: string): ArrayBuffer {
  return new TextEncoder().encode(s).buffer as ArrayBuffer;
}

afterEach(() => vi.unstubAllGlobals());

describe('uploadResource', () => {
  it('posts a binary Connect request and reports progress', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    FakeXHR.answer = (x) => {
      x.upload.onprogress?.({ loaded: 3, total: 10, lengthComputable: true });
      x.status = 200;
      const r = create(ResourceSchema, { name: 'resources/7', filename: 'a.txt', type: 'text/plain', size: 5n });
      x.response = toBinary(ResourceSchema, r).slice().buffer as ArrayBuffer;
      x.onload?.();
    };
    const progress: number[] = [];
    const res = await uploadResource(file('hello', 'a.txt', 'text/plain'), (p) => progress.push(p.loaded));

    expect(res.name).toBe('resources/7');
    const x = FakeXHR.last;
    expect(x.method).toBe('POST');
    expect(x.url).toBe('/memoria.v1.ResourceService/CreateResource');
    expect(x.headers['Content-Type']).toBe('application/proto');
    expect(x.headers['Connect-Protocol-Version']).toBe('1');
    const req = fromBinary(CreateResourceRequestSchema, x.body as Uint8Array);
    expect(req.resource?.filename).toBe('a.txt');
    expect(new TextDecoder().decode(req.resource?.content)).toBe('hello');
    expect(progress).toEqual([0, 3]);
  });

  it('turns a Connect JSON error into a ConnectError with its code', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    FakeXHR.answer = (x) => {
      x.status = 400;
      x.response = bytes('{"code":"invalid_argument","message":"filename must not contain /"}');
      x.onload?.();
    };
    const err = await uploadResource(file('x', 'x'), () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(errorMessage(err)).toBe('Filename must not contain /.');
  });

  it('maps a non-Connect error body by HTTP status', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    FakeXHR.answer = (x) => {
      x.status = 413;
      x.response = bytes('<html>too big</html>');
      x.onload?.();
    };
    const err = await uploadResource(file('x', 'x'), () => {}).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect(errorMessage(err)).toMatch(/too large/);
  });

  it('reports a network failure readably', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    FakeXHR.answer = (x) => x.onerror?.();
    const err = await uploadResource(file('x', 'x'), () => {}).catch((e: unknown) => e);
    expect(errorMessage(err)).toBe('Cannot reach the Memoria server. Check your connection and try again.');
  });

  it('says so when the file cannot be read', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    const broken = Object.assign(new File(['x'], 'x'), {
      arrayBuffer: () => Promise.reject(new DOMException('gone', 'NotReadableError')),
    });
    const err = await uploadResource(broken, () => {}).catch((e: unknown) => e);
    expect(errorMessage(err)).toBe('Could not read the file from this device.');
  });
});
