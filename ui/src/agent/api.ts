// The console's writes that answer what the caller needs without typing every
// body (POST by path, through the same client: CSRF, 401 → login), and file
// uploads with progress (XMLHttpRequest: fetch has no upload progress).
import { api, getCsrfToken, unwrap, ApiFailure } from '../api/client';
import { session } from '../lib/session.svelte';

type Loose = (path: string, init?: unknown) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/** POST JSON to a path, answering its body (or null for 204). */
export function postJson<T>(path: string, pathParams: Record<string, string>, body?: unknown): Promise<T> {
  return unwrap((api.POST as unknown as Loose)(path, { params: { path: pathParams }, body })) as Promise<T>;
}

/** Uploads a file with progress (fetch has no upload progress): multipart
 *  part `file`, the CSRF header, the server's error words on failure. */
export function uploadFile(
  url: string,
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    const token = getCsrfToken();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body);
      if (xhr.status === 401) session.ended();
      const info = (body as { error?: { code: string; message: string; field?: string } } | null)?.error ?? {
        code: `http_${xhr.status}`,
        message: xhr.status === 413 ? 'The file is larger than 25 MB.' : `The server answered ${xhr.status}.`,
      };
      reject(new ApiFailure(xhr.status, info));
    };
    xhr.onerror = () =>
      reject(new ApiFailure(0, { code: 'network', message: 'The upload was interrupted: the server cannot be reached.' }));
    xhr.onabort = () => reject(new ApiFailure(0, { code: 'aborted', message: 'Upload cancelled.' }));
    signal?.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
