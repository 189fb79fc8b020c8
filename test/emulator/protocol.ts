/**
 * Wire-protocol helpers shared by the emulated services: bounded body reading, the error shapes of
 * each AWS protocol (REST-JSON, JSON 1.0/1.1, EC2 Query, AWS Query, REST-XML), and the Query form's
 * list/tag/filter encodings.
 *
 *   REST-JSON (EBS)        x-amzn-ErrorType header, {"message"}            smithy restJson1
 *   JSON 1.0/1.1 (SSM, …)  {"__type": "Code", "message"}                  smithy awsJson1_0/1_1
 *   EC2 Query              <Response><Errors><Error><Code>…               smithy ec2Query
 *   AWS Query (STS, …)     <ErrorResponse><Error><Type/><Code>…           smithy awsQuery
 *   REST-XML (S3)          <Error><Code>…</Code><Message>…                smithy restXml (S3 quirks)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { esc, type XmlNode } from './xml.js';

/** An error the emulated service answers with, in its own protocol. */
export class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Reads the request body, refusing more than `maxBytes` (413-style: the socket is dropped). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new HttpFault(413, 'RequestEntityTooLarge', `request body over ${maxBytes} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The service name of the SigV4 credential scope (`Credential=AKID/date/region/SERVICE/aws4_request`). */
export function signingService(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization ?? url.searchParams.get('X-Amz-Credential') ?? '';
  const m = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
    auth.startsWith('AWS4') ? auth : `Credential=${auth}`,
  );
  return m?.[1];
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

/** REST-JSON error: the code travels in x-amzn-ErrorType. */
export function sendRestJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  reason?: string,
) {
  const text = JSON.stringify(reason ? { message, Reason: reason } : { message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-ErrorType': code,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

/** JSON 1.0/1.1 error: the code travels in `__type`. */
export function sendAwsJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  version: '1.0' | '1.1' = '1.1',
) {
  sendJson(res, status, { __type: code, message }, `application/x-amz-json-${version}`);
}

export function sendXml(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEc2Error(res: ServerResponse, status: number, code: string, message: string): void {
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code>` +
    `<Message>${esc(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
  sendXml(res, status, text);
}

export function sendQueryError(res: ServerResponse, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${type}</Type><Code>${esc(code)}</Code>` +
    `<Message>${esc(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  sendXml(res, status, text);
}

export function sendS3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  resource = '',
): void {
  const id = randomUUID();
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message>` +
    `<Resource>${esc(resource)}</Resource><RequestId>${id}</RequestId></Error>`;
  sendXml(res, status, text, { 'x-amz-request-id': id, 'content-type': 'application/xml' });
}

// ---- Query form encodings -----------------------------------------------------------------------

/** `Name.1`, `Name.2`, … in order. */
export function list(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.${i}`); i++) out.push(form.get(`${name}.${i}`)!);
  return out;
}

export function tagList(form: URLSearchParams, prefix: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; form.has(`${prefix}.${i}.Key`); i++) {
    tags[form.get(`${prefix}.${i}.Key`)!] = form.get(`${prefix}.${i}.Value`) ?? '';
  }
  return tags;
}

export function tagSpecs(form: URLSearchParams, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; form.has(`TagSpecification.${i}.ResourceType`); i++) {
    if (form.get(`TagSpecification.${i}.ResourceType`) !== resourceType) continue;
    Object.assign(tags, tagList(form, `TagSpecification.${i}.Tag`));
  }
  return tags;
}

export function filterList(form: URLSearchParams): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (let i = 1; form.has(`Filter.${i}.Name`); i++) {
    out.push([form.get(`Filter.${i}.Name`)!, list(form, `Filter.${i}.Value`)]);
  }
  return out;
}

export function tagSet(tags: Record<string, string>): XmlNode[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** EC2 filter values accept `*` and `?` wildcards. */
export function wildcard(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}
