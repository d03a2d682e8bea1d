import { ApiError } from './api-error.js';

/** The largest request body accepted by default: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'JM_BODY_TOO_LARGE', `Request body is larger than the limit of ${limit} bytes (see the bodyLimit option)`);
}

/** Reads a request body as text, refusing (413) past `limit` bytes without reading further. */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON body: 415 unless it is sent as JSON, 400 when it does not parse, 413 past the limit. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'JM_UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON (Content-Type: application/json)');
  }
  const text = await readBodyText(request, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, 'JM_MALFORMED_JSON', `Request body is not valid JSON (${(error as Error).message})`);
  }
}

/** Reads an HTML form body (application/x-www-form-urlencoded), within the limit. */
export async function readFormBody(request: Request, limit: number): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new ApiError(415, 'JM_UNSUPPORTED_MEDIA_TYPE', 'Send the form as application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBodyText(request, limit));
}
