/**
 * A consumer of snapscan's S3 export: finds the latest COMPLETE run (the newest manifest.json: a run
 * without one is incomplete and is ignored), downloads the findings NDJSON objects the manifest
 * lists, checks each object's SHA-256 against the manifest, and prints the findings.
 *
 *   npx tsx docs/examples/latest-findings.ts s3://BUCKET/PREFIX [--severity HIGH] [--json]
 *
 * Credentials, region and endpoint come from the AWS SDK's standard configuration (AWS_PROFILE,
 * AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL …); path-style addressing is used when a
 * custom endpoint is set. Self-contained on purpose: it needs only @aws-sdk/client-s3, not snapscan.
 * Layout and manifest: docs/consumer.md, schemas/manifest.schema.json.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** Bounds: a consumer treats the bucket as input it did not write. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_OBJECT_BYTES = 512 * 1024 * 1024;
const MAX_LIST_PAGES = 1000;
/** How many days back to look for a complete run. */
const MAX_DAYS = 400;

export interface ManifestObject {
  key: string;
  kind: string;
  awsAccountId: string;
  resourceId: string;
  count: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  schemaVersion: string;
  runId: string;
  dt: string;
  startedAt: string;
  completedAt: string;
  objects: ManifestObject[];
}

export interface CompleteRun {
  manifestKey: string;
  manifest: Manifest;
}

export interface Finding {
  findingArn: string;
  awsAccountId: string;
  severity: string;
  status: string;
  title: string;
  fixAvailable: string;
  packageVulnerabilityDetails: {
    vulnerabilityId: string;
    vulnerablePackages: { name: string; version: string; fixedInVersion: string }[];
  };
  resources: { type: string; id: string }[];
}

type S3 = Pick<S3Client, 'send'>;

async function getBytes(s3: S3, bucket: string, key: string, max: number): Promise<Buffer | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((out.ContentLength ?? 0) > max) throw new Error(`${key}: ${out.ContentLength} bytes is over ${max}`);
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** The common prefixes one level below `prefix` (S3 "folders"), all pages. */
async function folders(s3: S3, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
    );
    for (const p of res.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
    token = res.NextContinuationToken;
    if (!res.IsTruncated || !token) return out;
  }
  throw new Error(`s3://${bucket}/${prefix}: more than ${MAX_LIST_PAGES} pages of folders`);
}

/**
 * The newest complete run under s3://bucket/prefix: the dt= folders newest first; in the first one
 * holding any run with a manifest, the manifest with the latest completedAt.
 */
export async function latestCompleteRun(
  s3: S3,
  bucket: string,
  prefix: string,
): Promise<CompleteRun | undefined> {
  const root = `${prefix.replace(/^\/+|\/+$/g, '')}${prefix ? '/' : ''}findings/`;
  const days = (await folders(s3, bucket, root))
    .filter((p) => /\/dt=\d{4}-\d{2}-\d{2}\/$/.test(p))
    .sort()
    .reverse()
    .slice(0, MAX_DAYS);
  for (const day of days) {
    let best: CompleteRun | undefined;
    for (const run of await folders(s3, bucket, day)) {
      if (!/\/run=[A-Za-z0-9._-]+\/$/.test(run)) continue;
      const key = `${run}manifest.json`;
      const body = await getBytes(s3, bucket, key, MAX_MANIFEST_BYTES);
      if (!body) continue; // no manifest: the run is incomplete (still running, or it failed)
      const manifest = JSON.parse(body.toString('utf8')) as Manifest;
      if (!Array.isArray(manifest.objects) || typeof manifest.completedAt !== 'string')
        throw new Error(`${key}: not a snapscan manifest`);
      if (!best || manifest.completedAt > best.manifest.completedAt) best = { manifestKey: key, manifest };
    }
    if (best) return best;
  }
  return undefined;
}

/** The run's findings, object by object, each checked against the manifest's SHA-256 and count. */
export async function* runFindings(s3: S3, bucket: string, run: CompleteRun): AsyncGenerator<Finding> {
  for (const o of run.manifest.objects) {
    if (o.kind !== 'findings-ndjson') continue;
    const body = await getBytes(s3, bucket, o.key, MAX_OBJECT_BYTES);
    if (!body) throw new Error(`${o.key}: listed in ${run.manifestKey} but missing`);
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== o.sha256) throw new Error(`${o.key}: SHA-256 ${sha} differs from the manifest's ${o.sha256}`);
    const lines = body.toString('utf8').split('\n').filter(Boolean);
    if (lines.length !== o.count)
      throw new Error(`${o.key}: ${lines.length} findings, the manifest says ${o.count}`);
    for (const line of lines) yield JSON.parse(line) as Finding;
  }
}

const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'];

export function formatFinding(f: Finding): string {
  const p = f.packageVulnerabilityDetails.vulnerablePackages[0];
  const resource = f.resources[0]?.id ?? '';
  return [
    f.severity.padEnd(13),
    f.packageVulnerabilityDetails.vulnerabilityId.padEnd(20),
    `${p?.name ?? ''} ${p?.version ?? ''}`.padEnd(40),
    `fix ${p?.fixedInVersion || 'NotAvailable'}`.padEnd(30),
    `${f.awsAccountId}/${resource}`,
    f.status,
  ].join(' ');
}

export async function main(argv: string[], s3: S3 = defaultClient()): Promise<number> {
  const url = /^s3:\/\/([^/]+)\/?(.*)$/.exec(argv[0] ?? '');
  if (!url) {
    process.stderr.write('usage: latest-findings.ts s3://BUCKET/PREFIX [--severity LEVEL] [--json]\n');
    return 2;
  }
  const sev = argv.indexOf('--severity');
  const min =
    sev >= 0 ? SEVERITY_ORDER.indexOf(String(argv[sev + 1]).toUpperCase()) : SEVERITY_ORDER.length - 1;
  if (min < 0) {
    process.stderr.write(`--severity must be one of ${SEVERITY_ORDER.join(', ')}\n`);
    return 2;
  }
  const [, bucket, prefix] = url as unknown as [string, string, string];
  const run = await latestCompleteRun(s3, bucket, prefix);
  if (!run) {
    process.stderr.write(`no complete run under s3://${bucket}/${prefix} (no manifest.json found)\n`);
    return 1;
  }
  const findings: Finding[] = [];
  for await (const f of runFindings(s3, bucket, run)) {
    const rank = SEVERITY_ORDER.indexOf(f.severity);
    if (rank >= 0 && rank <= min) findings.push(f);
  }
  findings.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.findingArn.localeCompare(b.findingArn),
  );
  if (argv.includes('--json')) {
    for (const f of findings) process.stdout.write(`${JSON.stringify(f)}\n`);
  } else {
    process.stdout.write(
      `run ${run.manifest.runId} (dt=${run.manifest.dt}, completed ${run.manifest.completedAt}): ${findings.length} findings\n`,
    );
    for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
  }
  return 0;
}

function defaultClient(): S3Client {
  const custom = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({ forcePathStyle: Boolean(custom) });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`latest-findings: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
