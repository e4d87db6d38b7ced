// Uploads one file with real progress. connect-web's fetch has no upload
// progress events, so this posts the same Connect unary request
// (binary Protobuf) with XMLHttpRequest, whose upload.onprogress does.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, codeFromWireName, notifySessionLost } from '../api';
import {
  CreateResourceRequestSchema,
  ResourceSchema,
  ResourceService,
  type Resource,
} from '../gen/memoria/v1/resource_service_pb';

export interface UploadProgress {
  loaded: number;
  total: number;
}

const createResourcePath = `/${ResourceService.typeName}/${ResourceService.method.createResource.name}`;

// Connect's HTTP status → code table, for error bodies that are not Connect JSON.
function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400: return Code.InvalidArgument;
    case 401: return Code.Unauthenticated;
    case 403: return Code.PermissionDenied;
    case 404: return Code.Unimplemented;
    case 408: return Code.DeadlineExceeded;
    case 409: return Code.Aborted;
    case 412: return Code.FailedPrecondition;
    case 413: return Code.ResourceExhausted;
    case 429: return Code.Unavailable;
    case 502: case 503: case 504: return Code.Unavailable;
    default: return Code.Unknown;
  }
}

function errorFromResponse(xhr: XMLHttpRequest): ConnectError {
  const fallback = codeFromHttpStatus(xhr.status);
  try {
    const text = new TextDecoder().decode(new Uint8Array(xhr.response as ArrayBuffer));
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const { code, message } = body as { code?: unknown; message?: unknown };
      const c = typeof code === 'string' ? codeFromWireName(code) : undefined;
      return new ConnectError(typeof message === 'string' ? message : '', c ?? fallback);
    }
  } catch {
    // not a Connect error body
  }
  return new ConnectError(`HTTP ${xhr.status}`, fallback);
}

/** Stores a file as a resource (not yet attached to a memo). */
export async function uploadResource(
  file: File,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<Resource> {
  let content: Uint8Array;
  try {
    content = new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    throw new ConnectError('could not read the file from this device', Code.InvalidArgument, undefined, undefined, err);
  }
  const body = toBinary(
    CreateResourceRequestSchema,
    create(CreateResourceRequestSchema, {
      resource: { filename: file.name, type: file.type, content },
    }),
  );

  return new Promise<Resource>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', createResourcePath);
    xhr.responseType = 'arraybuffer';
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/proto');
    xhr.setRequestHeader('Connect-Protocol-Version', '1');

    xhr.upload.onprogress = (e) => {
      onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.byteLength });
    };
    xhr.onload = () => {
      if (xhr.status === 200) {
        try {
          resolve(fromBinary(ResourceSchema, new Uint8Array(xhr.response as ArrayBuffer)));
        } catch (err) {
          reject(new ConnectError('The server sent an unreadable answer.', Code.Internal, undefined, undefined, err));
        }
        return;
      }
      const err = errorFromResponse(xhr);
      if (err.code === Code.Unauthenticated) notifySessionLost();
      reject(err);
    };
    xhr.onerror = () => {
      reject(new ConnectError('network error', Code.Unknown, undefined, undefined, new TypeError('network error')));
    };
    xhr.onabort = () => reject(new ConnectError('upload cancelled', Code.Canceled));

    if (signal) {
      if (signal.aborted) {
        reject(new ConnectError('upload cancelled', Code.Canceled));
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    onProgress({ loaded: 0, total: body.byteLength });
    xhr.send(body);
  });
}
